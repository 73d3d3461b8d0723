#include "cmd/wiring.h"

namespace registrar {

void ProbeFanout::OnResult(const probes::Target& target, const probes::ProbeResult& result,
                           Duration schedule_lag) {
  metrics_.OnResult(target, result, schedule_lag);
  std::lock_guard lock(mu_);
  if (configured_.count(target.Id()) != 0) gate_.OnResult(target, result.ok);
}

void ProbeFanout::OnTransition(const probes::Target& target, const probes::Transition& transition) {
  metrics_.OnTransition(target, transition);
  std::lock_guard lock(mu_);
  if (configured_.count(target.Id()) != 0) {
    gate_.OnHealth(target, transition.to == probes::Health::kHealthy);
  }
}

void ProbeFanout::SetTargets(const std::vector<probes::Target>& targets,
                             const std::map<std::string, int>& fail_open_below_percent) {
  std::set<std::string> next;
  for (const auto& t : targets) next.insert(t.Id());
  std::lock_guard lock(mu_);
  for (const auto& id : configured_) {
    if (next.count(id) == 0) controller_.RemoveTarget(id);
  }
  configured_ = std::move(next);
  gate_.SetTargets(targets, fail_open_below_percent);
}

std::vector<controller::ServiceRegistration> Registrations(const config::Config& config) {
  std::vector<controller::ServiceRegistration> out;
  for (const auto& s : config.services) out.push_back(s.registration);
  return out;
}

bool ProbeFanout::Configured(const std::string& target_id) {
  std::lock_guard lock(mu_);
  return configured_.count(target_id) != 0;
}

absl::Status DrainApi::Drain(const std::string& target_id, const std::string& reason,
                             std::optional<Duration> duration, const std::string& who) {
  if (!fanout_.Configured(target_id)) return absl::NotFoundError("no target " + target_id);
  return store_.Drain(target_id, reason, duration.value_or(Duration::zero()), who);
}

absl::Status DrainApi::Undrain(const std::string& target_id, const std::string& /*who*/) {
  absl::Status s = store_.Undrain(target_id);
  return s.code() == absl::StatusCode::kNotFound ? absl::OkStatus() : s;
}

std::map<std::string, int> FailOpenThresholds(const config::Config& config) {
  std::map<std::string, int> out;
  for (const auto& s : config.services) {
    if (s.fail_open_below_percent) out[s.registration.service] = *s.fail_open_below_percent;
  }
  return out;
}

etcd::ClientOptions EtcdClientOptions(const config::EtcdConfig& c,
                                      etcd::RequestObserver* observer) {
  etcd::ClientOptions o;
  o.endpoints = c.endpoints;
  o.dial_timeout = c.dial_timeout;
  o.username = c.username;
  o.password = c.password;
  if (c.tls) {
    o.tls = etcd::TlsConfig{c.tls->ca_file, c.tls->cert_file, c.tls->key_file, c.tls->server_name};
  }
  o.observer = observer;
  return o;
}

}  // namespace registrar
