// Registrar + discover end to end: two real binaries, a real etcd, real
// HTTP backends. Backends that turn unhealthy / healthy appear as removed /
// added lines in `etcd-registrar discover --output json` within the probe
// bound (failureThreshold × period + timeout, plus the watch delay).
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include "nlohmann/json.hpp"
#include "tests/support/etcd_server.h"
#include "tests/support/http_backend.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace registrar::testing {
namespace {

using std::chrono::seconds;

// JSON lines of `discover` as (type, address) pairs; a snapshot line expands
// to one ("snapshot", address) per endpoint.
std::vector<std::pair<std::string, std::string>> Changes(const std::string& log) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("type")) continue;
    if (j["type"] == "snapshot") {
      for (const auto& e : j["endpoints"]) out.emplace_back("snapshot", e.value("address", ""));
    } else {
      out.emplace_back(j["type"].get<std::string>(), j["endpoint"].value("address", ""));
    }
  }
  return out;
}

bool Contains(const std::vector<std::pair<std::string, std::string>>& changes,
              const std::string& type, const std::string& address) {
  for (const auto& c : changes) {
    if (c.first == type && c.second == address) return true;
  }
  return false;
}

TEST(RegistrarAndDiscover, UnhealthyAndHealthyBackendsShowAsRemovesAndAddsWithinTheProbeBound) {
  EtcdServer etcd;
  ASSERT_TRUE(etcd.Start().ok());
  HttpBackend a;
  HttpBackend b;
  TempDir dir;
  {
    std::ofstream config(dir.File("config.yaml"));
    config << "etcd:\n  endpoints: [\"" << etcd.endpoint() << "\"]\n"
           << "registration:\n  prefix: /services/\n  leaseTTL: 10s\n"
           << "server:\n  listen: 127.0.0.1:" << FreePort() << "\n"
           << "defaults:\n  periodSeconds: 1\n  timeoutSeconds: 0.5\n  failureThreshold: 2\n"
           << "services:\n  - name: orders\n    format: json\n"
           << "    probe:\n      httpGet: {path: /healthz}\n"
           << "    endpoints: [\"" << a.address() << "\", \"" << b.address() << "\"]\n";
  }
  auto registrar = Process::Start({REGISTRAR_BINARY, "--config", dir.File("config.yaml")},
                                  dir.File("registrar.log"));
  ASSERT_TRUE(registrar.ok()) << registrar.status();
  auto discover =
      Process::Start({REGISTRAR_BINARY, "discover", "--endpoints", etcd.endpoint(), "--prefix",
                      "/services/orders/", "--format", "json", "--output", "json"},
                     dir.File("discover.out"), {}, /*stdout_only=*/true);
  ASSERT_TRUE(discover.ok()) << discover.status();

  auto seen = [&](const std::string& address) {
    auto c = Changes((*discover)->Log());
    return Contains(c, "snapshot", address) || Contains(c, "added", address);
  };
  ASSERT_TRUE(WaitFor([&] { return seen(a.address()) && seen(b.address()); }, seconds(20)))
      << (*discover)->Log() << (*registrar)->Log();

  // failureThreshold × period + timeout = 2.5 s; allow scheduling and watch delay.
  const Duration bound = seconds(8);
  a.SetStatus(500);
  EXPECT_TRUE(
      WaitFor([&] { return Contains(Changes((*discover)->Log()), "removed", a.address()); }, bound))
      << (*discover)->Log();
  a.SetStatus(200);
  EXPECT_TRUE(
      WaitFor([&] { return Contains(Changes((*discover)->Log()), "added", a.address()); }, bound))
      << (*discover)->Log();
  // b stayed healthy: it appeared once and never changed.
  int b_lines = 0;
  for (const auto& [type, address] : Changes((*discover)->Log())) {
    if (address == b.address()) {
      ++b_lines;
      EXPECT_TRUE(type == "snapshot" || type == "added") << type;
    }
  }
  EXPECT_EQ(b_lines, 1) << (*discover)->Log();

  (*discover)->Signal(SIGTERM);
  EXPECT_EQ((*discover)->Wait(seconds(10)), 0);
}

// stdout carries only JSON lines, so `discover -o json | jq` works; the
// discovery client's log lines go to stderr in the daemon's format.
TEST(DiscoverBinary, StdoutHasOnlyJsonLinesAndLogsGoToStderr) {
  EtcdServer etcd;
  ASSERT_TRUE(etcd.Start().ok());
  etcd.EtcdCtl({"put", "/x/web/127.0.0.1:1", "127.0.0.1:1"});
  TempDir dir;
  auto discover = Process::Start({REGISTRAR_BINARY, "discover", "--endpoints", etcd.endpoint(),
                                  "--prefix", "/x/", "-o", "json", "--dial-timeout", "5s"},
                                 dir.File("stdout"), {}, /*stdout_only=*/true);
  ASSERT_TRUE(discover.ok()) << discover.status();
  ASSERT_TRUE(WaitFor([&] { return (*discover)->Log().find("127.0.0.1:1") != std::string::npos; },
                      seconds(20)))
      << (*discover)->Log();
  etcd.EtcdCtl({"put", "/x/web/127.0.0.1:2", "127.0.0.1:2"});
  ASSERT_TRUE(WaitFor([&] { return (*discover)->Log().find("127.0.0.1:2") != std::string::npos; },
                      seconds(20)))
      << (*discover)->Log();
  (*discover)->Signal(SIGTERM);
  EXPECT_EQ((*discover)->Wait(seconds(10)), 0);
  std::istringstream lines((*discover)->Log());
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    EXPECT_TRUE(nlohmann::json::accept(line)) << "not JSON on stdout: " << line;
  }
  EXPECT_GE(count, 2);
}

TEST(DiscoverBinary, EachSubcommandHasItsOwnHelpFooter) {
  int code = -1;
  std::string discover = RunCommand({REGISTRAR_BINARY, "discover", "--help"}, &code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(discover.find("logs go to stderr"), std::string::npos) << discover;
  EXPECT_EQ(discover.find("SIGHUP"), std::string::npos) << discover;
  std::string check = RunCommand({REGISTRAR_BINARY, "check-config", "--help"}, &code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(check.find("0 valid"), std::string::npos) << check;
  EXPECT_EQ(check.find("SIGHUP"), std::string::npos) << check;
  std::string run = RunCommand({REGISTRAR_BINARY, "--help"}, &code);
  EXPECT_NE(run.find("SIGHUP"), std::string::npos) << run;
}

}  // namespace
}  // namespace registrar::testing
