#include "controller/probe_intake.h"

#include <utility>

namespace registrar::controller {

void ProbeIntake::FollowOwnership(probes::Prober& prober) {
  controller_.SetOwnedTargetsCallback([this, &prober](OwnedTargets owned) {
    ApplyOwnedTargets(std::move(owned), controller_, prober);
  });
}

void ProbeIntake::OnResult(const probes::Target& target, const probes::ProbeResult& result,
                           Duration /*schedule_lag*/) {
  controller_.OnResult(target.Id(), result.ok);
}

void ProbeIntake::OnTransition(const probes::Target& target, const probes::Transition& transition) {
  controller_.OnHealth(target, transition.to);
}

void ApplyOwnedTargets(OwnedTargets owned, Controller& controller, probes::Prober& prober) {
  prober.SetTargets(std::move(owned.targets));
  if (owned.newly_owned.empty()) return;
  for (const probes::TargetStatus& s : prober.Snapshot()) {
    if (s.health != probes::Health::kUnknown && owned.newly_owned.contains(s.target.Id())) {
      controller.OfferHealth(s.target, s.health);
    }
  }
}

}  // namespace registrar::controller
