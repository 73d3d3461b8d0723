// When to probe one target: a pure, clock-free schedule.
//
// Probes are planned on a grid `origin + initial_delay + phase + k·period`.
// The phase (in [0, period), drawn once per target) spreads many targets over
// the period so they do not fire together. A probe never overlaps itself, as
// kubelet's: one still in flight when its next slot comes is followed by one
// probe as soon as it ends (later than the period: End() says so), and the
// grid goes on from that start. Slots that pass while a probe waits to start
// are skipped (no burst after a stall).
//
// Not thread-safe; owned by the prober thread. Unit-tested in simulated time.
#pragma once

#include <optional>

#include "common/clock.h"

namespace registrar::probes {

class Schedule final {
 public:
  Schedule(MonoTime origin, Duration initial_delay, Duration period, Duration phase);

  // A phase uniform in [0, period) from `random`.
  static Duration RandomPhase(Duration period, Random& random);

  // The planned start of the next probe (a slot after the one in flight, if
  // any).
  MonoTime next_due() const { return next_due_; }
  bool in_flight() const { return in_flight_; }
  Duration period() const { return period_; }
  // True when no probe is in flight and the next slot has come.
  bool IsDue(MonoTime now) const { return !in_flight_ && now >= next_due_; }

  // Starts the probe planned at next_due() (call when IsDue(now)) and returns
  // its planned start; the next slot is the first one after `now`.
  MonoTime Begin(MonoTime now);
  // The probe in flight ended at `now`. True when it ran past the next slot:
  // the next probe is due at once, later than its period (a timeout longer
  // than the period, or a slow target), and one probe replaces every slot
  // that passed.
  bool End(MonoTime now);

  // A new period from the next probe on: next slot = last planned start + the
  // new period (or now, if that has passed), keeping the grid from there.
  void SetPeriod(Duration period, MonoTime now);

 private:
  // Moves next_due_ forward by whole periods until it is >= t (> t if strict).
  void SkipTo(MonoTime t, bool strict);

  Duration period_;
  MonoTime next_due_;
  std::optional<MonoTime> last_planned_;
  bool in_flight_ = false;
};

}  // namespace registrar::probes
