// The etcd-registrar binary resolves a target's host name on its probe loop
// with the DNS servers of probes.dnsServers, and keeps each answer for at
// least probes.dnsMinTTL even when the record's TTL is 0: a test DNS server on
// loopback records when every A query comes. A reload that changes dnsMinTTL
// says it needs a restart, and the one in force stays.
#include <signal.h>

#include <gtest/gtest.h>

#include <fstream>

#include "tests/controller/binary_fixture.h"
#include "tests/support/http_backend.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tiny_dns.h"
#include "tests/support/wait.h"

namespace registrar::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Below the 5 s default, so a daemon that dropped the setting fails the upper
// bound below; a record TTL of 0 makes a daemon without the floor ask per probe.
constexpr Duration kMinTtl = seconds(2);
// A fresh lookup comes with the first probe after the cached answer expires:
// within one period (0.5 s) plus scheduling slack, well before the default.
constexpr Duration kMaxGap = milliseconds(4500);

class RegistrarDns : public RegistrarBinaryTest {
 protected:
  void SetUp() override {
    RegistrarBinaryTest::SetUp();
    dns_.SetAnswer(0x7f000001, /*ttl_seconds=*/0);
  }

  void WriteConfig(const std::string& dns_min_ttl) {
    std::ofstream config(dir_.File("config.yaml"));
    config << "etcd:\n  endpoints: [\"" << etcd_.endpoint() << "\"]\n"
           << "registration:\n  prefix: /services/\n  leaseTTL: 10s\n"
           << "server:\n  listen: 127.0.0.1:" << FreePort() << "\n"
           << "probes:\n  dnsServers: [\"" << dns_.server() << "\"]\n"
           << "  dnsMinTTL: " << dns_min_ttl << "\n"
           << "defaults:\n  periodSeconds: 0.5\n  timeoutSeconds: 0.4\n"
           << "services:\n  - name: web\n    probe:\n      httpGet: {path: /healthz}\n"
           << "    endpoints: [\"backend.registrar.test:" << backend_.port() << "\"]\n";
  }

  std::unique_ptr<Process> StartRegistrar() {
    auto p = Process::Start({REGISTRAR_BINARY, "--config", dir_.File("config.yaml")},
                            dir_.File("registrar.log"));
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *std::move(p) : nullptr;
  }

  // Waits until `count` A queries came after `since` (the first counts from
  // there), then expects every gap between them in [kMinTtl, kMaxGap).
  void ExpectLookupsEveryMinTtl(size_t since, size_t count, const Process& registrar) {
    ASSERT_TRUE(WaitFor([&] { return dns_.AQueryTimes().size() >= since + count; }, seconds(30)))
        << dns_.AQueryTimes().size() << " A queries\n"
        << registrar.Log();
    std::vector<MonoTime> times = dns_.AQueryTimes();
    for (size_t i = since + 1; i < since + count; ++i) {
      Duration gap = times[i] - times[i - 1];
      EXPECT_GE(gap, kMinTtl) << "A query " << i << " came "
                              << std::chrono::duration<double>(gap).count()
                              << " s after the one before";
      EXPECT_LT(gap, kMaxGap) << "A query " << i << " came "
                              << std::chrono::duration<double>(gap).count()
                              << " s after the one before";
    }
  }

  TinyDns dns_;
  HttpBackend backend_;
  TempDir dir_;
};

TEST_F(RegistrarDns, AHostNameIsAskedOfDnsServersAndCachedForDnsMinTtlAboveTheRecordTtl) {
  WriteConfig("2s");
  auto registrar = StartRegistrar();
  ASSERT_NE(registrar, nullptr);
  ASSERT_TRUE(WaitFor([&] { return KeyCount() == 1; }, seconds(20))) << registrar->Log();
  EXPECT_GT(backend_.hits(), 0);
  // Probes every 0.5 s, record TTL 0: four lookups 2 s apart, not one per probe.
  ExpectLookupsEveryMinTtl(0, 4, *registrar);
  registrar->Signal(SIGTERM);
  EXPECT_EQ(registrar->Wait(seconds(15)), 0) << registrar->Log();
}

TEST_F(RegistrarDns, AReloadThatChangesDnsMinTtlSaysItNeedsARestartAndKeepsTheOneInForce) {
  WriteConfig("2s");
  auto registrar = StartRegistrar();
  ASSERT_NE(registrar, nullptr);
  ASSERT_TRUE(WaitFor([&] { return KeyCount() == 1; }, seconds(20))) << registrar->Log();
  WriteConfig("30s");
  registrar->Signal(SIGHUP);
  ASSERT_TRUE(WaitFor(
      [&] {
        return registrar->Log().find(
                   "probes.dnsMinTTL differs from the running config; it takes effect at "
                   "the next restart") != std::string::npos;
      },
      seconds(20)))
      << registrar->Log();
  // Still 2 s apart after the reload (30 s would leave a gap of 30 s).
  ExpectLookupsEveryMinTtl(dns_.AQueryTimes().size(), 3, *registrar);
  registrar->Signal(SIGTERM);
  EXPECT_EQ(registrar->Wait(seconds(15)), 0) << registrar->Log();
}

}  // namespace
}  // namespace registrar::testing
