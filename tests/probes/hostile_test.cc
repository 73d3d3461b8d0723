// Hostile backends: each makes only its own target unhealthy, with the right
// reason, within its timeout, while a healthy target probed alongside stays
// healthy and on schedule. Real local servers, real time, short timeouts.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "tests/probes/hostile_fixture.h"
#include "tests/support/ports.h"
#include "tests/support/wait.h"

namespace registrar::probes {
namespace {

using registrar::testing::WaitFor;
using testing::KeepAliveOk;
using testing::RawServer;

TEST_P(HostileTest, ConnectionRefused) {
  Target t = HttpTarget("refused", registrar::testing::FreePort());
  Start({t});
  ExpectUnhealthy(t, "connection refused");
  ExpectSentinelUndisturbed();
}

TEST_P(HostileTest, AcceptsButNeverReplies) {
  RawServer server(&NeverReply);
  Target t = HttpTarget("silent", server.port());
  Start({t});
  ExpectUnhealthy(t, "timeout after 500ms");
  ExpectSentinelUndisturbed();
}

TEST_P(HostileTest, RepliesOneBytePerSecond) {
  RawServer server(&Slowloris);
  Target t = HttpTarget("slowloris", server.port());
  Start({t});
  ExpectUnhealthy(t, "timeout after 500ms");
  ExpectSentinelUndisturbed();
}

TEST_P(HostileTest, GarbageInsteadOfHttp) {
  // A TLS record header, then text: sized by the literal, not by hand.
  constexpr char kGarbage[] = "\x16\x03\x01 garbage, not HTTP at all\r\n\r\n";
  RawServer server(Respond(std::string(kGarbage, sizeof kGarbage - 1)));
  Target t = HttpTarget("garbage", server.port());
  Start({t});
  ExpectUnhealthy(t, "invalid HTTP response");
  ExpectSentinelUndisturbed();
}

TEST_P(HostileTest, Http10WithoutLengthThatNeverEndsTimesOut) {
  RawServer server([](int fd, const std::atomic<bool>& stopping) {
    if (!RawServer::ReadRequestHead(fd, stopping)) return;
    RawServer::WriteAll(fd, "HTTP/1.0 200 OK\r\n\r\nstill going");
    RawServer::Pause(60000, stopping);  // the body "ends" only at close, which never comes
  });
  Target t = HttpTarget("http10-open", server.port());
  Start({t});
  ExpectUnhealthy(t, "timeout after 500ms");
  ExpectSentinelUndisturbed();
}

TEST_P(HostileTest, Http10WithoutLengthThatClosesIsAValidResponse) {
  RawServer server([](int fd, const std::atomic<bool>& stopping) {
    if (RawServer::ReadRequestHead(fd, stopping)) {
      RawServer::WriteAll(fd, "HTTP/1.0 200 OK\r\n\r\nbody ends at close");
    }
  });
  Target t = HttpTarget("http10", server.port());
  t.probe.http_get.body_regex = "ends at close";
  Start({t});
  ASSERT_TRUE(WaitFor([&] { return observer_.ResultCount(t.Id()) >= 3; }));
  for (const auto& e : observer_.Results(t.Id())) EXPECT_TRUE(e.result.ok) << e.result.reason;
  ExpectSentinelUndisturbed();
}

// Streams a 100 MB body; counts what it managed to send.
class HugeBody {
 public:
  HugeBody()
      : server_([this](int fd, const std::atomic<bool>& stopping) {
          if (!RawServer::ReadRequestHead(fd, stopping)) return;
          constexpr int64_t kSize = 100 << 20;
          if (!RawServer::WriteAll(
                  fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kSize) + "\r\n\r\n")) {
            return;
          }
          std::string chunk(64 << 10, 'x');
          for (int64_t sent = 0; sent < kSize && !stopping.load(); sent += chunk.size()) {
            if (!RawServer::WriteAll(fd, chunk)) return;
            sent_.fetch_add(static_cast<int64_t>(chunk.size()));
          }
        }) {}
  int port() const { return server_.port(); }
  int64_t sent() const { return sent_.load(); }

 private:
  std::atomic<int64_t> sent_{0};
  RawServer server_;
};

TEST_P(HostileTest, HundredMegabyteBodyIsCutAtMaxBodyBytes) {
  HugeBody server;
  Target t = HttpTarget("huge", server.port());
  t.probe.http_get.body_regex = "NEEDLE";  // never in the first 64 KiB
  Start({t});
  ExpectUnhealthy(t, "body did not match");
  ExpectSentinelUndisturbed();
  // Reading stopped at the limit: the server could push only what socket
  // buffers hold, far from 100 MB per probe.
  size_t probes = observer_.ResultCount(t.Id());
  EXPECT_LT(server.sent(), static_cast<int64_t>(probes + 1) * (16 << 20));
}

TEST_P(HostileTest, HundredMegabyteBodyIsJudgedOnWhatWasReadWithoutWaitingForTheRest) {
  HugeBody server;
  Target t = HttpTarget("huge-ok", server.port());
  Start({t});
  ASSERT_TRUE(WaitFor([&] { return observer_.HealthOf(t.Id()) == Health::kHealthy; }));
  for (const auto& e : observer_.Results(t.Id())) {
    EXPECT_TRUE(e.result.ok) << e.result.reason;
    EXPECT_LT(e.result.latency, kTimeout);  // aborted at 64 KiB, not timed out
  }
  ExpectSentinelUndisturbed();
}

TEST_P(HostileTest, RedirectLoopWhenFollowingRedirects) {
  RawServer server(Respond("HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n"));
  Target t = HttpTarget("loop", server.port());
  t.probe.http_get.follow_redirects = true;
  t.probe.http_get.max_redirects = 5;
  Start({t});
  ExpectUnhealthy(t, "too many redirects");
  ExpectSentinelUndisturbed();
}

TEST_P(HostileTest, ARedirectIsASuccessWhenNotFollowing) {
  RawServer server(Respond("HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n"));
  Target t = HttpTarget("redirect", server.port());
  Start({t});
  ASSERT_TRUE(WaitFor([&] { return observer_.HealthOf(t.Id()) == Health::kHealthy; }));
  EXPECT_EQ(observer_.Transitions(t.Id())[0].cause.reason, "status 302");
}

TEST_P(HostileTest, AFlappingTargetCrossesThresholdsExactlyAsSpecified) {
  // The n-th request gets script[n] (then 200 forever).
  const std::vector<int> script = {200, 200, 503, 200, 503, 503, 503, 200, 503, 200, 200};
  std::atomic<size_t> served{0};
  RawServer server([&](int fd, const std::atomic<bool>& stopping) {
    while (RawServer::ReadRequestHead(fd, stopping)) {
      size_t n = served.fetch_add(1);
      int status = n < script.size() ? script[n] : 200;
      std::string line = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\n\r\n";
      if (!RawServer::WriteAll(fd, line)) return;
    }
  });
  Target t = HttpTarget("flappy", server.port());
  t.probe.period = milliseconds(20);
  t.probe.success_threshold = 2;
  t.probe.failure_threshold = 3;
  Start({t});
  ASSERT_TRUE(WaitFor([&] { return observer_.ResultCount(t.Id()) >= script.size() + 2; }));
  auto transitions = observer_.Transitions(t.Id());
  // 200 200 → healthy (2 successes); 503 200 resets; 503 503 503 → unhealthy
  // (3 failures); 200 503 resets; 200 200 → healthy.
  ASSERT_EQ(transitions.size(), 3u);
  EXPECT_EQ(transitions[0].to, Health::kHealthy);
  EXPECT_EQ(transitions[1].to, Health::kUnhealthy);
  EXPECT_EQ(transitions[1].cause.reason, "status 503");
  EXPECT_EQ(transitions[2].to, Health::kHealthy);
  auto results = observer_.Results(t.Id());
  EXPECT_EQ(transitions[0].cause.start, results[1].result.start);
  EXPECT_EQ(transitions[1].cause.start, results[6].result.start);
  EXPECT_EQ(transitions[2].cause.start, results[10].result.start);
  ExpectSentinelUndisturbed();
}

TEST_P(HostileTest, AllAtOnceEachFailsAloneWithItsOwnReason) {
  RawServer silent(&NeverReply);
  RawServer slow(&Slowloris);
  RawServer garbage(Respond("garbage garbage garbage\r\n\r\n"));
  RawServer loop(Respond("HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n"));
  HugeBody huge;
  Target refused = HttpTarget("refused", registrar::testing::FreePort());
  Target t_silent = HttpTarget("silent", silent.port());
  Target t_slow = HttpTarget("slow", slow.port());
  Target t_garbage = HttpTarget("garbage", garbage.port());
  Target t_loop = HttpTarget("loop", loop.port());
  t_loop.probe.http_get.follow_redirects = true;
  Target t_huge = HttpTarget("huge", huge.port());
  t_huge.probe.http_get.body_regex = "NEEDLE";
  Start({refused, t_silent, t_slow, t_garbage, t_loop, t_huge});
  ExpectUnhealthy(refused, "connection refused");
  ExpectUnhealthy(t_silent, "timeout after 500ms");
  ExpectUnhealthy(t_slow, "timeout after 500ms");
  ExpectUnhealthy(t_garbage, "invalid HTTP response");
  ExpectUnhealthy(t_loop, "too many redirects");
  ExpectUnhealthy(t_huge, "body did not match");
  ExpectSentinelUndisturbed();
}

INSTANTIATE_TEST_SUITE_P(BothPaths, HostileTest, ::testing::Values(true, false), PathName);

}  // namespace
}  // namespace registrar::probes
