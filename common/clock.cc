#include "common/clock.h"

namespace registrar {
namespace {

class SteadyClock final : public Clock {
 public:
  MonoTime Now() const override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
};

// A fixed, recognisable starting point for simulated wall time (2026-01-01T00:00:00Z).
constexpr int64_t kSimulatedWallEpochSeconds = 1767225600;

}  // namespace

Clock& RealClock() {
  static SteadyClock clock;  // stateless
  return clock;
}

SimulatedClock::SimulatedClock() = default;

MonoTime SimulatedClock::Now() const {
  return MonoTime(std::chrono::hours(1)) + Duration(offset_ns_.load());
}

WallTime SimulatedClock::WallNow() const {
  return WallTime(std::chrono::seconds(kSimulatedWallEpochSeconds)) +
         std::chrono::duration_cast<WallTime::duration>(Duration(offset_ns_.load()));
}

void SimulatedClock::Advance(Duration d) { offset_ns_.fetch_add(d.count()); }

Duration Random::UniformDuration(Duration max) {
  if (max <= Duration::zero()) return Duration::zero();
  return Duration(static_cast<int64_t>(Uniform() * static_cast<double>(max.count())));
}

SystemRandom::SystemRandom() : engine_(std::random_device{}()) {}
SystemRandom::SystemRandom(uint64_t seed) : engine_(seed) {}

double SystemRandom::Uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }

}  // namespace registrar
