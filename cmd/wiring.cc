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

metrics::RegistrationView StatusAdapter::Registration() const {
  const controller::ControllerSnapshot s = controller_.Snapshot();
  metrics::RegistrationView view;
  view.etcd_endpoint = s.etcd_endpoint;
  view.etcd_connected = s.etcd_connected;
  view.lease_id = s.lease_id;
  view.lease_ttl_seconds = s.lease_ttl_seconds;
  view.registered_keys = static_cast<int64_t>(s.registered_keys);
  view.last_error = s.last_error;
  view.keys_by_target = s.keys_by_target;
  return view;
}

metrics::Readiness StatusAdapter::Ready() const {
  const controller::ControllerSnapshot s = controller_.Snapshot();
  if (s.ready) return {true, "ok"};
  if (!s.dry_run && s.lease_id == 0) {
    return {false, "no etcd lease held" + (s.last_error.empty() ? "" : ": " + s.last_error)};
  }
  return {false, "first reconcile not done" + (s.last_error.empty() ? "" : ": " + s.last_error)};
}

std::vector<controller::ServiceRegistration> Registrations(const config::Config& config) {
  std::vector<controller::ServiceRegistration> out;
  for (const auto& s : config.services) out.push_back(s.registration);
  return out;
}

}  // namespace registrar
