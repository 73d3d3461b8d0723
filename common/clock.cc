#include "common/clock.h"

#include <algorithm>

namespace registrar {
namespace {

class SteadyClock final : public Clock {
 public:
  MonoTime Now() const override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
  std::cv_status WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                           MonoTime deadline) override {
    return cv.wait_until(lock, deadline);
  }
};

// A fixed, recognisable starting point for simulated wall time (2026-01-01T00:00:00Z).
constexpr int64_t kSimulatedWallEpochSeconds = 1767225600;

}  // namespace

Clock& RealClock() {
  static SteadyClock clock;  // stateless
  return clock;
}

void Clock::SleepUntil(MonoTime deadline) {
  std::mutex mu;
  std::condition_variable cv;  // never notified: only the deadline ends the wait
  std::unique_lock lock(mu);
  WaitUntil(cv, lock, deadline, [] { return false; });
}

// One thread blocked in SimulatedClock::WaitUntil. Lives on that thread's
// stack; it does not return while an Advance() is notifying it.
struct SimulatedClock::Waiter {
  std::condition_variable* cv;
  std::mutex* mu;
  MonoTime deadline;
  int notifying = 0;  // guarded by SimulatedClock::mu_
};

SimulatedClock::SimulatedClock() = default;
SimulatedClock::~SimulatedClock() = default;

MonoTime SimulatedClock::Now() const {
  return MonoTime(std::chrono::hours(1)) + Duration(offset_ns_.load());
}

WallTime SimulatedClock::WallNow() const {
  return WallTime(std::chrono::seconds(kSimulatedWallEpochSeconds)) +
         std::chrono::duration_cast<WallTime::duration>(Duration(offset_ns_.load()));
}

std::cv_status SimulatedClock::WaitUntil(std::condition_variable& cv,
                                         std::unique_lock<std::mutex>& lock, MonoTime deadline) {
  Waiter self{&cv, lock.mutex(), deadline};
  {
    // Checked and registered under mu_, where Advance() moves time: either
    // this sees the new time, or Advance() sees this waiter.
    std::lock_guard guard(mu_);  // order: the caller's mutex, then mu_
    if (Now() >= deadline) return std::cv_status::timeout;
    waiters_.push_back(&self);
  }
  // Advance() notifies under the caller's mutex, which this thread holds
  // until wait() releases it: its wake-up cannot come before the wait.
  cv.wait(lock);
  // Leave the list without the caller's mutex: an Advance() that is about to
  // notify `self` needs it, and `self` must outlive that notification.
  lock.unlock();
  {
    std::unique_lock guard(mu_);
    released_.wait(guard, [&] { return self.notifying == 0; });
    std::erase(waiters_, &self);
  }
  lock.lock();
  return Now() >= deadline ? std::cv_status::timeout : std::cv_status::no_timeout;
}

void SimulatedClock::Advance(Duration d) {
  std::vector<Waiter*> due;
  {
    std::lock_guard guard(mu_);
    offset_ns_.fetch_add(d.count());
    const MonoTime now = Now();
    for (Waiter* w : waiters_) {
      if (w->deadline <= now) {
        ++w->notifying;
        due.push_back(w);
      }
    }
  }
  for (Waiter* w : due) {
    std::lock_guard waiter_lock(*w->mu);
    w->cv->notify_all();
  }
  {
    std::lock_guard guard(mu_);
    for (Waiter* w : due) --w->notifying;
  }
  released_.notify_all();
}

size_t SimulatedClock::waiters() const {
  std::lock_guard guard(mu_);
  return waiters_.size();
}

MonoTime SimulatedClock::NextDeadline() const {
  std::lock_guard guard(mu_);
  MonoTime next = MonoTime::max();
  for (const Waiter* w : waiters_) next = std::min(next, w->deadline);
  return next;
}

Duration Random::UniformDuration(Duration max) {
  if (max <= Duration::zero()) return Duration::zero();
  return Duration(static_cast<int64_t>(Uniform() * static_cast<double>(max.count())));
}

SystemRandom::SystemRandom() : engine_(std::random_device{}()) {}
SystemRandom::SystemRandom(uint64_t seed) : engine_(seed) {}

double SystemRandom::Uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }

}  // namespace registrar
