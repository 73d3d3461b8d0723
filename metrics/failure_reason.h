// The fixed label set of registrar_probe_failures_total{reason}.
//
// A failed probe's reason is free text for humans ("timeout after 1s",
// "dns: Domain name not found (x.test)"); the label is the probe's
// FailureClass, set by the transport that saw the failure (probes/
// failure_class.h), so it is never guessed from that text and a hostile
// backend cannot grow the series count.
#pragma once

#include <array>

#include "probes/failure_class.h"

namespace registrar::metrics {

// Every class a recorded probe result can carry: all but kNone (a pass) and
// kLocalResource (such probes are not recorded; they count in
// registrar_prober_local_errors_total). Each is a label value, created for
// every service at start.
inline constexpr std::array<probes::FailureClass, 12> kCountedFailures = {
    probes::FailureClass::kTimeout,    probes::FailureClass::kRefused,
    probes::FailureClass::kHttpStatus, probes::FailureClass::kBody,
    probes::FailureClass::kTls,        probes::FailureClass::kDns,
    probes::FailureClass::kReset,      probes::FailureClass::kUnreachable,
    probes::FailureClass::kProtocol,   probes::FailureClass::kGrpcStatus,
    probes::FailureClass::kExec,       probes::FailureClass::kOther};

}  // namespace registrar::metrics
