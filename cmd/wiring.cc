#include "cmd/wiring.h"

namespace registrar {

void ProbeFanout::OnResult(const probes::Target& target, const probes::ProbeResult& result,
                           Duration schedule_lag) {
  metrics_.OnResult(target, result, schedule_lag);
}

void ProbeFanout::OnTransition(const probes::Target& target, const probes::Transition& transition) {
  metrics_.OnTransition(target, transition);
  std::lock_guard lock(mu_);
  if (configured_.count(target.Id()) != 0) controller_.OnHealth(target, transition.to);
}

void ProbeFanout::SetTargets(const std::vector<probes::Target>& targets) {
  std::set<std::string> next;
  for (const auto& t : targets) next.insert(t.Id());
  std::lock_guard lock(mu_);
  for (const auto& id : configured_) {
    if (next.count(id) == 0) controller_.RemoveTarget(id);
  }
  configured_ = std::move(next);
}

std::vector<controller::ServiceRegistration> Registrations(const config::Config& config) {
  std::vector<controller::ServiceRegistration> out;
  for (const auto& s : config.services) out.push_back(s.registration);
  return out;
}

}  // namespace registrar
