// Time and randomness, injected.
//
// Every component that waits, schedules or jitters takes a `Clock&` and/or a
// `Random&` instead of calling std::chrono::*::now() or rand(). Production code
// passes RealClock() / a seeded SystemRandom; unit tests pass a SimulatedClock
// that only moves when the test calls Advance(), so thresholds, backoff and
// schedules are tested in milliseconds of real time.
//
// Waiting goes through the clock too: a component that waits for "a signal or
// a deadline" calls clock.WaitUntil(cv, lock, deadline) instead of
// cv.wait_until / cv.wait_for / sleep_for. On the real clock that is
// cv.wait_until on steady_clock; on a SimulatedClock the deadline is in
// simulated time, and Advance() wakes every waiter whose deadline it reaches
// (no lost wake-up: Advance notifies under the waiter's own mutex), so a test
// drives a component's timers without real sleeps.
//
// Thread-safety: RealClock and SimulatedClock are thread-safe. Random
// implementations are NOT thread-safe: give each thread its own.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <random>
#include <vector>

namespace registrar {

using Duration = std::chrono::nanoseconds;
using MonoTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time: for schedules, timeouts and latencies.
  virtual MonoTime Now() const = 0;
  // Wall-clock time: only for what humans read (API "since", registeredAt).
  virtual WallTime WallNow() const = 0;

  // Waits on `cv` (with `lock`, locked, as cv.wait_until takes it) until
  // `cv` is notified, `deadline` of this clock is reached, or spuriously.
  // Returns std::cv_status::timeout when Now() >= deadline on return.
  virtual std::cv_status WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                                   MonoTime deadline) = 0;
  // Waits until `done()` (checked with `lock` held) or `deadline`; returns
  // done(). The usual form: clock.WaitUntil(cv_, lock, deadline, [&] { return stop_; }).
  template <typename Predicate>
  bool WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, MonoTime deadline,
                 Predicate done) {
    while (!done()) {
      if (WaitUntil(cv, lock, deadline) == std::cv_status::timeout) return done();
    }
    return true;
  }
  // WaitUntil(Now() + timeout).
  template <typename Predicate>
  bool WaitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, Duration timeout,
               Predicate done) {
    return WaitUntil(cv, lock, Now() + timeout, std::move(done));
  }
  // Sleeps until `deadline` of this clock; nothing wakes it earlier. For a
  // wait that a stop must cut short, use WaitUntil with the stopper's cv.
  void SleepUntil(MonoTime deadline);
};

// The process-wide real clock (stateless, so not a mutable global).
Clock& RealClock();

// A clock that moves only when told to. Starts at an arbitrary fixed point.
// WaitUntil blocks (really) until a notify or until Advance() reaches the
// deadline; a test advances time once the component is waiting (waiters()
// says how many threads are), so a 30 s lease TTL passes in microseconds.
class SimulatedClock final : public Clock {
 public:
  SimulatedClock();
  ~SimulatedClock() override;
  SimulatedClock(const SimulatedClock&) = delete;
  SimulatedClock& operator=(const SimulatedClock&) = delete;

  MonoTime Now() const override;
  WallTime WallNow() const override;
  using Clock::WaitUntil;
  std::cv_status WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                           MonoTime deadline) override;

  // Moves time forward by `d` and wakes every waiter whose deadline is now
  // reached; returns after each has been notified.
  void Advance(Duration d);
  // Threads blocked in WaitUntil right now.
  size_t waiters() const;
  // The earliest deadline of a blocked waiter; MonoTime::max() when none.
  MonoTime NextDeadline() const;

 private:
  struct Waiter;

  std::atomic<int64_t> offset_ns_{0};
  mutable std::mutex mu_;             // guards waiters_; taken after a waiter's own mutex
  std::condition_variable released_;  // a waiter's `notifying` dropped to 0
  std::vector<Waiter*> waiters_;      // guarded by mu_
};

class Random {
 public:
  virtual ~Random() = default;
  // Uniform in [0, 1).
  virtual double Uniform() = 0;
  // Uniform duration in [0, max]; max <= 0 yields 0.
  Duration UniformDuration(Duration max);
};

// Mersenne twister seeded from std::random_device (or a fixed seed for tests).
class SystemRandom final : public Random {
 public:
  SystemRandom();
  explicit SystemRandom(uint64_t seed);
  double Uniform() override;

 private:
  std::mt19937_64 engine_;  // owned by the calling thread
};

// Always the same value: makes jittered waits predictable in unit tests.
class FixedRandom final : public Random {
 public:
  explicit FixedRandom(double value) : value_(value) {}
  double Uniform() override { return value_; }

 private:
  double value_;  // constant after construction
};

// Seconds as a double, for metrics and JSON.
inline double ToSeconds(Duration d) { return std::chrono::duration<double>(d).count(); }
// A double number of seconds as a Duration (rounded to nanoseconds).
inline Duration FromSeconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

}  // namespace registrar
