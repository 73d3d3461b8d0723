// The real prober feeding the controller: a backend's health decides, within
// the probe thresholds, whether its key is in etcd.
#include <gtest/gtest.h>

#include "controller/controller.h"
#include "probes/prober.h"
#include "tests/controller/controller_fixture.h"
#include "tests/support/http_backend.h"

namespace registrar::controller {
namespace {

using std::chrono::milliseconds;
using testing::WaitFor;

// The prober observer main installs: transitions go straight to the controller.
class ToController final : public probes::ProbeObserver {
 public:
  explicit ToController(Controller& c) : c_(c) {}
  void OnResult(const probes::Target&, const probes::ProbeResult&, Duration) override {}
  void OnTransition(const probes::Target& target, const probes::Transition& t) override {
    c_.OnHealth(target, t.to);
  }

 private:
  Controller& c_;
};

probes::Target Probed(const testing::HttpBackend& backend) {
  probes::Target t = MakeTarget("web", backend.port());
  t.probe.period = milliseconds(300);
  t.probe.timeout = milliseconds(200);
  t.probe.failure_threshold = 3;
  t.probe.success_threshold = 2;
  return t;
}

TEST_F(ControllerTest, BackendTurningUnhealthyLosesItsKeyWithinTheProbeThresholds) {
  testing::HttpBackend good;
  testing::HttpBackend flaky;
  Controller& c = MakeController();
  ToController forward(c);
  SystemRandom prober_random(2);
  auto prober = probes::Prober::Create(RealClock(), prober_random, {}, &forward);
  const probes::Target flaky_target = Probed(flaky);
  prober->SetTargets({Probed(good), flaky_target});
  c.Start();
  prober->Start();
  const std::string flaky_key = "/services/web/" + flaky.address();
  ASSERT_TRUE(WaitFor([&] { return KeyCountIs(2); }));

  flaky.SetStatus(500);
  const MonoTime failed = RealClock().Now();
  ASSERT_TRUE(WaitFor([&] { return !HasKey(flaky_key); }));
  const Duration bound = flaky_target.probe.failure_threshold * flaky_target.probe.period +
                         flaky_target.probe.timeout + milliseconds(1500);  // margin
  EXPECT_LE(RealClock().Now() - failed, bound);
  EXPECT_TRUE(HasKey("/services/web/" + good.address()));

  flaky.SetStatus(200);
  const MonoTime recovered = RealClock().Now();
  ASSERT_TRUE(WaitFor([&] { return HasKey(flaky_key); }));
  EXPECT_LE(RealClock().Now() - recovered,
            flaky_target.probe.success_threshold * flaky_target.probe.period +
                flaky_target.probe.timeout + milliseconds(1500));
  prober->Stop();
}

}  // namespace
}  // namespace registrar::controller
