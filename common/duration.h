// Durations as text, one spelling for the whole program (config, logs, probe
// reasons, command-line flags): Go's "500ms", "10s", "1m30s".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace registrar {

// Parses "500ms", "10s", "1m30s", "1.5h" (units ns, us, µs, ms, s, m, h; a
// number needs a unit). nullopt for anything else or an overflow.
std::optional<Duration> ParseDuration(const std::string& text);
// The shortest exact form of `d` in those units: "500ms", "10s", "1m30s".
std::string FormatDuration(Duration d);
// A decimal number ("1", "0.5", "-2"), no exponent, no inf/nan.
std::optional<double> ParseDecimal(std::string_view text);

}  // namespace registrar
