// How many probes may run at once, adapted to whether the loop keeps up.
//
// The hard bound (ProberOptions::max_in_flight) protects against targets that
// hang. This adds a soft bound for a prober starved of CPU: when the loop
// itself runs late (a due timer is handled more than kStarved after its due
// time), the bound drops to 3/4 of what is in flight; while the loop is on
// time it grows back by 1/8 per step. Probes that have not started have no
// timeout running, so overload shows as schedule lag (missed slots skipped)
// instead of false "timeout" results. Pure logic; prober thread only.
#pragma once

#include <algorithm>

#include "common/clock.h"

namespace registrar::probes {

class InFlightLimit final {
 public:
  static constexpr Duration kStarved = std::chrono::milliseconds(50);
  static constexpr Duration kKeepingUp = std::chrono::milliseconds(10);
  static constexpr int kFloor = 32;

  explicit InFlightLimit(int max) : max_(std::max(max, 1)), value_(max_) {}

  int value() const { return value_; }

  // `loop_late`: how late the loop handled its oldest due timer just now.
  void Update(Duration loop_late, int in_flight) {
    if (loop_late > kStarved) {
      value_ = std::max(std::min(kFloor, max_), std::min(value_, in_flight * 3 / 4));
    } else if (loop_late < kKeepingUp && value_ < max_) {
      value_ = std::min(max_, value_ + std::max(8, value_ / 8));
    }
  }

 private:
  int max_;
  int value_;
};

}  // namespace registrar::probes
