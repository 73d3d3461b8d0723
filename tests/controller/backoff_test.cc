#include "cluster/backoff.h"

#include <gtest/gtest.h>

#include "cluster/lease_timing.h"

namespace registrar::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Backoff, DoublesFromInitialUpToTheCap) {
  FixedRandom top(0.999999999);
  Backoff backoff({milliseconds(100), seconds(5), 2.0, 0.5}, top);
  std::vector<int64_t> waits;
  for (int i = 0; i < 9; ++i) {
    waits.push_back(std::chrono::duration_cast<milliseconds>(backoff.Next()).count());
  }
  EXPECT_EQ(waits, (std::vector<int64_t>{99, 199, 399, 799, 1599, 3199, 4999, 4999, 4999}));
}

TEST(Backoff, JitterKeepsEachWaitBetweenHalfAndFullBase) {
  SystemRandom random(7);
  Backoff backoff({milliseconds(100), seconds(5), 2.0, 0.5}, random);
  Duration base = milliseconds(100);
  for (int i = 0; i < 20; ++i) {
    Duration wait = backoff.Next();
    EXPECT_GE(wait, base / 2);
    EXPECT_LE(wait, base);
    EXPECT_LE(wait, seconds(5));
    base = std::min<Duration>(base * 2, seconds(5));
  }
}

TEST(Backoff, ResetStartsOverAtInitial) {
  FixedRandom low(0.0);
  Backoff backoff({milliseconds(100), seconds(5), 2.0, 0.5}, low);
  for (int i = 0; i < 5; ++i) backoff.Next();
  EXPECT_EQ(backoff.failures(), 5);
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), milliseconds(50));
}

TEST(LeaseTiming, KeepAliveIsDueEveryThirdOfTheTtl) {
  SimulatedClock clock;
  LeaseTiming timing;
  EXPECT_FALSE(timing.KeepAliveDue(clock.Now()));
  timing.Granted(clock.Now(), seconds(9));
  EXPECT_FALSE(timing.KeepAliveDue(clock.Now()));
  clock.Advance(seconds(3) - milliseconds(1));
  EXPECT_FALSE(timing.KeepAliveDue(clock.Now()));
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(timing.KeepAliveDue(clock.Now()));
  timing.Renewed(clock.Now(), seconds(9));
  EXPECT_FALSE(timing.KeepAliveDue(clock.Now()));
  EXPECT_EQ(timing.next_keepalive(), clock.Now() + seconds(3));
}

TEST(LeaseTiming, LeaseIsPresumedLostWhenTheReportedTtlRunsOut) {
  SimulatedClock clock;
  LeaseTiming timing;
  timing.Granted(clock.Now(), seconds(9));
  clock.Advance(seconds(3));
  timing.Renewed(clock.Now(), seconds(8));  // etcd answered 8 s remaining
  clock.Advance(seconds(8) - milliseconds(1));
  EXPECT_FALSE(timing.PresumedLost(clock.Now()));
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(timing.PresumedLost(clock.Now()));
  timing.Clear();
  EXPECT_FALSE(timing.PresumedLost(clock.Now()));
  EXPECT_FALSE(timing.held());
}

}  // namespace
}  // namespace registrar::controller
