#include "cmd/wiring.h"

namespace registrar {

std::vector<controller::ServiceRegistration> Registrations(const config::Config& config) {
  std::vector<controller::ServiceRegistration> out;
  for (const auto& s : config.services) out.push_back(s.registration);
  return out;
}

absl::Status DrainApi::Drain(const std::string& target_id, const std::string& reason,
                             std::optional<Duration> duration, const std::string& who) {
  if (!controller_.Listed(target_id)) return absl::NotFoundError("no target " + target_id);
  return store_.Drain(target_id, reason, duration.value_or(Duration::zero()), who);
}

absl::Status DrainApi::Undrain(const std::string& target_id, const std::string& /*who*/) {
  absl::Status s = store_.Undrain(target_id);
  return s.code() == absl::StatusCode::kNotFound ? absl::OkStatus() : s;
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
