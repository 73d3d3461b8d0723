// The Prober against real local servers, in real time (short periods).
#include "probes/prober.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <atomic>
#include <mutex>
#include <optional>

#include "tests/probes/prober_fixture.h"
#include "tests/probes/raw_server.h"
#include "tests/support/http_backend.h"
#include "tests/support/ports.h"
#include "tests/support/wait.h"

namespace registrar::probes {
namespace {

using registrar::testing::HttpBackend;
using registrar::testing::WaitFor;
using std::chrono::milliseconds;
using testing::KeepAliveOk;
using testing::RawServer;

TEST_P(ProberTest, AHealthyHttpTargetBecomesHealthy) {
  HttpBackend backend;
  Target t = HttpTarget("web", backend.port());
  Start({t});
  ASSERT_TRUE(WaitFor([&] { return observer_.HealthOf(t.Id()) == Health::kHealthy; }));
  auto transitions = observer_.Transitions(t.Id());
  ASSERT_EQ(transitions.size(), 1u);
  EXPECT_EQ(transitions[0].from, Health::kUnknown);
  EXPECT_EQ(transitions[0].cause.reason, "status 200");
  EXPECT_EQ(transitions[0].cause.http_status, 200);
  EXPECT_GT(transitions[0].cause.latency, Duration::zero());
}

// timeoutSeconds above periodSeconds, as kubelet allows: a target that takes
// 400 ms to answer, probed every 100 ms, is never probed twice at once; the
// next probe starts when the previous ends, and the snapshot says the probes
// run later than their period.
TEST_P(ProberTest, AProbeSlowerThanItsPeriodNeverOverlapsItselfAndIsReportedLate) {
  std::atomic<int> in_flight{0}, most{0}, answered{0};
  RawServer server([&](int fd, const std::atomic<bool>& stopping) {
    while (RawServer::ReadRequestHead(fd, stopping)) {
      const int now = ++in_flight;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      RawServer::Pause(400, stopping);
      --in_flight;
      ++answered;
      if (!RawServer::WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")) return;
    }
  });
  Target t = HttpTarget("slow", server.port());
  t.probe.period = milliseconds(100);
  t.probe.timeout = std::chrono::seconds(2);
  Start({t});
  const auto late = [&]() -> std::optional<TargetStatus> {
    for (const TargetStatus& s : prober_->Snapshot()) {
      if (s.target.Id() == t.Id() && s.late_probes >= 3) return s;
    }
    return std::nullopt;
  };
  ASSERT_TRUE(WaitFor([&] { return late().has_value(); }, std::chrono::seconds(30)));
  const TargetStatus status = *late();
  EXPECT_EQ(most.load(), 1) << "a probe overlapped the one before";
  EXPECT_GE(status.interval, milliseconds(400)) << "the next starts when the previous ends";
  EXPECT_EQ(status.health, Health::kHealthy) << "slow but within its timeout";
}

TEST_P(ProberTest, AFailingStatusMakesTheTargetUnhealthyAfterFailureThreshold) {
  HttpBackend backend;
  Target t = HttpTarget("web", backend.port());
  Start({t});
  ASSERT_TRUE(WaitFor([&] { return observer_.HealthOf(t.Id()) == Health::kHealthy; }));
  backend.SetStatus(503);
  ASSERT_TRUE(WaitFor([&] { return observer_.HealthOf(t.Id()) == Health::kUnhealthy; }));
  auto transitions = observer_.Transitions(t.Id());
  ASSERT_EQ(transitions.size(), 2u);
  EXPECT_EQ(transitions[1].cause.reason, "status 503");
  // failureThreshold = 2: the two results before the transition were failures.
  auto results = observer_.Results(t.Id());
  size_t failures = 0;
  for (const auto& e : results) failures += e.result.ok ? 0 : 1;
  EXPECT_GE(failures, 2u);
  backend.SetStatus(200);
  ASSERT_TRUE(WaitFor([&] { return observer_.HealthOf(t.Id()) == Health::kHealthy; }));
}

TEST_P(ProberTest, ExpectedStatusesReplaceTheDefaultRange) {
  HttpBackend backend;
  backend.SetStatus(418);
  Target teapot = HttpTarget("teapot", backend.port());
  teapot.probe.http_get.expected_statuses = {{418, 418}};
  Target plain = HttpTarget("plain", backend.port());
  plain.probe.http_get.path = "/other";
  Start({teapot, plain});
  ASSERT_TRUE(WaitFor([&] {
    return observer_.HealthOf(teapot.Id()) == Health::kHealthy &&
           observer_.HealthOf(plain.Id()) == Health::kUnhealthy;
  }));
  EXPECT_EQ(observer_.LastReason(plain.Id()), "status 418");
}

TEST_P(ProberTest, ConnectionRefusedIsUnhealthyWithItsReason) {
  int port = registrar::testing::FreePort();
  Target http = HttpTarget("http", port);
  Target tcp = TcpTarget("tcp", port);
  Start({http, tcp});
  ASSERT_TRUE(WaitFor([&] {
    return observer_.HealthOf(http.Id()) == Health::kUnhealthy &&
           observer_.HealthOf(tcp.Id()) == Health::kUnhealthy;
  }));
  EXPECT_EQ(observer_.Transitions(http.Id())[0].cause.reason, "connection refused");
  EXPECT_EQ(observer_.Transitions(tcp.Id())[0].cause.reason, "connection refused");
}

TEST_P(ProberTest, ATcpTargetThatAcceptsIsHealthy) {
  HttpBackend backend;
  Target t = TcpTarget("db", backend.port());
  Start({t});
  ASSERT_TRUE(WaitFor([&] { return observer_.HealthOf(t.Id()) == Health::kHealthy; }));
  EXPECT_EQ(observer_.Transitions(t.Id())[0].cause.reason, "connected");
}

TEST_P(ProberTest, ATcpProbeClosesItsConnectionRightAway) {
  RawServer server(KeepAliveOk());
  Target t = TcpTarget("db", server.port());
  t.probe.period = milliseconds(20);
  Start({t});
  ASSERT_TRUE(WaitFor([&] { return observer_.ResultCount(t.Id()) >= 5; }));
  // Every probe's connection is closed by the prober (not left open).
  EXPECT_TRUE(WaitFor([&] { return server.finished() >= 4; }));
}

TEST_P(ProberTest, ReusesOneConnectionPerTargetByDefault) {
  RawServer server(KeepAliveOk());
  Target t = HttpTarget("web", server.port());
  t.probe.period = milliseconds(20);
  Start({t});
  ASSERT_TRUE(WaitFor([&] { return observer_.ResultCount(t.Id()) >= 10; }));
  for (const auto& e : observer_.Results(t.Id())) EXPECT_TRUE(e.result.ok) << e.result.reason;
  EXPECT_EQ(server.accepted(), 1);
}

TEST_P(ProberTest, FreshConnectionPerProbeWhenReuseIsOff) {
  RawServer server(KeepAliveOk());
  Target t = HttpTarget("web", server.port());
  t.probe.reuse_connections = false;
  t.probe.period = milliseconds(20);
  Start({t});
  ASSERT_TRUE(WaitFor([&] { return observer_.ResultCount(t.Id()) >= 10; }));
  for (const auto& e : observer_.Results(t.Id())) EXPECT_TRUE(e.result.ok) << e.result.reason;
  EXPECT_GE(server.accepted(), 10);
}

TEST_P(ProberTest, SendsTheConfiguredMethodPathAndHeaders) {
  std::mutex mu;
  std::string head;
  RawServer server([&](int fd, const std::atomic<bool>& stopping) {
    std::string h;
    while (RawServer::ReadRequestHead(fd, stopping, &h)) {
      {
        std::lock_guard lock(mu);
        head = h;
      }
      if (!RawServer::WriteAll(fd, "HTTP/1.1 204 No Content\r\n\r\n")) return;
    }
  });
  Target t = HttpTarget("api", server.port());
  t.probe.http_get.method = "POST";
  t.probe.http_get.path = "/ready?deep=1";
  t.probe.http_get.http_headers = {{"Host", "api.internal"}, {"X-Probe", "registrar"}};
  Start({t});
  ASSERT_TRUE(WaitFor([&] { return observer_.HealthOf(t.Id()) == Health::kHealthy; }))
      << observer_.LastReason(t.Id());
  std::lock_guard lock(mu);
  EXPECT_EQ(head.rfind("POST /ready?deep=1 HTTP/1.1\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Host: api.internal\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Probe: registrar\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Length: 0\r\n"), std::string::npos) << head;  // a bodiless POST
}

TEST_P(ProberTest, BodyRegexesMustMatchAndMustNotMatch) {
  RawServer server([](int fd, const std::atomic<bool>& stopping) {
    while (RawServer::ReadRequestHead(fd, stopping)) {
      std::string body = "{\"status\":\"degraded\"}";
      if (!RawServer::WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: " +
                                       std::to_string(body.size()) + "\r\n\r\n" + body)) {
        return;
      }
    }
  });
  Target must = HttpTarget("must", server.port());
  must.probe.http_get.body_regex = "\"status\":\"ok\"";
  Target must_not = HttpTarget("must-not", server.port());
  must_not.probe.http_get.path = "/b";
  must_not.probe.http_get.body_not_regex = "degraded";
  Target fine = HttpTarget("fine", server.port());
  fine.probe.http_get.path = "/c";
  fine.probe.http_get.body_regex = "status";
  Start({must, must_not, fine});
  ASSERT_TRUE(WaitFor([&] {
    return observer_.HealthOf(must.Id()) == Health::kUnhealthy &&
           observer_.HealthOf(must_not.Id()) == Health::kUnhealthy &&
           observer_.HealthOf(fine.Id()) == Health::kHealthy;
  }));
  EXPECT_EQ(observer_.LastReason(must.Id()), "body did not match");
  EXPECT_EQ(observer_.LastReason(must_not.Id()), "body matched forbidden regex");
}

TEST_P(ProberTest, KeepsTheLastNResultsPerTargetInTheSnapshot) {
  HttpBackend backend;
  Target t = HttpTarget("web", backend.port());
  Start({t}, ProberOptions{.max_in_flight = 16, .history_size = 3});
  ASSERT_TRUE(WaitFor([&] { return observer_.ResultCount(t.Id()) >= 5; }));
  auto snapshot = prober_->Snapshot();
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_EQ(snapshot[0].target, t);
  EXPECT_EQ(snapshot[0].health, Health::kHealthy);
  EXPECT_EQ(snapshot[0].recent.size(), 3u);
  EXPECT_EQ(snapshot[0].recent.back().reason, "status 200");
  // Oldest first, and the newest is the last result reported.
  for (size_t i = 1; i < snapshot[0].recent.size(); ++i) {
    EXPECT_LT(snapshot[0].recent[i - 1].start, snapshot[0].recent[i].start);
  }
  auto reported = observer_.Results(t.Id());
  bool newest_reported = false;
  for (const auto& e : reported)
    newest_reported |= e.result.start == snapshot[0].recent.back().start;
  EXPECT_TRUE(newest_reported);
}

TEST_P(ProberTest, RemovedTargetsStopAndNewOnesStart) {
  HttpBackend a;
  HttpBackend b;
  Target ta = HttpTarget("a", a.port());
  Target tb = HttpTarget("b", b.port());
  Start({ta});
  ASSERT_TRUE(WaitFor([&] { return observer_.HealthOf(ta.Id()) == Health::kHealthy; }));
  prober_->SetTargets({tb});
  ASSERT_TRUE(WaitFor([&] { return observer_.HealthOf(tb.Id()) == Health::kHealthy; }));
  ASSERT_TRUE(WaitFor([&] {
    auto s = prober_->Snapshot();
    return s.size() == 1 && s[0].target.Id() == tb.Id();
  }));
  size_t count = observer_.ResultCount(ta.Id());
  ASSERT_TRUE(WaitFor([&] { return observer_.ResultCount(tb.Id()) >= 5; }));
  EXPECT_LE(observer_.ResultCount(ta.Id()), count + 1);  // at most one probe was in flight
  EXPECT_EQ(observer_.Transitions(ta.Id()).size(), 1u);  // no transition on removal
  prober_->Stop();  // closes kept-alive connections, so the backends stop at once
}

TEST_P(ProberTest, AChangedSpecKeepsHealthAndHistory) {
  HttpBackend backend;
  Target t = HttpTarget("web", backend.port());
  Start({t});
  ASSERT_TRUE(WaitFor([&] { return observer_.HealthOf(t.Id()) == Health::kHealthy; }));
  Target changed = t;
  changed.probe.http_get.expected_statuses = {{204, 204}};
  changed.probe.failure_threshold = 1;
  prober_->SetTargets({changed});
  ASSERT_TRUE(WaitFor([&] { return observer_.HealthOf(t.Id()) == Health::kUnhealthy; }));
  auto transitions = observer_.Transitions(t.Id());
  ASSERT_EQ(transitions.size(), 2u);
  EXPECT_EQ(transitions[1].from, Health::kHealthy);
  EXPECT_EQ(transitions[1].cause.reason, "status 200");
}

TEST_P(ProberTest, InitialDelayPostponesTheFirstProbe) {
  HttpBackend backend;
  Target t = HttpTarget("web", backend.port());
  t.probe.initial_delay = milliseconds(300);
  auto begin = RealClock().Now();
  Start({t});
  ASSERT_TRUE(WaitFor([&] { return observer_.ResultCount(t.Id()) >= 1; }));
  EXPECT_GE(observer_.Results(t.Id())[0].result.start - begin, milliseconds(300));
}

TEST_P(ProberTest, StopIsIdempotentAndSafeBeforeStart) {
  auto prober = Prober::Create(RealClock(), random_, {}, nullptr);
  prober->Stop();
  prober->Stop();
  EXPECT_TRUE(prober->Snapshot().empty());
}

INSTANTIATE_TEST_SUITE_P(BothPaths, ProberTest, ::testing::Values(true, false), PathName);

}  // namespace
}  // namespace registrar::probes
