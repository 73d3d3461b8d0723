#include "controller/probe_intake.h"

#include <utility>

namespace registrar::controller {

ProbeIntake::ProbeIntake(Controller& controller)
    : controller_(controller), gate_([&controller](const probes::Target& t, bool registered) {
        controller.SetHealthy(t, registered);
      }) {}

void ProbeIntake::FollowOwnership(probes::Prober& prober) {
  controller_.SetOwnedTargetsCallback(
      [this, &prober](TargetSet owned) { ApplyOwnedTargets(std::move(owned), gate_, prober); });
}

void ProbeIntake::OnResult(const probes::Target& target, const probes::ProbeResult& result,
                           Duration /*schedule_lag*/) {
  std::lock_guard lock(mu_);
  if (listed_.contains(target.Id())) gate_.OnResult(target, result.ok);
}

void ProbeIntake::OnTransition(const probes::Target& target, const probes::Transition& transition) {
  std::lock_guard lock(mu_);
  if (listed_.contains(target.Id())) {
    gate_.OnHealth(target, transition.to == probes::Health::kHealthy);
  }
}

void ProbeIntake::SetTargets(const std::vector<probes::Target>& targets,
                             const std::map<std::string, int>& fail_open_below_percent) {
  std::set<std::string> next;
  for (const auto& t : targets) next.insert(t.Id());
  std::lock_guard lock(mu_);
  for (const auto& id : listed_) {
    if (!next.contains(id)) controller_.RemoveTarget(id);
  }
  listed_ = std::move(next);
  gate_.SetTargets(targets, fail_open_below_percent);
}

bool ProbeIntake::Listed(const std::string& target_id) const {
  std::lock_guard lock(mu_);
  return listed_.contains(target_id);
}

}  // namespace registrar::controller
