#include "probes/schedule.h"

#include <algorithm>

namespace registrar::probes {
namespace {
// A zero or negative period would make the grid degenerate; 1 ms is the floor.
Duration SanePeriod(Duration period) {
  return std::max<Duration>(period, std::chrono::milliseconds(1));
}
}  // namespace

Schedule::Schedule(MonoTime origin, Duration initial_delay, Duration period, Duration phase)
    : period_(SanePeriod(period)),
      next_due_(origin + std::max(initial_delay, Duration::zero()) +
                std::clamp(phase, Duration::zero(), period_ - Duration(1))) {}

Duration Schedule::RandomPhase(Duration period, Random& random) {
  period = SanePeriod(period);
  auto phase =
      Duration(static_cast<int64_t>(random.Uniform() * static_cast<double>(period.count())));
  return std::clamp(phase, Duration::zero(), period - Duration(1));
}

MonoTime Schedule::Begin(MonoTime now) {
  MonoTime planned = next_due_;
  last_planned_ = planned;
  in_flight_ = true;
  next_due_ = planned + period_;
  SkipTo(now, /*strict=*/true);
  return planned;
}

bool Schedule::End(MonoTime now) {
  in_flight_ = false;
  if (next_due_ >= now) return false;
  next_due_ = now;
  return true;
}

void Schedule::SetPeriod(Duration period, MonoTime now) {
  period_ = SanePeriod(period);
  if (!last_planned_) return;  // not started yet: keep the first slot
  next_due_ = std::max(*last_planned_ + period_, now);
}

void Schedule::SkipTo(MonoTime t, bool strict) {
  if (next_due_ > t || (!strict && next_due_ == t)) return;
  auto behind = t - next_due_;
  auto periods = behind / period_ + 1;
  if (!strict && behind % period_ == Duration::zero()) periods -= 1;
  next_due_ += periods * period_;
}

}  // namespace registrar::probes
