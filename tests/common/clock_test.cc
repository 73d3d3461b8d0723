#include "common/clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/support/wait.h"

namespace registrar {
namespace {

TEST(SimulatedClock, MovesOnlyWhenAdvanced) {
  SimulatedClock clock;
  const MonoTime start = clock.Now();
  EXPECT_EQ(clock.Now(), start);
  clock.Advance(std::chrono::milliseconds(1500));
  EXPECT_EQ(clock.Now() - start, std::chrono::milliseconds(1500));
}

using std::chrono::milliseconds;
using std::chrono::seconds;

// Waits until a thread is blocked in the clock's WaitUntil (real time, a
// deadline far beyond what the test needs).
void AwaitWaiters(const SimulatedClock& clock, size_t n) {
  ASSERT_TRUE(testing::WaitFor([&] { return clock.waiters() >= n; }, seconds(10)));
}

TEST(SimulatedClock, AWaitEndsWhenAdvanceReachesItsDeadlineAndNotBefore) {
  SimulatedClock clock;
  std::mutex mu;
  std::condition_variable cv;
  const MonoTime deadline = clock.Now() + seconds(30);
  std::atomic<bool> woke{false};
  std::thread waiter([&] {
    std::unique_lock lock(mu);
    EXPECT_FALSE(clock.WaitUntil(cv, lock, deadline, [] { return false; }));
    EXPECT_GE(clock.Now(), deadline);
    woke = true;
  });
  AwaitWaiters(clock, 1);
  EXPECT_EQ(clock.NextDeadline(), deadline);
  clock.Advance(seconds(29));
  AwaitWaiters(clock, 1);  // still waiting: 1 s to go
  EXPECT_FALSE(woke.load());
  clock.Advance(seconds(1));
  waiter.join();
  EXPECT_TRUE(woke.load());
  EXPECT_EQ(clock.waiters(), 0u);
}

TEST(SimulatedClock, ANotifyEndsAWaitWithoutTimeMoving) {
  SimulatedClock clock;
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  const MonoTime start = clock.Now();
  std::thread waiter([&] {
    std::unique_lock lock(mu);
    EXPECT_TRUE(clock.WaitFor(cv, lock, seconds(3600), [&] { return stop; }));
  });
  AwaitWaiters(clock, 1);
  {
    std::lock_guard lock(mu);
    stop = true;
  }
  cv.notify_all();
  waiter.join();
  EXPECT_EQ(clock.Now(), start);
}

TEST(SimulatedClock, AWaitWhoseDeadlineHasPassedReturnsAtOnce) {
  SimulatedClock clock;
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock lock(mu);
  EXPECT_EQ(clock.WaitUntil(cv, lock, clock.Now()), std::cv_status::timeout);
  EXPECT_TRUE(lock.owns_lock());
}

// Many waiters with staggered deadlines, each advance racing the waiters'
// own re-checks: every one wakes exactly when its deadline is reached, and
// none is lost (a lost wake-up would hang the join).
TEST(SimulatedClock, EveryWaiterWakesAtItsOwnDeadline) {
  SimulatedClock clock;
  constexpr int kWaiters = 8;
  std::mutex mu;
  std::condition_variable cv;
  const MonoTime start = clock.Now();
  std::atomic<int> woken{0};
  std::vector<std::thread> threads;
  for (int i = 1; i <= kWaiters; ++i) {
    threads.emplace_back([&, i] {
      std::unique_lock lock(mu);
      clock.WaitUntil(cv, lock, start + seconds(i), [] { return false; });
      EXPECT_GE(clock.Now(), start + seconds(i));
      ++woken;
    });
  }
  AwaitWaiters(clock, kWaiters);
  for (int i = 1; i <= kWaiters; ++i) {
    clock.Advance(seconds(1));
    ASSERT_TRUE(testing::WaitFor([&] { return woken.load() == i; }, seconds(10))) << i;
  }
  for (auto& t : threads) t.join();
}

TEST(SimulatedClock, SleepUntilReturnsWhenTimeIsAdvanced) {
  SimulatedClock clock;
  const MonoTime deadline = clock.Now() + milliseconds(250);
  std::thread sleeper([&] { clock.SleepUntil(deadline); });
  AwaitWaiters(clock, 1);
  clock.Advance(milliseconds(250));
  sleeper.join();
  EXPECT_EQ(clock.Now(), deadline);
}

TEST(RealClock, WaitUntilEndsAtItsDeadline) {
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock lock(mu);
  const MonoTime deadline = RealClock().Now() + milliseconds(20);
  EXPECT_FALSE(RealClock().WaitUntil(cv, lock, deadline, [] { return false; }));
  EXPECT_GE(RealClock().Now(), deadline);
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
