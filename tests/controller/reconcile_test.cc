#include "registration/reconcile.h"

#include <gtest/gtest.h>

namespace registrar::controller {
namespace {

constexpr int64_t kLease = 42;

TEST(Reconcile, PutsEveryMissingDesiredKey) {
  Plan plan = Reconcile({{"/s/a", "1"}, {"/s/b", "2"}}, {}, kLease, false);
  ASSERT_EQ(plan.puts.size(), 2u);
  EXPECT_EQ(plan.puts[0], (std::pair<std::string, std::string>{"/s/a", "1"}));
  EXPECT_TRUE(plan.deletes.empty());
}

TEST(Reconcile, WritesNothingWhenObservedMatchesDesired) {
  Plan plan = Reconcile({{"/s/a", "1"}}, {{"/s/a", {"1", kLease, 7}}}, kLease, false);
  EXPECT_TRUE(plan.empty());
}

TEST(Reconcile, RestoresAnOverwrittenValue) {
  Plan plan = Reconcile({{"/s/a", "1"}}, {{"/s/a", {"evil", kLease, 7}}}, kLease, false);
  ASSERT_EQ(plan.puts.size(), 1u);
  EXPECT_EQ(plan.puts[0].second, "1");
}

TEST(Reconcile, TakesBackADesiredKeyWrittenWithAnotherLease) {
  Plan plan = Reconcile({{"/s/a", "1"}}, {{"/s/a", {"1", 0, 7}}}, kLease, false);
  EXPECT_EQ(plan.puts.size(), 1u);
}

TEST(Reconcile, DeletesOurKeyForATargetNoLongerDesired) {
  Plan plan = Reconcile({}, {{"/s/a", {"1", kLease, 7}}}, kLease, false);
  EXPECT_TRUE(plan.puts.empty());
  EXPECT_EQ(plan.deletes, std::vector<std::string>{"/s/a"});
}

TEST(Reconcile, LeavesForeignKeysAlone) {
  Plan plan = Reconcile({}, {{"/s/x", {"1", 99, 7}}, {"/s/y", {"2", 0, 8}}}, kLease, false);
  EXPECT_TRUE(plan.empty());
}

TEST(Reconcile, DeletesForeignKeysWhenThePrefixIsOwned) {
  Plan plan = Reconcile({}, {{"/s/x", {"1", 99, 7}}, {"/s/y", {"2", 0, 8}}}, kLease, true);
  EXPECT_EQ(plan.deletes, (std::vector<std::string>{"/s/x", "/s/y"}));
}

TEST(Reconcile, WithoutALeaseComparesValuesOnlyAndDeletesNothingAsOurs) {
  Plan plan = Reconcile({{"/s/a", "1"}, {"/s/b", "2"}},
                        {{"/s/a", {"1", 99, 7}}, {"/s/z", {"9", 0, 8}}}, 0, false);
  ASSERT_EQ(plan.puts.size(), 1u);
  EXPECT_EQ(plan.puts[0].first, "/s/b");
  EXPECT_TRUE(plan.deletes.empty());
}

TEST(Reconcile, IsIdempotentOnceItsPlanIsApplied) {
  DesiredMap desired;
  for (int i = 0; i < 300; ++i) desired["/s/" + std::to_string(i)] = std::to_string(i);
  ObservedMap observed = {{"/s/stale", {"x", kLease, 1}}, {"/s/7", {"bad", kLease, 1}}};
  Plan plan = Reconcile(desired, observed, kLease, false);
  EXPECT_EQ(plan.size(), 301u);
  ApplyPlan(plan, kLease, 10, observed);
  EXPECT_TRUE(Reconcile(desired, observed, kLease, false).empty());
  EXPECT_EQ(observed.at("/s/7"), (ObservedKey{"7", kLease, 10}));
}

TEST(ToTxnBatches, SplitsIntoTxnsOfAtMost128OpsWithOurLease) {
  Plan plan;
  for (int i = 0; i < 1000; ++i) plan.puts.emplace_back("/s/" + std::to_string(i), "v");
  plan.deletes.push_back("/s/old");
  auto batches = ToTxnBatches(plan, kLease);
  ASSERT_EQ(batches.size(), 8u);  // ceil(1001 / 128)
  size_t total = 0;
  for (const auto& batch : batches) {
    EXPECT_LE(batch.size(), kMaxTxnOps);
    total += batch.size();
  }
  EXPECT_EQ(total, 1001u);
  EXPECT_EQ(batches[0][0].type, etcd::Op::Type::kPut);
  EXPECT_EQ(batches[0][0].lease, kLease);
  EXPECT_EQ(batches.back().back().type, etcd::Op::Type::kDelete);
  EXPECT_EQ(batches.back().back().key, "/s/old");
}

TEST(ToTxnBatches, EmptyPlanHasNoTxn) { EXPECT_TRUE(ToTxnBatches(Plan{}, kLease).empty()); }

}  // namespace
}  // namespace registrar::controller
