// Adapters between modules that must not know each other (private to cmd/).
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "controller/controller.h"
#include "metrics/metrics.h"
#include "probes/prober.h"

namespace registrar {

// The prober's observer: every result to the metrics; every transition to the
// metrics and to the controller — but only for targets still configured, so a
// probe that finishes while a reload removes its target cannot re-register it.
class ProbeFanout final : public probes::ProbeObserver {
 public:
  ProbeFanout(metrics::Metrics& metrics, controller::Controller& controller)
      : metrics_(metrics), controller_(controller) {}

  void OnResult(const probes::Target& target, const probes::ProbeResult& result,
                Duration schedule_lag) override;
  void OnTransition(const probes::Target& target, const probes::Transition& transition) override;
  void OnLocalError(const probes::Target& target, const std::string& reason) override {
    metrics_.OnLocalError(target, reason);
  }

  // Replaces the configured set; the controller forgets the removed targets.
  void SetTargets(const std::vector<probes::Target>& targets);

 private:
  metrics::Metrics& metrics_;           // constant after construction
  controller::Controller& controller_;  // constant after construction
  std::mutex mu_;
  std::set<std::string> configured_;  // Target::Id(); guarded by mu_
};

// The per-service registration settings of a config.
std::vector<controller::ServiceRegistration> Registrations(const config::Config& config);

}  // namespace registrar
