// The StatusProvider main uses: targets from the Prober, the etcd side from
// the Controller, readiness from both plus the config.
//
// Ready means: config loaded (SetConfigLoaded(true)) and Controller::Ready():
// the lease held and the cluster joined (not in dry run), etcd answering and
// accepting writes, and a reconcile done that settled every owned target.
// Otherwise the reason names the first thing missing: "config not loaded",
// "etcd alarm <alarm>: …", "etcd unreachable: <error>", "no lease held", "not
// a member of the cluster yet", "first reconcile not done".
//
// Thread-safety: thread-safe; Prober::Snapshot() and Controller::Snapshot()
// are.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "controller/controller.h"
#include "probes/prober.h"
#include "status/status.h"

namespace registrar::status {

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
  // Adds what neither the prober nor the controller knows (drains, fail-open)
  // to every Registration(). Set once, before the first request; thread-safe.
  void SetRegistrationExtras(std::function<void(RegistrationView&)> extras) {
    extras_ = std::move(extras);
  }

  // Where Sources() reads from. Set once, before the first request.
  void SetSources(std::function<std::vector<sources::SourceState>()> sources) {
    sources_ = std::move(sources);
  }
  std::vector<sources::SourceState> Sources() const override {
    return sources_ ? sources_() : std::vector<sources::SourceState>{};
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
  std::function<void(RegistrationView&)> extras_;               // set before use
  std::function<std::vector<sources::SourceState>()> sources_;  // set before use
  mutable std::mutex mu_;
  ProcessView process_;  // guarded by mu_
};

}  // namespace registrar::status
