#include "common/clock.h"

#include <gtest/gtest.h>

namespace registrar {
namespace {

TEST(SimulatedClock, MovesOnlyWhenAdvanced) {
  SimulatedClock clock;
  const MonoTime start = clock.Now();
  EXPECT_EQ(clock.Now(), start);
  clock.Advance(std::chrono::milliseconds(1500));
  EXPECT_EQ(clock.Now() - start, std::chrono::milliseconds(1500));
}

TEST(SystemRandom, UniformDurationStaysWithinBound) {
  SystemRandom random(42);
  for (int i = 0; i < 1000; ++i) {
    const Duration d = random.UniformDuration(std::chrono::seconds(1));
    EXPECT_GE(d, Duration::zero());
    EXPECT_LE(d, std::chrono::seconds(1));
  }
  EXPECT_EQ(random.UniformDuration(Duration::zero()), Duration::zero());
}

TEST(Seconds, ConvertBothWays) {
  EXPECT_DOUBLE_EQ(ToSeconds(std::chrono::milliseconds(250)), 0.25);
  EXPECT_EQ(FromSeconds(0.25), std::chrono::milliseconds(250));
}

}  // namespace
}  // namespace registrar
