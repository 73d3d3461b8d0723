// Host names on the direct path: resolved on the prober's loop by c-ares
// against a tiny DNS server on loopback (so the test depends on neither
// /etc/resolv.conf nor /etc/hosts), cached for the records' TTL; a name that
// stops resolving makes its target unhealthy with a "dns:" reason.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "probes/prober.h"
#include "tests/probes/recording_observer.h"
#include "tests/support/http_backend.h"
#include "tests/support/wait.h"

namespace registrar::probes {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Answers A queries for every name with 127.0.0.1 (TTL 1 s) while
// `answering`, NXDOMAIN otherwise; AAAA queries get no records.
class TinyDns {
 public:
  TinyDns() {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TinyDns() {
    stop_.store(true);
    thread_.join();
    close(fd_);
  }
  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
  std::atomic<bool> answering{true};
  std::atomic<int> queries{0};

 private:
  void Serve() {
    unsigned char q[512];
    while (!stop_.load()) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      sockaddr_in from{};
      socklen_t from_len = sizeof(from);
      ssize_t n = recvfrom(fd_, q, sizeof(q), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 17) continue;
      queries.fetch_add(1);
      size_t end = 12;  // the question's name, then type and class
      while (end < static_cast<size_t>(n) && q[end] != 0) end += q[end] + 1u;
      end += 5;
      if (end > static_cast<size_t>(n)) continue;
      int type = q[end - 4] << 8 | q[end - 3];
      bool a = type == 1 && answering.load();
      std::vector<unsigned char> r(q, q + end);
      r[2] = 0x81;                            // QR, RD
      r[3] = answering.load() ? 0x80 : 0x83;  // RA; NXDOMAIN when not answering
      r[4] = 0, r[5] = 1;                     // one question
      r[6] = 0, r[7] = a ? 1 : 0;             // answers
      r[8] = r[9] = r[10] = r[11] = 0;
      if (a) {
        const unsigned char answer[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 127, 0, 0, 1};
        r.insert(r.end(), answer, answer + sizeof(answer));
      }
      sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), from_len);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

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
