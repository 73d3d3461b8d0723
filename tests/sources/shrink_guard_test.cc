#include "sources/shrink_guard.h"

#include <gtest/gtest.h>

namespace registrar::sources {
namespace {

std::vector<Endpoint> Hosts(int from, int to) {
  std::vector<Endpoint> out;
  for (int i = from; i < to; ++i) out.push_back({"10.0.0." + std::to_string(i), 80});
  return out;
}

TEST(ShrinkGuardTest, TheFirstAnswerIsAppliedWhole) {
  ShrinkGuard guard(50);
  EXPECT_EQ(guard.Offer(Hosts(0, 10)), ShrinkGuard::Verdict::kApplied);
  EXPECT_EQ(guard.applied().size(), 10u);
  EXPECT_EQ(guard.Offer(Hosts(0, 10)), ShrinkGuard::Verdict::kUnchanged);
}

TEST(ShrinkGuardTest, ASmallShrinkAppliesAtOnce) {
  ShrinkGuard guard(50);
  guard.Offer(Hosts(0, 10));
  EXPECT_EQ(guard.Offer(Hosts(0, 5)), ShrinkGuard::Verdict::kApplied);  // exactly half
  EXPECT_EQ(guard.applied().size(), 5u);
}

TEST(ShrinkGuardTest, ALossOfNinetyPercentIsHeldUntilConfirmed) {
  ShrinkGuard guard(50);
  guard.Offer(Hosts(0, 10));
  EXPECT_EQ(guard.Offer(Hosts(0, 1)), ShrinkGuard::Verdict::kHeld);
  EXPECT_EQ(guard.applied().size(), 10u);
  EXPECT_EQ(guard.held_removals(), 9u);
  EXPECT_EQ(guard.Offer(Hosts(0, 1)), ShrinkGuard::Verdict::kConfirmed);
  EXPECT_EQ(guard.applied(), Hosts(0, 1));
  EXPECT_EQ(guard.held_removals(), 0u);
}

TEST(ShrinkGuardTest, AnEmptyAnswerIsHeldAndAnotherShrinkIsNoConfirmation) {
  ShrinkGuard guard(50);
  guard.Offer(Hosts(0, 10));
  EXPECT_EQ(guard.Offer({}), ShrinkGuard::Verdict::kHeld);
  EXPECT_EQ(guard.applied().size(), 10u);
  // A different half-written answer does not confirm the first one.
  EXPECT_EQ(guard.Offer(Hosts(0, 2)), ShrinkGuard::Verdict::kHeld);
  EXPECT_EQ(guard.applied().size(), 10u);
  // The whole list again ends the hold.
  EXPECT_EQ(guard.Offer(Hosts(0, 10)), ShrinkGuard::Verdict::kConfirmed);
  EXPECT_EQ(guard.applied().size(), 10u);
}

TEST(ShrinkGuardTest, AdditionsOfAHeldAnswerApplyAtOnce) {
  ShrinkGuard guard(50);
  guard.Offer(Hosts(0, 10));
  EXPECT_EQ(guard.Offer(Hosts(9, 12)), ShrinkGuard::Verdict::kHeld);
  EXPECT_EQ(guard.applied().size(), 12u);  // 0-9 kept, 10 and 11 added
  EXPECT_EQ(guard.held_removals(), 9u);
}

TEST(ShrinkGuardTest, OneHundredPercentNeverHolds) {
  ShrinkGuard guard(100);
  guard.Offer(Hosts(0, 10));
  EXPECT_EQ(guard.Offer({}), ShrinkGuard::Verdict::kApplied);
  EXPECT_TRUE(guard.applied().empty());
}

TEST(ShrinkGuardTest, AChangedWeightIsAChange) {
  ShrinkGuard guard(50);
  guard.Offer(Hosts(0, 2));
  auto next = Hosts(0, 2);
  next[0].weight = 7;
  EXPECT_EQ(guard.Offer(next), ShrinkGuard::Verdict::kApplied);
  EXPECT_EQ(guard.applied()[0].weight, 7);
}

}  // namespace
}  // namespace registrar::sources
