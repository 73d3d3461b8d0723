// RegistrationGate: drains and fail-open decide what the controller is told.
#include "controller/registration_gate.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace registrar::controller {
namespace {

probes::Target T(const std::string& service, int port) {
  probes::Target t;
  t.service = service;
  t.host = "127.0.0.1";
  t.port = port;
  return t;
}

// The prober as ApplyOwnedTargets sees it: the targets it was given, and the
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

class GateTest : public ::testing::Test {
 protected:
  GateTest()
      : gate_(
            [this](const probes::Target& t, bool r) {
              registered_[t.Id()] = r;
              ++told_[t.Id()];
            },
            [this](const std::string& s, bool open) {
              changes_.push_back(s + (open ? "+" : "-"));
            }) {}

  // One probe round: results of every target, then the transitions they cause.
  void Round(const std::vector<probes::Target>& targets, bool ok) {
    for (const auto& t : targets) gate_.OnResult(t, ok);
    for (const auto& t : targets) gate_.OnHealth(t, ok);
  }
  bool Registered(const probes::Target& t) {
    auto it = registered_.find(t.Id());
    return it != registered_.end() && it->second;
  }

  RegistrationGate gate_;
  std::map<std::string, bool> registered_;
  std::map<std::string, int> told_;  // sink calls per target
  std::vector<std::string> changes_;
};

TEST_F(GateTest, NothingIsRegisteredBeforeTheDrainsAreKnown) {
  const auto a = T("web", 1);
  gate_.SetTargets({a}, {});
  Round({a}, true);
  EXPECT_FALSE(Registered(a));
  gate_.SetDrained({});
  EXPECT_TRUE(Registered(a));
}

TEST_F(GateTest, DrainRemovesAtOnceAndUndrainRestoresOnlyIfHealthy) {
  const auto a = T("web", 1), b = T("web", 2);
  gate_.SetTargets({a, b}, {});
  gate_.SetDrained({});
  Round({a, b}, true);
  gate_.SetDrained({a.Id()});
  EXPECT_FALSE(Registered(a));
  EXPECT_TRUE(Registered(b));
  Round({a, b}, true);  // healthy probes do not bring it back
  EXPECT_FALSE(Registered(a));
  gate_.OnResult(a, false);
  gate_.OnHealth(a, false);
  gate_.SetDrained({});
  EXPECT_FALSE(Registered(a)) << "undrained while unhealthy";
  gate_.OnResult(a, true);
  gate_.OnHealth(a, true);
  EXPECT_TRUE(Registered(a));
}

TEST_F(GateTest, FailOpenKeepsRegistrationsWhileTooFewPassAndResumesAfter) {
  const auto a = T("web", 1), b = T("web", 2), c = T("web", 3), d = T("web", 4);
  const auto other = T("api", 1);
  gate_.SetTargets({a, b, c, d, other}, {{"web", 50}});
  gate_.SetDrained({});
  Round({a, b, c, d, other}, true);
  // One real failure: 3 of 4 pass, judged normally.
  Round({a}, false);
  EXPECT_FALSE(Registered(a));
  // A partition: every result fails before any threshold is crossed.
  for (const auto& t : {b, c, d}) gate_.OnResult(t, false);
  EXPECT_EQ(gate_.FailOpenServices(), std::vector<std::string>{"web"});
  for (const auto& t : {b, c, d}) gate_.OnHealth(t, false);
  EXPECT_TRUE(Registered(b) && Registered(c) && Registered(d)) << "kept";
  EXPECT_FALSE(Registered(a)) << "fail-open keeps, it does not add";
  // Another service is judged as always.
  Round({other}, false);
  EXPECT_FALSE(Registered(other));
  // A drain still applies during fail-open.
  gate_.SetDrained({b.Id()});
  EXPECT_FALSE(Registered(b));
  gate_.SetDrained({});
  EXPECT_FALSE(Registered(b)) << "undrained while unhealthy: not restored by fail-open";
  // Two of four pass again (50%, not below): judging resumes, c and d go.
  Round({a, b}, true);
  EXPECT_TRUE(gate_.FailOpenServices().empty());
  EXPECT_TRUE(Registered(a) && Registered(b));
  EXPECT_FALSE(Registered(c) || Registered(d));
  EXPECT_EQ(changes_, (std::vector<std::string>{"web+", "web-"}));
}

TEST_F(GateTest, WithoutAThresholdAServiceNeverFailsOpen) {
  const auto a = T("web", 1), b = T("web", 2);
  gate_.SetTargets({a, b}, {});
  gate_.SetDrained({});
  Round({a, b}, true);
  Round({a, b}, false);
  EXPECT_FALSE(Registered(a) || Registered(b));
  EXPECT_TRUE(gate_.FailOpenServices().empty());
}

TEST_F(GateTest, TheFirstVerdictOfATargetIsForwardedEvenIfNothingSeemsToChange) {
  // The controller keeps an adopted key until it is told; "not registered"
  // must be told too, or an unhealthy target keeps the key it was adopted with.
  const auto a = T("web", 1);
  gate_.SetTargets({a}, {});
  gate_.SetDrained({});
  EXPECT_EQ(told_[a.Id()], 0) << "no verdict yet, nothing to tell";
  Round({a}, false);
  EXPECT_EQ(told_[a.Id()], 1);
  EXPECT_FALSE(Registered(a));
}

TEST_F(GateTest, ATargetThatMovesAwayAndBackIsJudgedAfresh) {
  const auto a = T("web", 1), b = T("web", 2);
  gate_.SetTargets({a, b}, {});
  gate_.SetDrained({});
  Round({a, b}, true);
  ASSERT_EQ(told_[a.Id()], 1);
  gate_.SetOwned({b});  // a moves to another replica; its late verdicts are not ours
  Round({a}, false);
  EXPECT_EQ(told_[a.Id()], 1);
  gate_.SetOwned({a, b});  // back: the controller forgot it, so it is told again
  EXPECT_EQ(told_[a.Id()], 1) << "no verdict since it came back";
  Round({a}, true);
  EXPECT_EQ(told_[a.Id()], 2);
  EXPECT_TRUE(Registered(a));
  // A target drained while away is told "not registered" as soon as it is back.
  gate_.SetOwned({b});
  gate_.SetDrained({a.Id()});
  EXPECT_EQ(told_[a.Id()], 2);
  gate_.SetOwned({a, b});
  EXPECT_EQ(told_[a.Id()], 3);
  EXPECT_FALSE(Registered(a));
  EXPECT_EQ(told_[b.Id()], 1) << "b never moved";
}

TEST_F(GateTest, TargetsOwnedElsewhereCountTowardNoFailOpenShare) {
  const auto a = T("web", 1), b = T("web", 2), c = T("web", 3), d = T("web", 4);
  gate_.SetTargets({a, b, c, d}, {{"web", 50}});
  gate_.SetDrained({});
  Round({a, b}, true);
  Round({c, d}, false);  // 2 of 4 pass: not below 50%
  gate_.SetOwned({a, b});
  Round({a}, false);  // 1 of the 2 owned passes: still not below
  EXPECT_TRUE(gate_.FailOpenServices().empty()) << "c and d's old failures must not count";
  EXPECT_FALSE(Registered(a));
  EXPECT_TRUE(changes_.empty());
}

TEST_F(GateTest, ATargetBackBeforeTheProberDroppedItTakesTheHealthTheProberHas) {
  const auto a = T("web", 1), b = T("web", 2);
  gate_.SetTargets({a, b}, {});
  gate_.SetDrained({});
  Round({a, b}, true);
  StubProber prober;
  // The prober keeps a's session (and its health) when it is given the set
  // with a again before it applied the one without: no transition comes.
  prober.statuses_ = {{.target = a, .health = probes::Health::kHealthy},
                      {.target = b, .health = probes::Health::kHealthy}};
  ApplyOwnedTargets({b}, gate_, prober);
  ApplyOwnedTargets({a, b}, gate_, prober);
  EXPECT_EQ(prober.targets_.size(), 2u);
  EXPECT_EQ(told_[a.Id()], 2) << "the controller forgot a; it must be told again";
  EXPECT_TRUE(Registered(a));
  EXPECT_EQ(told_[b.Id()], 1);
  // A session the prober started afresh has no health yet: the transition
  // will tell.
  prober.statuses_ = {{.target = a, .health = probes::Health::kUnknown}};
  ApplyOwnedTargets({b}, gate_, prober);
  ApplyOwnedTargets({a, b}, gate_, prober);
  EXPECT_EQ(told_[a.Id()], 2);
  gate_.OnHealth(a, false);
  EXPECT_EQ(told_[a.Id()], 3);
  EXPECT_FALSE(Registered(a));
}

}  // namespace
}  // namespace registrar::controller
