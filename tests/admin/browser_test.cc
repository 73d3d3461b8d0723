// The status page as a person sees it: headless Chromium loads it from the
// real runtime (etcd, controller, prober), every target shows with its state,
// registered key and the lease, and a screenshot is kept.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "admin/admin_server.h"
#include "admin/render.h"
#include "metrics/metrics.h"
#include "tests/metrics/full_stack.h"
#include "tests/metrics/test_util.h"
#include "tests/support/browser.h"
#include "tests/support/cdp_browser.h"
#include "tests/support/http_backend.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::admin {
namespace {

using metrics::testing::HttpTarget;
using registrar::testing::HttpBackend;
using registrar::testing::WaitFor;

// The data-state of the table row of `target_id` in `dom`, or "" if absent.
std::string RowState(const std::string& dom, const std::string& target_id) {
  const std::string marker = "data-target=\"" + target_id + "\" data-state=\"";
  const size_t at = dom.find(marker);
  if (at == std::string::npos) return "";
  const size_t start = at + marker.size();
  return dom.substr(start, dom.find('"', start) - start);
}

TEST(StatusPage, ChromiumShowsEveryTargetWithItsStateKeyAndTheLease) {
  metrics::testing::FullStack stack;
  stack.SetUp();
  HttpBackend web1, web2, web3, api1, api2;
  api2.SetStatus(503);
  const std::vector<probes::Target> targets = {
      HttpTarget("web", web1.port()), HttpTarget("web", web2.port()),
      HttpTarget("web", web3.port()), HttpTarget("api", api1.port()),
      HttpTarget("api", api2.port())};
  stack.Run(targets);
  // web3 goes away after a while, so its history shows both colours.
  ASSERT_TRUE(WaitFor([&] { return stack.EtcdKeys().size() == 4; }, std::chrono::seconds(20)));
  web3.Stop();
  ASSERT_TRUE(WaitFor(
      [&] {
        return stack.EtcdKeys().size() == 3 && stack.status->Registration().registered_keys == 3;
      },
      std::chrono::seconds(20)));

  const std::string url = "http://" + stack.server->address() + "/";
  absl::StatusOr<std::string> dom = registrar::testing::DumpDom(url);
  ASSERT_TRUE(dom.ok()) << dom.status();
  EXPECT_NE(dom->find("<h1>etcd-registrar</h1>"), std::string::npos) << *dom;
  EXPECT_NE(dom->find(">ready</span>"), std::string::npos);
  for (const auto& [target, state] :
       std::vector<std::pair<probes::Target, std::string>>{{targets[0], "healthy"},
                                                           {targets[1], "healthy"},
                                                           {targets[2], "unhealthy"},
                                                           {targets[3], "healthy"},
                                                           {targets[4], "unhealthy"}}) {
    EXPECT_EQ(RowState(*dom, target.Id()), state) << target.Id();
    EXPECT_NE(dom->find(target.Address()), std::string::npos);
  }
  EXPECT_NE(dom->find("status 503"), std::string::npos) << "the failing reason is shown";
  EXPECT_NE(dom->find("connection refused"), std::string::npos);
  EXPECT_NE(dom->find("/services/web/" + web1.address()), std::string::npos);
  const status::RegistrationView reg = stack.status->Registration();
  EXPECT_NE(dom->find(LeaseIdHex(reg.lease_id)), std::string::npos) << "the lease is shown";
  EXPECT_NE(dom->find(stack.etcd.endpoint()), std::string::npos);

  // The screenshot: into REGISTRAR_SCREENSHOT when set (docs/status-page.png
  // is made that way), else a temp file that only has to be a PNG.
  registrar::testing::TempDir dir;
  const char* out = std::getenv("REGISTRAR_SCREENSHOT");
  const std::string png = out != nullptr ? out : dir.File("status-page.png");
  absl::Status shot = registrar::testing::Screenshot(url, png);
  EXPECT_TRUE(shot.ok()) << shot;
  const std::string bytes = registrar::testing::ReadFile(png);
  ASSERT_GT(bytes.size(), 8u);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
  stack.TearDown();
}

// The drained tile and a drained target's row as a person sees them: the
// tile is in warning colour only when something is drained, and the row says
// why (in text on the page, not only in a tooltip).
TEST(StatusPage, TheDrainedTileWarnsOnlyAboveZeroAndTheReasonIsOnThePage) {
  auto metrics = metrics::Metrics::Create({});
  ASSERT_TRUE(metrics.ok());
  metrics::testing::FakeStatus status;
  const probes::Target web = HttpTarget("web", 8080), api = HttpTarget("api", 9090);
  probes::TargetStatus a, b;
  a.target = web;
  a.health = probes::Health::kHealthy;
  b.target = api;
  b.health = probes::Health::kHealthy;
  status.SetTargets({a, b});
  status.SetReady({true, ""});
  AdminServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.collectables = (*metrics)->Collectables();
  auto server = AdminServer::Start(options, status);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string url = "http://" + (*server)->address() + "/";

  auto page = registrar::testing::BrowserPage::Open();
  ASSERT_TRUE(page.ok()) << page.status();
  registrar::testing::BrowserPage& browser = **page;
  // The colours of the number and the tile of a card, as rendered.
  const auto card_colours = [&](const std::string& card) {
    auto v = browser.Evaluate("(() => { const c = document.querySelector('.card." + card +
                              "'); return getComputedStyle(c).backgroundColor + ' / ' +"
                              " getComputedStyle(c.querySelector('.n')).color; })()");
    return v.ok() ? *v : v.status().ToString();
  };
  ASSERT_TRUE(browser.Navigate(url).ok());
  EXPECT_EQ(*browser.Evaluate("document.querySelector('.card.drained .n').textContent"), "\"0\"");
  EXPECT_EQ(card_colours("drained"), card_colours("total")) << "zero drained looks like any count";

  status::RegistrationView reg;
  reg.drained[web.Id()] =
      status::DrainInfo{"disk swap", "cli:alice", WallTime::clock::now(), std::nullopt};
  status.SetRegistration(reg);
  ASSERT_TRUE(browser.Navigate(url).ok());
  EXPECT_EQ(*browser.Evaluate("document.querySelector('.card.drained .n').textContent"), "\"1\"");
  EXPECT_NE(card_colours("drained"), card_colours("total")) << "one drained stands out";
  // innerText is what is rendered: a title attribute is not part of it.
  const std::string row = "document.querySelector('tr[data-target=\"" + web.Id() + "\"]')";
  EXPECT_EQ(*browser.Evaluate(row + ".innerText.includes('disk swap')"), "true");
  EXPECT_EQ(*browser.Evaluate(row + ".innerText.includes('cli:alice')"), "true");
  (*server)->Stop();
}

// Targets from sources as a person sees them: each row says which source
// found the target, and the Sources table shows a failing source's error
// and a held shrink in text, with their counts.
TEST(StatusPage, TheSourcesTableShowsFailuresAndHeldRemovalsInText) {
  metrics::testing::FakeStatus status;
  probes::TargetStatus t;
  t.target = HttpTarget("billing", 8080);
  t.target.source = "dnsSd _http._tcp.billing.example";
  t.target.dynamic = true;
  t.health = probes::Health::kHealthy;
  status.SetTargets({t});
  status.SetReady({true, ""});
  sources::SourceState dns;
  dns.spec.kind = sources::SourceKind::kDnsSd;
  dns.spec.service = "billing";
  dns.name = "dnsSd _http._tcp.billing.example";
  dns.targets = 10;
  dns.answered = true;
  dns.last_success = WallTime::clock::now();
  dns.held_removals = 9;
  dns.changes_held = 1;
  sources::SourceState http = dns;
  http.spec.kind = sources::SourceKind::kHttpSd;
  http.name = "httpSd http://cmdb.example/sd";
  http.held_removals = 0;
  http.last_error = "HTTP 500";
  http.failures = {{"http_status", 3}};
  status.SetSources({dns, http});
  AdminServerOptions options;
  options.listen_address = "127.0.0.1:0";
  auto server = AdminServer::Start(options, status);
  ASSERT_TRUE(server.ok()) << server.status();
  auto page = registrar::testing::BrowserPage::Open();
  ASSERT_TRUE(page.ok()) << page.status();
  registrar::testing::BrowserPage& browser = **page;
  ASSERT_TRUE(browser.Navigate("http://" + (*server)->address() + "/").ok());
  const auto text = [&](const std::string& selector) {
    auto v = browser.Evaluate("document.querySelector('" + selector + "').innerText");
    return v.ok() ? *v : v.status().ToString();
  };
  const std::string held = text("tr[data-source=\"" + dns.name + "\"]");
  EXPECT_NE(held.find("9 kept until the next refresh confirms their removal"), std::string::npos)
      << held;
  const std::string failing = text("tr[data-source=\"" + http.name + "\"]");
  EXPECT_NE(failing.find("last refresh failed: HTTP 500; keeping the last good list"),
            std::string::npos)
      << failing;
  EXPECT_NE(failing.find("http_status 3"), std::string::npos) << failing;
  const std::string row = text("tr[data-target=\"" + t.target.Id() + "\"]");
  EXPECT_NE(row.find("from dnsSd _http._tcp.billing.example"), std::string::npos) << row;
  (*server)->Stop();
}

}  // namespace
}  // namespace registrar::admin
