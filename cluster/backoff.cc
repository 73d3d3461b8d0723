#include "cluster/backoff.h"

#include <algorithm>

namespace registrar::controller {

Backoff::Backoff(BackoffOptions options, Random& random) : options_(options), random_(random) {}

Duration Backoff::Next() {
  double base = static_cast<double>(options_.initial.count());
  const double cap = static_cast<double>(options_.max.count());
  for (int i = 0; i < failures_ && base < cap; ++i) base *= options_.multiplier;
  base = std::min(base, cap);
  ++failures_;
  const double jitter = std::clamp(options_.jitter, 0.0, 1.0);
  const double wait = base * (1.0 - jitter) + base * jitter * random_.Uniform();
  return std::max(Duration(static_cast<int64_t>(wait)), Duration(std::chrono::milliseconds(1)));
}

}  // namespace registrar::controller
