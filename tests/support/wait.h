// Test support: waiting on conditions with a deadline (never sleep-and-hope).
#pragma once

#include <functional>

#include "common/clock.h"

namespace registrar::testing {

// Polls `cond` every few milliseconds until it returns true (→ true) or
// `timeout` passes (→ false).
bool WaitFor(const std::function<bool()>& cond, Duration timeout = std::chrono::seconds(10));

}  // namespace registrar::testing
