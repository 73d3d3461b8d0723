// The target table's judgement in the running controller, in simulated time
// against an etcd in memory: drains, fail-open, verdicts the table drops, and
// the prober's health offered for a target that came back (judge.h,
// probe_intake.h). Health is fed as ProbeIntake feeds it.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "controller/controller.h"
#include "controller/probe_intake.h"
#include "tests/controller/simulated_fixture.h"

namespace registrar::controller {
namespace {

class SimulatedJudgeTest : public SimulatedControllerTest {
 protected:
  std::string Key(const probes::Target& t) { return "/services/" + t.service + "/" + t.Address(); }
  // Changes are taken in in the order they were posted: once a verdict posted
  // after them shows in etcd, they have been decided on.
  bool DecidedUpTo(Controller& c, const probes::Target& marker, bool healthy) {
    c.SetHealthy(marker, healthy);
    return Eventually([&] { return HasKey(Key(marker)) == healthy; });
  }
  const probes::Target a_ = MakeTarget("web", 8081);
  const probes::Target b_ = MakeTarget("web", 8082);
  const probes::Target marker_ = MakeTarget("api", 9000);
};

TEST_F(SimulatedJudgeTest, NothingRegistersBeforeTheDrainsAreKnownAndADrainTakesTheKeyAtOnce) {
  Controller& c = MakeController();
  c.SetTargets(std::make_shared<const TargetSet>(TargetSet{a_, b_}));
  c.AwaitDrains();
  c.SetHealthy(a_, true);
  c.SetHealthy(b_, true);
  c.Start();
  ASSERT_TRUE(Eventually([&] { return observer_.reconciles.load() >= 2; }));
  EXPECT_TRUE(KeyCountIs(0)) << "drains not known yet";
  c.SetDrained({a_.Id()});
  ASSERT_TRUE(Eventually([&] { return HasKey(Key(b_)); }));
  EXPECT_FALSE(HasKey(Key(a_))) << "drained";
  c.SetDrained({});
  ASSERT_TRUE(Eventually([&] { return KeyCountIs(2); }));
  c.SetDrained({b_.Id()});
  ASSERT_TRUE(Eventually([&] { return !HasKey(Key(b_)); }));
}

TEST_F(SimulatedJudgeTest, AVerdictOfATargetOutsideTheSetIsDropped) {
  Controller& c = MakeController();
  c.SetTargets(std::make_shared<const TargetSet>(TargetSet{a_}));
  c.SetHealthy(b_, true);  // a late transition of a target just removed
  c.SetHealthy(a_, true);
  c.Start();
  ASSERT_TRUE(Eventually([&] { return HasKey(Key(a_)) && c.Ready(); }));
  EXPECT_FALSE(HasKey(Key(b_))) << "decided in the pass that wrote a, or before";
  EXPECT_FALSE(c.Listed(b_.Id()));
  EXPECT_TRUE(c.Listed(a_.Id()));
}

TEST_F(SimulatedJudgeTest, TheProbersHealthIsTakenOnlyWhileTheTargetHasNoVerdict) {
  Controller& c = MakeController();
  c.SetTargets(std::make_shared<const TargetSet>(TargetSet{a_, b_}));
  c.Start();
  c.OfferHealth(a_, probes::Health::kHealthy);
  ASSERT_TRUE(Eventually([&] { return HasKey(Key(a_)); }));
  c.SetHealthy(a_, false);
  ASSERT_TRUE(Eventually([&] { return !HasKey(Key(a_)); }));
  c.OfferHealth(a_, probes::Health::kHealthy);  // a verdict exists: ignored
  ASSERT_TRUE(DecidedUpTo(c, b_, true));
  EXPECT_FALSE(HasKey(Key(a_)));
}

// The prober as ApplyOwnedTargets sees it: the targets it was given and the
// statuses it reports (set by the test).
class StubProber final : public probes::Prober {
 public:
  void SetTargets(std::vector<probes::Target> targets) override { targets_ = std::move(targets); }
  void Start() override {}
  void Stop() override {}
  std::vector<probes::TargetStatus> Snapshot() const override { return statuses_; }

  std::vector<probes::Target> targets_;
  std::vector<probes::TargetStatus> statuses_;
};

// A target that came back before the prober dropped it keeps its session and
// gets no transition: the prober's health of it is offered. Targets that did
// not just become ours are not offered (no prober snapshot is read for them).
TEST_F(SimulatedJudgeTest, TheProbersHealthIsOfferedForNewlyOwnedTargetsOnly) {
  Controller& c = MakeController();
  c.SetTargets(std::make_shared<const TargetSet>(TargetSet{a_, b_, marker_}));
  c.Start();
  StubProber prober;
  prober.statuses_ = {{.target = a_, .health = probes::Health::kHealthy},
                      {.target = b_, .health = probes::Health::kHealthy}};
  ApplyOwnedTargets({.targets = {a_, b_, marker_}, .newly_owned = {a_.Id()}}, c, prober);
  EXPECT_EQ(prober.targets_.size(), 3u);
  ASSERT_TRUE(Eventually([&] { return HasKey(Key(a_)); }));
  ASSERT_TRUE(DecidedUpTo(c, marker_, true));
  EXPECT_FALSE(HasKey(Key(b_))) << "not newly owned: its health comes by transition";
}

TEST_F(SimulatedJudgeTest, FailOpenKeepsTheKeysWhenEveryResultFailsAndEndsWhenEnoughPass) {
  ServiceRegistration web{.service = "web"};
  web.fail_open_below_percent = 50;
  Controller& c = MakeController({web});
  c.SetTargets(std::make_shared<const TargetSet>(TargetSet{a_, b_, marker_}));
  for (const auto& t : {a_, b_}) {
    c.OnResult(t.Id(), true);
    c.SetHealthy(t, true);
  }
  c.Start();
  ASSERT_TRUE(Eventually([&] { return KeyCountIs(2); }));
  // Both fail: the results arrive before the transitions they cause.
  for (const auto& t : {a_, b_}) c.OnResult(t.Id(), false);
  for (const auto& t : {a_, b_}) c.SetHealthy(t, false);
  ASSERT_TRUE(DecidedUpTo(c, marker_, true));
  EXPECT_TRUE(HasKey(Key(a_)) && HasKey(Key(b_))) << "fail-open keeps both";
  EXPECT_EQ(c.Snapshot().fail_open_services, std::vector<std::string>{"web"});
  // One passes again (1 of 2 = 50%, not below): judging resumes, b goes.
  c.OnResult(a_.Id(), true);
  c.SetHealthy(a_, true);
  ASSERT_TRUE(Eventually([&] { return HasKey(Key(a_)) && !HasKey(Key(b_)); }));
  EXPECT_TRUE(c.Snapshot().fail_open_services.empty());
  ASSERT_TRUE(DecidedUpTo(c, marker_, false));
}

}  // namespace
}  // namespace registrar::controller
