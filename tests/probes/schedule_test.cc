#include "probes/schedule.h"

#include <gtest/gtest.h>

#include "probes/judge.h"

namespace registrar::probes {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Schedule, FirstProbeComesAfterInitialDelayPlusPhase) {
  SimulatedClock clock;
  MonoTime t0 = clock.Now();
  Schedule s(t0, seconds(5), seconds(1), milliseconds(300));
  EXPECT_EQ(s.next_due(), t0 + milliseconds(5300));
  EXPECT_FALSE(s.IsDue(t0));
  clock.Advance(milliseconds(5299));
  EXPECT_FALSE(s.IsDue(clock.Now()));
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(s.IsDue(clock.Now()));
}

TEST(Schedule, ProbesEveryPeriodOnTheGrid) {
  SimulatedClock clock;
  MonoTime t0 = clock.Now();
  Schedule s(t0, Duration::zero(), milliseconds(250), milliseconds(10));
  for (int k = 0; k < 8; ++k) {
    MonoTime slot = t0 + milliseconds(10) + k * milliseconds(250);
    clock.Advance(slot - clock.Now());
    ASSERT_TRUE(s.IsDue(clock.Now())) << k;
    EXPECT_EQ(s.Begin(clock.Now()), slot);
    clock.Advance(milliseconds(20));  // the probe takes 20 ms
    s.End(clock.Now());
    EXPECT_EQ(s.next_due(), slot + milliseconds(250));
  }
}

TEST(Schedule, ALateStartKeepsTheGridAndReportsThePlannedTime) {
  SimulatedClock clock;
  MonoTime t0 = clock.Now();
  Schedule s(t0, Duration::zero(), seconds(1), Duration::zero());
  clock.Advance(milliseconds(40));
  EXPECT_EQ(s.Begin(clock.Now()), t0);  // lag = 40 ms, measured against t0
  s.End(clock.Now());
  EXPECT_EQ(s.next_due(), t0 + seconds(1));
}

// kubelet's timing: timeoutSeconds 5 with periodSeconds 2 is allowed; a
// probe never overlaps itself and the next starts when the previous ends.
TEST(Schedule, AProbeLongerThanThePeriodIsFollowedAtOnceByOneProbeNotABurst) {
  SimulatedClock clock;
  MonoTime t0 = clock.Now();
  Schedule s(t0, Duration::zero(), seconds(1), Duration::zero());
  s.Begin(clock.Now());
  clock.Advance(milliseconds(2500));  // slots at 1 s and 2 s pass while in flight
  EXPECT_FALSE(s.IsDue(clock.Now())) << "never overlaps itself";
  EXPECT_TRUE(s.End(clock.Now())) << "ran past its period";
  EXPECT_TRUE(s.IsDue(clock.Now())) << "the next starts when it ended";
  EXPECT_EQ(s.Begin(clock.Now()), t0 + milliseconds(2500));
  EXPECT_EQ(s.next_due(), t0 + milliseconds(3500));  // one probe, then the period again
  clock.Advance(milliseconds(100));
  EXPECT_FALSE(s.End(clock.Now())) << "a quick probe is on time";
  EXPECT_FALSE(s.IsDue(clock.Now()));
}

TEST(Schedule, SlotsMissedWhileWaitingToStartAreSkipped) {
  SimulatedClock clock;
  MonoTime t0 = clock.Now();
  Schedule s(t0, Duration::zero(), milliseconds(100), Duration::zero());
  clock.Advance(milliseconds(350));  // queued behind other probes for 350 ms
  EXPECT_EQ(s.Begin(clock.Now()), t0);
  EXPECT_EQ(s.next_due(), t0 + milliseconds(400));
  s.End(clock.Now());
  EXPECT_FALSE(s.IsDue(clock.Now()));
}

TEST(Schedule, AProbeEndingExactlyOnASlotMayStartAtOnce) {
  SimulatedClock clock;
  MonoTime t0 = clock.Now();
  Schedule s(t0, Duration::zero(), seconds(1), Duration::zero());
  s.Begin(clock.Now());
  clock.Advance(seconds(1));
  EXPECT_FALSE(s.End(clock.Now())) << "on time, not late";
  EXPECT_TRUE(s.IsDue(clock.Now()));
  EXPECT_EQ(s.Begin(clock.Now()), t0 + seconds(1));
}

TEST(Schedule, RandomPhaseIsWithinThePeriod) {
  SystemRandom random(42);
  Duration period = milliseconds(250);
  Duration lowest = period;
  Duration highest = Duration::zero();
  for (int i = 0; i < 10000; ++i) {
    Duration phase = Schedule::RandomPhase(period, random);
    ASSERT_GE(phase, Duration::zero());
    ASSERT_LT(phase, period);
    lowest = std::min(lowest, phase);
    highest = std::max(highest, phase);
  }
  // Spread over the whole period, so many targets do not fire together.
  EXPECT_LT(lowest, milliseconds(5));
  EXPECT_GT(highest, milliseconds(245));
}

TEST(Schedule, RandomPhaseStaysBelowThePeriodEvenForUniformNearOne) {
  FixedRandom almost_one(0.9999999999999999);
  EXPECT_LT(Schedule::RandomPhase(seconds(1), almost_one), seconds(1));
  FixedRandom zero(0.0);
  EXPECT_EQ(Schedule::RandomPhase(seconds(1), zero), Duration::zero());
}

TEST(Schedule, ManyTargetsSpreadTheirFirstProbesOverThePeriod) {
  SimulatedClock clock;
  SystemRandom random(7);
  MonoTime t0 = clock.Now();
  std::vector<int> per_10ms(100, 0);
  for (int i = 0; i < 10000; ++i) {
    Schedule s(t0, Duration::zero(), seconds(1), Schedule::RandomPhase(seconds(1), random));
    auto bucket = (s.next_due() - t0) / milliseconds(10);
    ASSERT_LT(bucket, 100);
    ++per_10ms[bucket];
  }
  for (int n : per_10ms) EXPECT_LT(n, 300);  // ~100 expected per 10 ms; never a burst
}

TEST(Schedule, ANewPeriodAppliesFromTheLastPlannedStart) {
  SimulatedClock clock;
  MonoTime t0 = clock.Now();
  Schedule s(t0, Duration::zero(), seconds(10), Duration::zero());
  s.Begin(clock.Now());
  clock.Advance(milliseconds(100));
  s.End(clock.Now());
  s.SetPeriod(seconds(1), clock.Now());
  EXPECT_EQ(s.next_due(), t0 + seconds(1));
}

TEST(FormatDuration, WritesDurationsCompactly) {
  EXPECT_EQ(FormatDuration(seconds(1)), "1s");
  EXPECT_EQ(FormatDuration(milliseconds(250)), "250ms");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(FormatDuration(seconds(30)), "30s");
  EXPECT_EQ(FormatDuration(std::chrono::microseconds(500)), "500us");
}

}  // namespace
}  // namespace registrar::probes
