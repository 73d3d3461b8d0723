// The status page and /api/v1/targets at 5 000 targets, as an operator uses
// them: headless Chromium (driven over the DevTools protocol) loads the page,
// picks filters in the form and clicks, sorts by a column and pages on; the
// API answers the same query with its total.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "admin/admin_server.h"
#include "tests/metrics/test_util.h"
#include "tests/support/cdp_browser.h"

namespace registrar::admin {
namespace {

using registrar::testing::BrowserPage;

constexpr int kTargets = 5000;
const char* const kServices[] = {"orders", "payments", "search", "web", "users"};

// Target i: service kServices[i % 5], host 127.0.(i / 250).(i % 250 + 1);
// every 7th unhealthy, every 11th never probed, the rest healthy and
// registered; every 100th drained.
void Fill(metrics::testing::FakeStatus& status) {
  std::vector<probes::TargetStatus> targets;
  status::RegistrationView reg;
  reg.members = {{"registrar-0", true, kTargets / 2}, {"registrar-1", false, kTargets / 2}};
  for (int i = 0; i < kTargets; ++i) {
    probes::TargetStatus t;
    t.target.service = kServices[i % 5];
    t.target.host = "127.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    t.target.port = 8080;
    t.since = WallTime(std::chrono::seconds(1764099000 + i));
    const std::string id = t.target.Id();
    if (i % 7 == 0) {
      t.health = probes::Health::kUnhealthy;
    } else if (i % 11 == 0) {
      t.health = probes::Health::kUnknown;
    } else {
      t.health = probes::Health::kHealthy;
      reg.keys_by_target[id] = "/services/" + id;
    }
    if (t.health != probes::Health::kUnknown) {
      probes::ProbeResult r;
      r.ok = t.health == probes::Health::kHealthy;
      r.reason = r.ok ? "status 200" : "connection refused";
      r.latency = std::chrono::microseconds(300 + i % 900);
      r.wall_start = t.since;
      t.recent.push_back(r);
    }
    if (i % 100 == 0) reg.drained[id] = {"kernel upgrade", "user alice", t.since, std::nullopt};
    reg.owner_by_target[id] = i % 2 == 0 ? "registrar-0" : "registrar-1";
    targets.push_back(std::move(t));
  }
  std::sort(targets.begin(), targets.end(),
            [](const auto& a, const auto& b) { return a.target.Id() < b.target.Id(); });
  reg.registered_keys = static_cast<int64_t>(reg.keys_by_target.size());
  status.SetTargets(std::move(targets));
  status.SetRegistration(std::move(reg));
  status.SetReady({true, ""});
}

// How many of the fixture's targets match unhealthy + orders + "127.0.1.".
int ExpectedUnhealthyOrdersIn127_0_1() {
  int n = 0;
  for (int i = 0; i < kTargets; ++i) {
    const std::string host = "127.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    if (i % 5 == 0 && i % 7 == 0 && host.find("127.0.1.") != std::string::npos) ++n;
  }
  return n;
}

class StatusPageScaleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Fill(status_);
    AdminServerOptions options;
    options.listen_address = "127.0.0.1:0";
    auto server = AdminServer::Start(options, status_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  std::string Base() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  metrics::testing::FakeStatus status_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(StatusPageScaleTest, TheApiFiltersSortsPagesAndSaysTheTotal) {
  httplib::Client client("127.0.0.1", server_->port());
  client.set_read_timeout(std::chrono::seconds(30));
  auto res =
      client.Get("/api/v1/targets?state=unhealthy&service=orders&q=127.0.1.&limit=3&offset=0");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body["total"], ExpectedUnhealthyOrdersIn127_0_1());
  ASSERT_EQ(body["targets"].size(), 3u);
  for (const auto& t : body["targets"]) {
    EXPECT_EQ(t["state"], "unhealthy");
    EXPECT_EQ(t["service"], "orders");
    EXPECT_NE(t["address"].get<std::string>().find("127.0.1."), std::string::npos);
    EXPECT_FALSE(t["owner"].is_null());
  }
  EXPECT_EQ(body["services"].size(), 5u);
  EXPECT_EQ(body["registration"]["members"].size(), 2u);

  // Default order: unhealthy first.
  auto all = client.Get("/api/v1/targets?limit=1");
  ASSERT_TRUE(all);
  const auto first = nlohmann::json::parse(all->body);
  EXPECT_EQ(first["total"], kTargets);
  EXPECT_EQ(first["targets"][0]["state"], "unhealthy");

  auto bad = client.Get("/api/v1/targets?state=sick");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("state: expected one of"), std::string::npos);
}

TEST_F(StatusPageScaleTest, ChromiumRendersTheFirstPageFastAndTheFiltersWorkByClicking) {
  auto page = BrowserPage::Open();
  ASSERT_TRUE(page.ok()) << page.status();
  BrowserPage& b = **page;
  absl::Status loaded = b.Navigate(Base() + "/");
  ASSERT_TRUE(loaded.ok()) << loaded;
  auto load_ms = b.Evaluate(
      "(() => { const n = performance.getEntriesByType('navigation')[0];"
      " return Math.round(n.loadEventEnd - n.startTime); })()");
  ASSERT_TRUE(load_ms.ok()) << load_ms.status();
  std::printf("status page, %d targets: first page loaded in %s ms (navigation start to load)\n",
              kTargets, load_ms->c_str());
  EXPECT_EQ(*b.Evaluate("document.querySelectorAll('#targets tbody tr').length"), "100");
  EXPECT_EQ(*b.Evaluate("document.querySelector('#matching').textContent"), "\"5000\"");
  EXPECT_EQ(*b.Evaluate("document.querySelector('#targets tbody tr').dataset.state"),
            "\"unhealthy\"")
      << "unhealthy first by default";
  EXPECT_EQ(*b.Evaluate("document.querySelectorAll('#services tbody tr').length"), "5");
  EXPECT_EQ(*b.Evaluate("document.body.textContent.includes('registrar-1')"), "true")
      << "members and owners are shown";

  // Pick filters in the form and click Filter, as a person would.
  ASSERT_TRUE(b.Evaluate("document.querySelector('#f-state').value = 'unhealthy';"
                         "document.querySelector('#f-service').value = 'orders';"
                         "document.querySelector('#f-q').value = '127.0.1.';"
                         "document.querySelector('#f-apply').click(); true")
                  .ok());
  ASSERT_TRUE(
      b.WaitUntil("location.search.includes('state=unhealthy') &&"
                  " document.readyState === 'complete' && !!document.querySelector('#matching')"));
  const int expected = ExpectedUnhealthyOrdersIn127_0_1();
  EXPECT_EQ(*b.Evaluate("document.querySelector('#matching').textContent"),
            "\"" + std::to_string(expected) + "\"");
  EXPECT_EQ(*b.Evaluate("[...document.querySelectorAll('#targets tbody tr')].every(r =>"
                        " r.dataset.state === 'unhealthy' && r.dataset.target.startsWith('orders/')"
                        " && r.dataset.target.includes('127.0.1.'))"),
            "true");
  EXPECT_EQ(*b.Evaluate("document.querySelector('#f-state').value"), "\"unhealthy\"")
      << "the form shows the filter in force";

  // Sort by a column: click its header, twice for descending.
  ASSERT_TRUE(b.Navigate(Base() + "/").ok());
  ASSERT_TRUE(b.Evaluate("document.querySelector('th a[data-sort=since]').click(); true").ok());
  ASSERT_TRUE(
      b.WaitUntil("location.search.includes('sort=since') && document.readyState === "
                  "'complete' && !!document.querySelector('#targets')"));
  EXPECT_EQ(*b.Evaluate("document.querySelector('#targets tbody tr').dataset.target"),
            "\"orders/127.0.0.1:8080\"")
      << "the oldest 'since' first";
  ASSERT_TRUE(b.Evaluate("document.querySelector('th a[data-sort=since]').click(); true").ok());
  ASSERT_TRUE(
      b.WaitUntil("location.search.includes('order=desc') && document.readyState === "
                  "'complete' && !!document.querySelector('#targets')"));
  EXPECT_EQ(*b.Evaluate("document.querySelector('#targets tbody tr').dataset.target"),
            "\"users/127.0.19.250:8080\"");

  // Page on.
  ASSERT_TRUE(b.Evaluate("document.querySelector('#next').click(); true").ok());
  ASSERT_TRUE(
      b.WaitUntil("location.search.includes('offset=100') && document.readyState === "
                  "'complete' && !!document.querySelector('#shown')"));
  EXPECT_EQ(*b.Evaluate("document.querySelector('#shown').textContent"), "\"101–200\"");
}

}  // namespace
}  // namespace registrar::admin
