// The StatusProvider main uses: targets from the Prober, the etcd side from
// the Controller, readiness from both plus the config.
//
// Ready means: config loaded (SetConfigLoaded(true)), the lease held (not in
// dry run) and the first reconcile done (Controller::Ready()). Otherwise the
// reason names the first thing missing: "config not loaded", "etcd
// unreachable: <error>", "no lease held", "first reconcile not done".
//
// Thread-safety: thread-safe; Prober::Snapshot() and Controller::Snapshot()
// are.
#pragma once

#include <atomic>
#include <mutex>
#include <vector>

#include "admin/status.h"
#include "controller/controller.h"
#include "probes/prober.h"

namespace registrar::admin {

class LiveStatus final : public StatusProvider {
 public:
  // Both must outlive this object.
  LiveStatus(const probes::Prober& prober, const controller::Controller& controller)
      : prober_(prober), controller_(controller) {}

  void SetConfigLoaded(bool loaded) { config_loaded_.store(loaded); }
  // What the status page shows about the process (version, config, reload).
  void SetProcess(ProcessView process) {
    std::lock_guard<std::mutex> lock(mu_);
    process_ = std::move(process);
  }

  std::vector<probes::TargetStatus> Targets() const override;
  RegistrationView Registration() const override;
  Readiness Ready() const override;
  ProcessView Process() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return process_;
  }

  // The same conversions, for other providers.
  static RegistrationView FromSnapshot(const controller::ControllerSnapshot& snapshot);
  static Readiness ReadinessOf(bool config_loaded, const controller::ControllerSnapshot& snapshot);

 private:
  const probes::Prober& prober_;
  const controller::Controller& controller_;
  std::atomic<bool> config_loaded_{false};
  mutable std::mutex mu_;
  ProcessView process_;  // guarded by mu_
};

}  // namespace registrar::admin
