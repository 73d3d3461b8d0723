// The fixed set of probe failure reasons of registrar_probe_failures_total.
//
// A probe's reason is free text for humans ("timeout after 1s", "connection
// refused", "status 503"); a label must come from a small fixed set so a
// hostile backend cannot grow the series count. FailureReason() maps every
// text to one of kFailureReasons; what it does not recognise is "other".
#pragma once

#include <array>
#include <string_view>

namespace registrar::metrics {

inline constexpr std::array<std::string_view, 8> kFailureReasons = {
    "timeout", "refused", "status", "body", "tls", "dns", "reset", "other"};

// One of kFailureReasons for a failed probe's reason text.
std::string_view FailureReason(std::string_view reason);

}  // namespace registrar::metrics
