// The registration decision's rules, one by one, without etcd or a clock.
#include "registration/decide.h"

#include <gtest/gtest.h>

#include <list>

namespace registrar::controller {
namespace {

using probes::Health;
using std::chrono::seconds;

constexpr int64_t kLease = 42;
constexpr int64_t kOtherMember = 77;

class DecideTest : public ::testing::Test {
 protected:
  DecideTest() {
    in_.groups = {"/s/"};
    in_.lease_id = kLease;
    in_.member_leases = {kLease, kOtherMember};
    in_.parked = &parked_;
    in_.now = MonoTime{} + seconds(100);
    in_.release_after = seconds(10);
  }

  // A target with one key per value in `values` ("/s/<id>/<n>").
  void Add(const std::string& id, bool owned, Health health,
           std::vector<std::string> values = {"v"}, MonoTime unowned_since = {}) {
    auto& keys = keys_.emplace_back();
    for (size_t i = 0; i < values.size(); ++i) {
      keys.push_back({ValueFormat::kPlain, "/s/" + id + "/" + std::to_string(i), values[i]});
    }
    rows_.push_back({id, owned, health, unowned_since, nullptr});
  }

  Decision Run() {
    auto keys = keys_.begin();
    for (auto& row : rows_) row.keys = &*keys++;
    return Decide(rows_, observed_, in_);
  }

  std::list<std::vector<LayoutKey>> keys_;  // stable addresses for the rows
  std::vector<TargetRow> rows_;
  ObservedMap observed_;
  std::map<std::string, std::pair<std::string, std::string>> parked_;
  DecideInput in_;
};

TEST_F(DecideTest, AnOwnedHealthyTargetGetsEveryKeyInOneUnit) {
  Add("a", true, Health::kHealthy, {"1", "2"});
  Decision d = Run();
  ASSERT_EQ(d.plan.puts.size(), 2u);
  EXPECT_EQ(d.plan.units.at("/s/a/0"), "a");
  EXPECT_EQ(d.plan.units.at("/s/a/1"), "a");
  EXPECT_EQ(d.keys_by_target.at("a").size(), 2u);
}

TEST_F(DecideTest, DecidingOnItsOwnResultWritesNothing) {
  Add("a", true, Health::kHealthy);
  Add("b", true, Health::kUnhealthy);
  observed_["/s/b/0"] = {"v", kLease, 3};
  Decision first = Run();
  ApplyPlan(first.plan, kLease, 10, observed_);
  EXPECT_TRUE(Run().plan.empty());
}

TEST_F(DecideTest, AnUnjudgedTargetAdoptsItsKeyAsItIs) {
  Add("a", true, Health::kUnknown, {"mine"});
  observed_["/s/a/0"] = {"previous owner's", kOtherMember, 3};
  Decision d = Run();
  ASSERT_EQ(d.plan.puts.size(), 1u);
  EXPECT_EQ(d.plan.puts[0].second, "previous owner's");
  EXPECT_EQ(d.adoptions, 1u);
}

TEST_F(DecideTest, AnUnjudgedTargetWithoutAKeyGetsNone) {
  Add("a", true, Health::kUnknown);
  EXPECT_TRUE(Run().plan.empty());
}

TEST_F(DecideTest, AnUnhealthyOwnedTargetLosesItsKeyWhoeverWroteIt) {
  Add("a", true, Health::kUnhealthy);
  observed_["/s/a/0"] = {"v", kOtherMember, 3};
  EXPECT_EQ(Run().plan.deletes, std::vector<std::string>{"/s/a/0"});
}

TEST_F(DecideTest, OurKeyOfATargetThatMovedAwayStaysForOneLeaseTtl) {
  Add("a", false, Health::kUnknown, {"v"}, in_.now - seconds(9));
  observed_["/s/a/0"] = {"v", kLease, 3};
  EXPECT_TRUE(Run().plan.empty());
  EXPECT_EQ(Run().revisit_at, in_.now + seconds(1));  // when its grace ends
  rows_.back().unowned_since = in_.now - seconds(10);
  Decision past = Run();
  EXPECT_EQ(past.plan.deletes, std::vector<std::string>{"/s/a/0"});
  EXPECT_FALSE(past.revisit_at);
}

TEST_F(DecideTest, AKeyOfATargetOwnedElsewhereUnderItsLeaseIsLeftAlone) {
  Add("a", false, Health::kUnknown, {"v"}, in_.now - seconds(60));
  observed_["/s/a/0"] = {"v", kOtherMember, 3};
  EXPECT_TRUE(Run().plan.empty());
}

TEST_F(DecideTest, OrphansAreDeletedOnlyInAnOwnedPrefixAndNotUnderAMembersLease) {
  observed_["/s/gone/0"] = {"v", 5, 3};             // nobody's lease, no target
  observed_["/s/peer/0"] = {"v", kOtherMember, 3};  // a live member's key
  EXPECT_TRUE(Run().plan.empty());
  in_.owned_prefix = "/s/";
  EXPECT_EQ(Run().plan.deletes, std::vector<std::string>{"/s/gone/0"});
}

TEST_F(DecideTest, AParkedKeyWaitsForANewValueOrARetry) {
  Add("a", true, Health::kHealthy, {"too big"});
  parked_["/s/a/0"] = {"too big", "request is too large"};
  EXPECT_TRUE(Run().plan.empty());
  in_.retry_parked = true;
  EXPECT_EQ(Run().plan.puts.size(), 1u);
  in_.retry_parked = false;
  keys_.back()[0].value = "smaller";
  EXPECT_EQ(Run().plan.puts.size(), 1u);
}

TEST_F(DecideTest, KeysOutsideEveryGroupAreNeverWritten) {
  in_.groups = {"/other/"};
  Add("a", true, Health::kHealthy);
  Decision d = Run();
  EXPECT_TRUE(d.plan.empty());
  EXPECT_EQ(d.keys_by_target.at("a").size(), 1u);
}

TEST_F(DecideTest, ADryRunComparesValuesOnly) {
  in_.lease_id = 0;
  Add("a", true, Health::kHealthy);
  observed_["/s/a/0"] = {"v", kOtherMember, 3};
  observed_["/s/b/0"] = {"v", 0, 3};
  EXPECT_TRUE(Run().plan.empty());
}

}  // namespace
}  // namespace registrar::controller
