#include "status/live_status.h"

namespace registrar::status {

std::vector<probes::TargetStatus> LiveStatus::Targets() const { return prober_.Snapshot(); }

RegistrationView LiveStatus::Registration() const {
  RegistrationView view = FromSnapshot(controller_.Snapshot());
  if (extras_) extras_(view);
  return view;
}

Readiness LiveStatus::Ready() const {
  const bool config_loaded = config_loaded_.load();
  // The common answer without copying the snapshot (and its key map).
  if (config_loaded && controller_.Ready()) return {true, ""};
  return ReadinessOf(config_loaded, controller_.Snapshot());
}

RegistrationView LiveStatus::FromSnapshot(const controller::ControllerSnapshot& s) {
  RegistrationView v;
  v.etcd_endpoint = s.etcd_endpoint;
  v.etcd_connected = s.etcd_connected;
  v.lease_id = s.lease_id;
  v.lease_ttl_seconds = s.lease_ttl_seconds;
  v.registered_keys = static_cast<int64_t>(s.registered_keys);
  v.last_error = s.last_error;
  v.etcd_alarm = s.etcd_alarm;
  v.keys_by_target = s.keys_by_target;
  for (const auto& m : s.members) {
    v.members.push_back({m.id, m.self, static_cast<int64_t>(m.owned_targets)});
  }
  v.owner_by_target = s.owner_by_target;
  v.rejected_keys = s.rejected_keys;
  v.fail_open_services = s.fail_open_services;
  return v;
}

Readiness LiveStatus::ReadinessOf(bool config_loaded, const controller::ControllerSnapshot& s) {
  if (!config_loaded) return {false, "config not loaded"};
  // An alarm or an unreachable etcd is said even when the registrar was
  // ready before: it cannot register anything new until they pass.
  if (!s.etcd_alarm.empty()) {
    return {false, "etcd alarm " + s.etcd_alarm + ": etcd refuses every write (" + s.last_error +
                       "); registered keys stay, new ones wait for an operator to clear it"};
  }
  if (!s.etcd_connected && !s.last_error.empty()) {
    return {false, "etcd unreachable: " + s.last_error};
  }
  if (s.ready) return {true, ""};
  if (s.lease_id == 0 && !s.dry_run) return {false, "no lease held"};
  if (!s.joined && !s.dry_run) return {false, "not a member of the cluster yet"};
  return {false, "first reconcile not done"};
}

}  // namespace registrar::status
