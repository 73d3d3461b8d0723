#include "probes/health_state.h"

#include <algorithm>

namespace registrar::probes {

const char* HealthName(Health health) {
  switch (health) {
    case Health::kHealthy:
      return "healthy";
    case Health::kUnhealthy:
      return "unhealthy";
    case Health::kUnknown:
      break;
  }
  return "unknown";
}

HealthState::HealthState(int success_threshold, int failure_threshold)
    : success_threshold_(std::max(success_threshold, 1)),
      failure_threshold_(std::max(failure_threshold, 1)) {}

void HealthState::SetThresholds(int success_threshold, int failure_threshold) {
  success_threshold_ = std::max(success_threshold, 1);
  failure_threshold_ = std::max(failure_threshold, 1);
}

std::optional<Transition> HealthState::Observe(const ProbeResult& result) {
  Health next = health_;
  if (result.ok) {
    ++successes_;
    failures_ = 0;
    if (successes_ >= success_threshold_) next = Health::kHealthy;
  } else {
    ++failures_;
    successes_ = 0;
    if (failures_ >= failure_threshold_) next = Health::kUnhealthy;
  }
  if (next == health_) return std::nullopt;
  Transition transition{health_, next, result};
  health_ = next;
  return transition;
}

}  // namespace registrar::probes
