// Test fixture for hostile backends: a prober with a healthy "sentinel"
// target probed alongside, which must stay healthy and on schedule.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "probes/prober.h"
#include "tests/probes/prober_fixture.h"
#include "tests/probes/raw_server.h"
#include "tests/probes/recording_observer.h"
#include "tests/support/wait.h"

namespace registrar::probes {

using std::chrono::milliseconds;

constexpr auto kTimeout = milliseconds(500);
// Generous bound for "on schedule"; not a speed test.
constexpr auto kMaxSentinelLag = milliseconds(100);

inline Target HttpTarget(const std::string& service, int port) {
  Target t;
  t.service = service;
  t.host = "127.0.0.1";
  t.port = port;
  t.probe.period = milliseconds(200);
  t.probe.timeout = kTimeout;
  t.probe.success_threshold = 1;
  t.probe.failure_threshold = 2;
  return t;
}

// Serves `response` to every request on a kept-alive connection.
inline testing::RawServer::Handler Respond(std::string response) {
  return [response](int fd, const std::atomic<bool>& stopping) {
    while (testing::RawServer::ReadRequestHead(fd, stopping)) {
      if (!testing::RawServer::WriteAll(fd, response)) return;
    }
  };
}

// Reads the request, then holds the connection open, silent.
inline void NeverReply(int fd, const std::atomic<bool>& stopping) {
  if (testing::RawServer::ReadRequestHead(fd, stopping)) testing::RawServer::Pause(60000, stopping);
}

// A valid response, one byte per second.
inline void Slowloris(int fd, const std::atomic<bool>& stopping) {
  if (!testing::RawServer::ReadRequestHead(fd, stopping)) return;
  std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  for (char c : response) {
    if (stopping.load() || !testing::RawServer::WriteAll(fd, std::string(1, c))) return;
    testing::RawServer::Pause(1000, stopping);
  }
}

// The prober with a sentinel; `direct_` picks the probe path (both must hold).
class HostileBase : public ::testing::Test {
 protected:
  HostileBase() : sentinel_server_(testing::KeepAliveOk()) {
    sentinel_ = HttpTarget("sentinel", sentinel_server_.port());
    sentinel_.probe.period = milliseconds(50);
  }

  void Start(std::vector<Target> hostile, ProberOptions options = {}) {
    hostile.push_back(sentinel_);
    options.direct_sockets = direct_;
    prober_ = Prober::Create(RealClock(), random_, options, &observer_);
    prober_->SetTargets(std::move(hostile));
    prober_->Start();
  }

  // The target turns unhealthy with `reason`, each failed probe ended within
  // the timeout (plus scheduling slack), and the sentinel was never disturbed.
  void ExpectUnhealthy(const Target& t, const std::string& reason) {
    ASSERT_TRUE(registrar::testing::WaitFor([&] {
      return observer_.HealthOf(t.Id()) == Health::kUnhealthy;
    })) << t.Id()
        << " last reason: " << observer_.LastReason(t.Id());
    auto transitions = observer_.Transitions(t.Id());
    ASSERT_EQ(transitions.size(), 1u);
    EXPECT_EQ(transitions[0].cause.reason, reason);
    for (const auto& e : observer_.Results(t.Id())) {
      EXPECT_LE(e.result.latency, kTimeout + milliseconds(250)) << e.result.reason;
    }
  }

  void ExpectSentinelUndisturbed() {
    // Let the sentinel run through at least a few hostile probes' lifetimes.
    ASSERT_TRUE(
        registrar::testing::WaitFor([&] { return observer_.ResultCount(sentinel_.Id()) >= 20; }));
    auto transitions = observer_.Transitions(sentinel_.Id());
    ASSERT_EQ(transitions.size(), 1u);
    EXPECT_EQ(transitions[0].to, Health::kHealthy);
    EXPECT_LT(observer_.MaxLag(sentinel_.Id()), kMaxSentinelLag);
    for (const auto& e : observer_.Results(sentinel_.Id())) {
      EXPECT_TRUE(e.result.ok) << e.result.reason;
    }
  }

  void TearDown() override {
    if (prober_) prober_->Stop();
  }

  bool direct_ = true;
  SystemRandom random_{3};
  RecordingObserver observer_;
  testing::RawServer sentinel_server_;
  Target sentinel_;
  std::unique_ptr<Prober> prober_;
};

// Every hostile backend on both probe paths.
class HostileTest : public HostileBase, public ::testing::WithParamInterface<bool> {
 protected:
  HostileTest() { direct_ = GetParam(); }
};

}  // namespace registrar::probes
