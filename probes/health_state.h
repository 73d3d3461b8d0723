// Thresholds: raw probe results in, health transitions out.
//
// A `HealthState` starts `kUnknown`, becomes `kHealthy` after
// `success_threshold` consecutive successes and `kUnhealthy` after
// `failure_threshold` consecutive failures, and reports a Transition only when
// the health changes. Pure logic, no I/O, no clock: unit-tested directly.
#pragma once

#include <optional>
#include <string>

#include "common/clock.h"
#include "probes/failure_class.h"

namespace registrar::probes {

enum class Health { kUnknown, kHealthy, kUnhealthy };

// "unknown" | "healthy" | "unhealthy".
const char* HealthName(Health health);

struct ProbeResult {
  MonoTime start;       // when the probe began (monotonic)
  WallTime wall_start;  // the same instant, for humans
  bool ok = false;
  std::string reason;  // "status 200", "connection refused", "timeout after 1s", ...
  Duration latency = Duration::zero();
  int http_status = 0;  // 0 when no HTTP response
  // TLS kinds: the leaf certificate's notAfter, when a handshake got that far
  // (also when the probe failed on it, e.g. expired or inside minCertValidity).
  std::optional<WallTime> cert_not_after;
  // Why it failed, set by the transport (kNone when ok).
  FailureClass failure = FailureClass::kNone;
};

struct Transition {
  Health from = Health::kUnknown;
  Health to = Health::kUnknown;
  ProbeResult cause;  // the result that crossed the threshold
};

class HealthState {
 public:
  HealthState(int success_threshold, int failure_threshold);

  // Feeds one result; returns a Transition when health changed.
  std::optional<Transition> Observe(const ProbeResult& result);
  // New thresholds (spec changed); counters and health are kept.
  void SetThresholds(int success_threshold, int failure_threshold);

  Health health() const { return health_; }
  int consecutive_successes() const { return successes_; }
  int consecutive_failures() const { return failures_; }

 private:
  int success_threshold_;
  int failure_threshold_;
  Health health_ = Health::kUnknown;
  int successes_ = 0;
  int failures_ = 0;
};

}  // namespace registrar::probes
