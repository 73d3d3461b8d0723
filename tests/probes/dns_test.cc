// Host names on the direct path: resolved on the prober's loop by c-ares
// against a tiny DNS server on loopback (so the test depends on neither
// /etc/resolv.conf nor /etc/hosts), cached for the records' TTL; a name that
// stops resolving makes its target unhealthy with a "dns:" reason.
#include <gtest/gtest.h>

#include <string>

#include "probes/prober.h"
#include "tests/probes/recording_observer.h"
#include "tests/support/http_backend.h"
#include "tests/support/tiny_dns.h"
#include "tests/support/wait.h"

namespace registrar::probes {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using testing::TinyDns;

Target Named(const std::string& host, int port) {
  Target t;
  t.service = "named";
  t.host = host;
  t.port = port;
  t.probe.http_get.path = "/healthz";
  t.probe.period = milliseconds(200);
  t.probe.timeout = seconds(5);
  t.probe.success_threshold = 1;
  t.probe.failure_threshold = 1;
  return t;
}

TEST(DnsTest, ANameResolvesOnTheLoopAndOneThatStopsResolvingIsUnhealthy) {
  TinyDns dns;
  testing::HttpBackend backend;
  RecordingObserver observer;
  SystemRandom random{1};
  ProberOptions options;
  options.dns_servers = {dns.server()};
  options.dns_min_ttl = milliseconds(100);
  auto prober = Prober::Create(RealClock(), random, options, &observer);
  Target t = Named("svc.registrar.test", backend.port());
  prober->SetTargets({t});
  prober->Start();
  ASSERT_TRUE(
      testing::WaitFor([&] { return observer.HealthOf(t.Id()) == Health::kHealthy; }, seconds(30)));
  EXPECT_GT(backend.hits(), 0);
  // Cached for the 1 s TTL: far fewer queries than probes (5 a second).
  size_t probes_before = observer.ResultCount(t.Id());
  int queries_before = dns.queries.load();
  ASSERT_TRUE(testing::WaitFor([&] { return observer.ResultCount(t.Id()) >= probes_before + 15; },
                               seconds(30)));
  EXPECT_LT(dns.queries.load() - queries_before, 15);

  dns.answering.store(false);
  ASSERT_TRUE(testing::WaitFor([&] { return observer.HealthOf(t.Id()) == Health::kUnhealthy; },
                               seconds(30)));
  EXPECT_TRUE(observer.LastReason(t.Id()).starts_with("dns: ")) << observer.LastReason(t.Id());
  dns.answering.store(true);
  EXPECT_TRUE(
      testing::WaitFor([&] { return observer.HealthOf(t.Id()) == Health::kHealthy; }, seconds(30)));
  prober->Stop();
}

TEST(DnsTest, LocalhostResolvesWithoutAnyDnsServer) {
  TinyDns dns;
  dns.answering.store(false);  // only /etc/hosts (or c-ares' own localhost) may answer
  testing::HttpBackend backend;
  RecordingObserver observer;
  SystemRandom random{1};
  ProberOptions options;
  options.dns_servers = {dns.server()};
  auto prober = Prober::Create(RealClock(), random, options, &observer);
  Target t = Named("localhost", backend.port());
  prober->SetTargets({t});
  prober->Start();
  EXPECT_TRUE(
      testing::WaitFor([&] { return observer.HealthOf(t.Id()) == Health::kHealthy; }, seconds(30)))
      << observer.LastReason(t.Id());
  prober->Stop();
}

}  // namespace
}  // namespace registrar::probes
