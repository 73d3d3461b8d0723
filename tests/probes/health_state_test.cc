#include "probes/health_state.h"

#include <gtest/gtest.h>

namespace registrar::probes {
namespace {

ProbeResult Ok() { return ProbeResult{{}, {}, true, "status 200", {}, 200}; }
ProbeResult Fail() { return ProbeResult{{}, {}, false, "status 503", {}, 503}; }

TEST(HealthState, StartsUnknown) {
  HealthState state(1, 3);
  EXPECT_EQ(state.health(), Health::kUnknown);
  EXPECT_STREQ(HealthName(state.health()), "unknown");
}

TEST(HealthState, TurnsHealthyAfterSuccessThresholdConsecutiveSuccesses) {
  HealthState state(3, 3);
  EXPECT_FALSE(state.Observe(Ok()));
  EXPECT_FALSE(state.Observe(Ok()));
  auto t = state.Observe(Ok());
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, Health::kUnknown);
  EXPECT_EQ(t->to, Health::kHealthy);
  EXPECT_EQ(t->cause.reason, "status 200");
  EXPECT_EQ(state.health(), Health::kHealthy);
}

TEST(HealthState, TurnsUnhealthyAfterFailureThresholdConsecutiveFailures) {
  HealthState state(1, 3);
  ASSERT_TRUE(state.Observe(Ok()));
  EXPECT_FALSE(state.Observe(Fail()));
  EXPECT_FALSE(state.Observe(Fail()));
  auto t = state.Observe(Fail());
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, Health::kHealthy);
  EXPECT_EQ(t->to, Health::kUnhealthy);
  EXPECT_EQ(t->cause.reason, "status 503");
}

TEST(HealthState, ASuccessResetsTheFailureCount) {
  HealthState state(1, 2);
  ASSERT_TRUE(state.Observe(Ok()));
  EXPECT_FALSE(state.Observe(Fail()));
  EXPECT_FALSE(state.Observe(Ok()));
  EXPECT_FALSE(state.Observe(Fail()));
  EXPECT_EQ(state.health(), Health::kHealthy);
  EXPECT_EQ(state.consecutive_failures(), 1);
}

TEST(HealthState, AFailureResetsTheSuccessCount) {
  HealthState state(2, 1);
  ASSERT_TRUE(state.Observe(Fail()));
  EXPECT_FALSE(state.Observe(Ok()));
  EXPECT_FALSE(state.Observe(Fail()));
  EXPECT_FALSE(state.Observe(Ok()));
  EXPECT_EQ(state.health(), Health::kUnhealthy);
  auto t = state.Observe(Ok());
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, Health::kUnhealthy);
  EXPECT_EQ(t->to, Health::kHealthy);
}

TEST(HealthState, ReportsATransitionOnlyOnChange) {
  HealthState state(1, 1);
  ASSERT_TRUE(state.Observe(Ok()));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(state.Observe(Ok()));
  ASSERT_TRUE(state.Observe(Fail()));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(state.Observe(Fail()));
}

TEST(HealthState, UnknownGoesStraightToUnhealthyAfterFailureThreshold) {
  HealthState state(1, 2);
  EXPECT_FALSE(state.Observe(Fail()));
  auto t = state.Observe(Fail());
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, Health::kUnknown);
  EXPECT_EQ(t->to, Health::kUnhealthy);
}

TEST(HealthState, NewThresholdsKeepHealthAndCounters) {
  HealthState state(1, 5);
  ASSERT_TRUE(state.Observe(Ok()));
  EXPECT_FALSE(state.Observe(Fail()));
  state.SetThresholds(1, 2);
  EXPECT_EQ(state.health(), Health::kHealthy);
  EXPECT_EQ(state.consecutive_failures(), 1);
  EXPECT_TRUE(state.Observe(Fail()));
}

TEST(HealthState, ThresholdsBelowOneCountAsOne) {
  HealthState state(0, -1);
  EXPECT_TRUE(state.Observe(Ok()));
  EXPECT_TRUE(state.Observe(Fail()));
}

}  // namespace
}  // namespace registrar::probes
