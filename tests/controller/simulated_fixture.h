// Shared fixture of the controller's logic tests in simulated time: an etcd
// in memory (tests/support/memory_etcd.h) on a SimulatedClock. Nothing waits
// on real time but the test's own deadline: Eventually() advances simulated
// time in small steps until its condition holds, so a lease TTL of seconds
// passes in milliseconds, and etcd's faults that are hard to hit for real
// (an answer lost after a commit, a lease expiring between two Txns) are one
// call.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "controller/controller.h"
#include "tests/controller/controller_fixture.h"
#include "tests/support/memory_etcd.h"
#include "tests/support/wait.h"

namespace registrar::controller {

class SimulatedControllerTest : public ::testing::Test {
 protected:
  void SetUp() override { options_.lease_ttl = std::chrono::seconds(2); }

  void TearDown() override {
    if (controller_) controller_->Stop(true);
    controller_.reset();
  }

  Controller& MakeController(std::vector<ServiceRegistration> services = {}) {
    controller_ =
        NewTestController(etcd_, clock_, random_, options_, std::move(services), &observer_);
    return *controller_;
  }

  // Advances simulated time by `step` between checks of `done` until it
  // holds (true) or the real deadline passes (false).
  bool Eventually(const std::function<bool()>& done,
                  Duration step = std::chrono::milliseconds(10)) {
    return testing::WaitFor(
        [&] {
          if (done()) return true;
          clock_.Advance(step);
          return false;
        },
        std::chrono::seconds(10));
  }

  std::map<std::string, etcd::KeyValue> Keys(const std::string& prefix = "/services/") {
    return KeysIn(etcd_, prefix);
  }
  bool HasKey(const std::string& key, const std::string& value = "") {
    return HasKeyIn(etcd_, key, value);
  }
  bool KeyCountIs(size_t n) { return Keys().size() == n; }

  SimulatedClock clock_;
  testing::MemoryEtcd etcd_{clock_};
  SystemRandom random_{1};
  RegistrationOptions options_;
  CountingObserver observer_;
  std::unique_ptr<Controller> controller_;
};

}  // namespace registrar::controller
