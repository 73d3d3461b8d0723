#include "probes/in_flight_limit.h"

#include <gtest/gtest.h>

namespace registrar::probes {
namespace {

using std::chrono::milliseconds;

TEST(InFlightLimit, StartsAtTheHardBound) { EXPECT_EQ(InFlightLimit(4096).value(), 4096); }

TEST(InFlightLimit, ShrinksWhileTheLoopRunsLate) {
  InFlightLimit limit(4096);
  limit.Update(milliseconds(80), 1000);
  EXPECT_EQ(limit.value(), 750);
  limit.Update(milliseconds(80), 750);
  EXPECT_EQ(limit.value(), 562);
}

TEST(InFlightLimit, NeverShrinksBelowTheFloor) {
  InFlightLimit limit(4096);
  for (int i = 0; i < 100; ++i) limit.Update(milliseconds(500), 0);
  EXPECT_EQ(limit.value(), InFlightLimit::kFloor);
  InFlightLimit tiny(4);  // a hard bound below the floor stays the bound
  tiny.Update(milliseconds(500), 0);
  EXPECT_EQ(tiny.value(), 4);
}

TEST(InFlightLimit, GrowsBackToTheHardBoundWhileTheLoopKeepsUp) {
  InFlightLimit limit(4096);
  limit.Update(milliseconds(500), 0);
  int steps = 0;
  while (limit.value() < 4096 && steps < 1000) {
    limit.Update(milliseconds(1), 0);
    ++steps;
  }
  EXPECT_EQ(limit.value(), 4096);
  EXPECT_LT(steps, 60);  // geometric, not linear: recovers in tens of loop turns
}

TEST(InFlightLimit, HoldsInBetween) {
  InFlightLimit limit(4096);
  limit.Update(milliseconds(100), 100);
  int held = limit.value();
  limit.Update(milliseconds(20), 10);  // neither starved nor clearly keeping up
  EXPECT_EQ(limit.value(), held);
}

TEST(InFlightLimit, HangingTargetsAloneDoNotShrinkIt) {
  // Thousands in flight but the loop on time: the hard bound applies.
  InFlightLimit limit(4096);
  for (int i = 0; i < 10; ++i) limit.Update(milliseconds(1), 3000);
  EXPECT_EQ(limit.value(), 4096);
}

}  // namespace
}  // namespace registrar::probes
