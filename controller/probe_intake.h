// Where probe verdicts enter registration: the prober's observer on the
// registration side. Results and transitions go to the controller's target
// table as they are (Controller::OnResult / OnHealth); the controller judges
// them with drains and fail-open (judge.h) on its own thread. The other way,
// FollowOwnership() hands what the controller says this replica owns to the
// prober (ApplyOwnedTargets).
//
// Thread-safety: the ProbeObserver methods run on the prober's thread;
// FollowOwnership before Controller::Start.
#pragma once

#include "controller/controller.h"
#include "probes/prober.h"

namespace registrar::controller {

class ProbeIntake final : public probes::ProbeObserver {
 public:
  // `controller` must outlive this object.
  explicit ProbeIntake(Controller& controller) : controller_(controller) {}

  // The controller tells `prober` what this replica owns; call once, before
  // Controller::Start. `prober` must outlive the controller's thread.
  void FollowOwnership(probes::Prober& prober);

  void OnResult(const probes::Target& target, const probes::ProbeResult& result,
                Duration schedule_lag) override;
  void OnTransition(const probes::Target& target, const probes::Transition& transition) override;

 private:
  Controller& controller_;
};

// The controller's owned set handed to the prober (on the controller's
// thread). A target that came back before the prober dropped it keeps its
// session and gets no new transition, so the controller is offered the
// health the prober has of each newly owned target (taken only where the
// controller has no verdict since the target became ours).
void ApplyOwnedTargets(OwnedTargets owned, Controller& controller, probes::Prober& prober);

}  // namespace registrar::controller
