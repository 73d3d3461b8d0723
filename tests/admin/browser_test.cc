// The status page as a person sees it: headless Chromium loads it from the
// real runtime (etcd, controller, prober), every target shows with its state,
// registered key and the lease, and a screenshot is kept.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "admin/render.h"
#include "tests/metrics/full_stack.h"
#include "tests/metrics/test_util.h"
#include "tests/support/browser.h"
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
  const RegistrationView reg = stack.status->Registration();
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

}  // namespace
}  // namespace registrar::admin
