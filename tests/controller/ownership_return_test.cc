// A target whose ownership moves to another replica and back is judged afresh
// by this replica: the controller forgot its verdict when the target left, so
// the first verdict of the returning target counts whatever was decided
// before. Replica "a" is wired as the daemon wires it (real prober probing
// real backends → ProbeIntake → controller, the controller's owned set →
// prober); replica "b" is a bare controller the test judges for.
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "controller/controller.h"
#include "controller/probe_intake.h"
#include "probes/prober.h"
#include "tests/controller/controller_fixture.h"
#include "tests/support/http_backend.h"

namespace registrar::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::WaitFor;

class OwnershipReturn : public ControllerTest {
 protected:
  static constexpr int kTargets = 8;

  void SetUp() override {
    ControllerTest::SetUp();
    for (int i = 0; i < kTargets; ++i) {
      backends_.push_back(std::make_unique<testing::HttpBackend>());
      probes::Target t = MakeTarget("web", backends_.back()->port());
      t.probe.period = milliseconds(200);
      t.probe.timeout = milliseconds(150);
      t.probe.failure_threshold = 2;
      t.probe.success_threshold = 2;
      targets_.push_back(t);
    }
  }

  void TearDown() override {
    if (prober_) prober_->Stop();
    if (b_) b_->Stop(true);
    ControllerTest::TearDown();
  }

  // Replica "a", alone in the cluster, probing every target.
  void StartA() {
    options_.cluster.member_id = "a";
    Controller& a = MakeController();
    intake_ = std::make_unique<ProbeIntake>(a);
    prober_ = probes::Prober::Create(RealClock(), prober_random_, {}, intake_.get());
    intake_->FollowOwnership(*prober_);
    a.SetTargets(std::make_shared<const TargetSet>(targets_));
    a.Start();
    prober_->Start();
  }

  // Replica "b" joins; returns a target that moved to it once "a" sees both.
  probes::Target JoinB() {
    auto client =
        etcd::Client::Create({.endpoints = {etcd_.endpoint()}, .request_timeout = seconds(2)});
    EXPECT_TRUE(client.ok()) << client.status();
    b_client_ = *std::move(client);
    RegistrationOptions options = options_;
    options.cluster.member_id = "b";
    b_ = std::make_unique<Controller>(*b_client_, RealClock(), b_random_, options,
                                      std::vector<ServiceRegistration>{}, nullptr);
    b_->SetOwnedTargetsCallback([this](OwnedTargets owned) {
      std::lock_guard lock(mu_);
      b_owned_ = std::move(owned.targets);
    });
    b_->SetTargets(std::make_shared<const TargetSet>(targets_));
    b_->Start();
    // Both must see both: when "b" joins before "a" it owns every target for a
    // moment, and a target taken from that first set may never be b's.
    EXPECT_TRUE(WaitFor([&] {
      std::lock_guard lock(mu_);
      return !b_owned_.empty() && b_owned_.size() < targets_.size() &&
             controller_->Snapshot().members.size() == 2 && b_->Snapshot().members.size() == 2;
    })) << "b owns none or all of the targets, or a replica does not see the other";
    std::lock_guard lock(mu_);
    return b_owned_.empty() ? probes::Target{} : b_owned_.front();
  }

  std::string Key(const probes::Target& t) { return "/services/web/" + t.Address(); }

  std::vector<std::unique_ptr<testing::HttpBackend>> backends_;
  std::vector<probes::Target> targets_;
  SystemRandom prober_random_{2};
  SystemRandom b_random_{3};
  std::unique_ptr<ProbeIntake> intake_;
  std::unique_ptr<probes::Prober> prober_;
  std::unique_ptr<etcd::Client> b_client_;
  std::unique_ptr<Controller> b_;
  std::mutex mu_;
  TargetSet b_owned_;  // guarded by mu_
};

TEST_F(OwnershipReturn, AHealthyTargetGetsItsKeyAgainWhenItComesBackWithoutAStateChange) {
  StartA();
  ASSERT_TRUE(WaitFor([&] { return KeyCountIs(kTargets); }));
  const probes::Target moved = JoinB();
  ASSERT_FALSE(moved.host.empty());
  // "b" cannot reach it and deletes its key; "a" keeps its (healthy) verdict.
  b_->SetHealthy(moved, false);
  ASSERT_TRUE(WaitFor([&] { return !HasKey(Key(moved)); }));
  b_->Stop(true);  // hands its targets back to "a"
  b_.reset();
  EXPECT_TRUE(WaitFor([&] { return HasKey(Key(moved)) && KeyCountIs(kTargets); }, seconds(15)))
      << "the target stayed healthy all along, so only its return can bring the key back";
}

TEST_F(OwnershipReturn, AnUnhealthyTargetLosesTheKeyItWasAdoptedWithWhenItComesBack) {
  for (auto& b : backends_) b->SetStatus(500);
  StartA();
  const probes::Target moved = JoinB();
  ASSERT_FALSE(moved.host.empty());
  // "b" finds it healthy and registers it.
  b_->SetHealthy(moved, true);
  ASSERT_TRUE(WaitFor([&] { return HasKey(Key(moved)); }));
  b_->Stop(true);  // "a" adopts the key with the target
  b_.reset();
  EXPECT_TRUE(WaitFor([&] { return KeyCountIs(0); }, seconds(15)))
      << "the target stayed unhealthy for \"a\" all along; its adopted key must go";
}

}  // namespace
}  // namespace registrar::controller
