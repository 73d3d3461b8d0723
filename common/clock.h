// Time and randomness, injected.
//
// Every component that waits, schedules or jitters takes a `Clock&` and/or a
// `Random&` instead of calling std::chrono::*::now() or rand(). Production code
// passes RealClock() / a seeded SystemRandom; unit tests pass a SimulatedClock
// that only moves when the test calls Advance(), so thresholds, backoff and
// schedules are tested in milliseconds of real time.
//
// Thread-safety: RealClock is thread-safe. SimulatedClock is thread-safe (its
// time is an atomic). Random implementations are NOT thread-safe: give each
// thread its own.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>

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
};

// The process-wide real clock (stateless, so not a mutable global).
Clock& RealClock();

// A clock that moves only when told to. Starts at an arbitrary fixed point.
class SimulatedClock final : public Clock {
 public:
  SimulatedClock();
  MonoTime Now() const override;
  WallTime WallNow() const override;
  void Advance(Duration d);

 private:
  std::atomic<int64_t> offset_ns_{0};  // atomic; no other state
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
