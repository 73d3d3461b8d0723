// Test fixture for the Prober against real local servers: every test runs on
// both probe paths, the direct sockets and libcurl (ProberOptions::
// direct_sockets), which must behave the same.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "probes/prober.h"
#include "tests/probes/recording_observer.h"

namespace registrar::probes {

// The test-name suffix of a path.
inline std::string PathName(const ::testing::TestParamInfo<bool>& info) {
  return info.param ? "Direct" : "Curl";
}

class ProberTest : public ::testing::TestWithParam<bool> {
 protected:
  static Target HttpTarget(const std::string& service, int port) {
    Target t;
    t.service = service;
    t.host = "127.0.0.1";
    t.port = port;
    t.probe.kind = ProbeKind::kHttpGet;
    t.probe.http_get.path = "/healthz";
    t.probe.period = std::chrono::milliseconds(100);
    t.probe.timeout = std::chrono::milliseconds(500);
    t.probe.success_threshold = 1;
    t.probe.failure_threshold = 2;
    return t;
  }

  static Target TcpTarget(const std::string& service, int port) {
    Target t = HttpTarget(service, port);
    t.probe.kind = ProbeKind::kTcpSocket;
    return t;
  }

  void Start(std::vector<Target> targets, ProberOptions options = {}) {
    options.direct_sockets = GetParam();
    prober_ = Prober::Create(RealClock(), random_, options, &observer_);
    prober_->SetTargets(std::move(targets));
    prober_->Start();
  }
  void TearDown() override {
    if (prober_) prober_->Stop();
  }

  SystemRandom random_{1};
  RecordingObserver observer_;
  std::unique_ptr<Prober> prober_;
};

}  // namespace registrar::probes
