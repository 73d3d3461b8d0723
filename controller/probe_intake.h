// Where probe verdicts enter registration: the prober's observer on the
// registration side. A verdict of a target in the current target set goes to
// its RegistrationGate (drains, fail-open; registration_gate.h), whose sink is
// the controller (Controller::SetHealthy); a verdict of a target just removed
// is dropped. A target leaving the set is forgotten by the controller. The
// other way, FollowOwnership() hands what the controller says this replica
// owns to the gate and the prober (ApplyOwnedTargets).
//
// Thread-safety: the ProbeObserver methods run on the prober's thread;
// SetTargets, Listed and gate() from any thread. Lock order: this object's
// lock, then the gate's, then the controller's.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "controller/controller.h"
#include "controller/registration_gate.h"
#include "probes/prober.h"

namespace registrar::controller {

class ProbeIntake final : public probes::ProbeObserver {
 public:
  // `controller` must outlive this object.
  explicit ProbeIntake(Controller& controller);

  // The controller tells the gate and `prober` what this replica owns; call
  // once, before Controller::Start. `prober` must outlive the controller's
  // thread.
  void FollowOwnership(probes::Prober& prober);
  // Drains (SetDrained) and fail-open state (FailOpenServices) live here.
  RegistrationGate& gate() { return gate_; }

  void OnResult(const probes::Target& target, const probes::ProbeResult& result,
                Duration schedule_lag) override;
  void OnTransition(const probes::Target& target, const probes::Transition& transition) override;

  // Replaces the target set (and the services' fail-open thresholds, percent).
  void SetTargets(const std::vector<probes::Target>& targets,
                  const std::map<std::string, int>& fail_open_below_percent);
  // Whether `target_id` is in the target set now.
  bool Listed(const std::string& target_id) const;

 private:
  Controller& controller_;
  RegistrationGate gate_;
  mutable std::mutex mu_;
  std::set<std::string> listed_;  // Target::Id(); guarded by mu_
};

}  // namespace registrar::controller
