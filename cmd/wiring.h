// Adapters between modules that must not know each other (private to cmd/).
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "admin/drain_control.h"
#include "config/config.h"
#include "controller/controller.h"
#include "controller/drain_store.h"
#include "controller/registration_gate.h"
#include "etcd/client.h"
#include "metrics/metrics.h"
#include "probes/prober.h"

namespace registrar {

// The prober's observer: every result and transition to the metrics and to
// the registration gate (drain, fail-open; it tells the controller) — but only
// for targets still configured, so a probe that finishes while a reload
// removes its target cannot re-register it.
class ProbeFanout final : public probes::ProbeObserver {
 public:
  ProbeFanout(metrics::Metrics& metrics, controller::Controller& controller,
              controller::RegistrationGate& gate)
      : metrics_(metrics), controller_(controller), gate_(gate) {}

  void OnResult(const probes::Target& target, const probes::ProbeResult& result,
                Duration schedule_lag) override;
  void OnTransition(const probes::Target& target, const probes::Transition& transition) override;
  void OnLocalError(const probes::Target& target, const std::string& reason) override {
    metrics_.OnLocalError(target, reason);
  }

  // Whether `target_id` is configured now.
  bool Configured(const std::string& target_id);
  // Replaces the configured set (and the services' fail-open thresholds); the
  // controller forgets the removed targets.
  void SetTargets(const std::vector<probes::Target>& targets,
                  const std::map<std::string, int>& fail_open_below_percent);

 private:
  metrics::Metrics& metrics_;           // constant after construction
  controller::Controller& controller_;  // constant after construction
  controller::RegistrationGate& gate_;  // constant after construction
  std::mutex mu_;
  std::set<std::string> configured_;  // Target::Id(); guarded by mu_
};

// The admin API's drain endpoints on the etcd-backed store: only configured
// targets can be drained; undrain of a target that is not drained is OK.
class DrainApi final : public admin::DrainControl {
 public:
  DrainApi(controller::DrainStore& store, ProbeFanout& fanout) : store_(store), fanout_(fanout) {}
  absl::Status Drain(const std::string& target_id, const std::string& reason,
                     std::optional<Duration> duration, const std::string& who) override;
  absl::Status Undrain(const std::string& target_id, const std::string& who) override;

 private:
  controller::DrainStore& store_;
  ProbeFanout& fanout_;
};

// The per-service registration settings of a config.
std::vector<controller::ServiceRegistration> Registrations(const config::Config& config);
// Service → failOpen.belowHealthyPercent, for services that set it.
std::map<std::string, int> FailOpenThresholds(const config::Config& config);
// The etcd client settings of a config.
etcd::ClientOptions EtcdClientOptions(const config::EtcdConfig& c,
                                      etcd::RequestObserver* observer = nullptr);

}  // namespace registrar
