#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "admin/render.h"

namespace registrar::admin {

std::string FormatTime(WallTime time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromChrono(time), absl::UTCTimeZone());
}

std::string LeaseIdHex(int64_t lease_id) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%llx",
                static_cast<unsigned long long>(static_cast<uint64_t>(lease_id)));
  return buffer;
}

std::string RenderTargetsJson(const StatusSnapshot& s) {
  using nlohmann::json;
  int healthy = 0, unhealthy = 0, unknown = 0;
  json targets = json::array();
  for (const probes::TargetStatus& t : s.targets) {
    switch (t.health) {
      case probes::Health::kHealthy:
        ++healthy;
        break;
      case probes::Health::kUnhealthy:
        ++unhealthy;
        break;
      case probes::Health::kUnknown:
        ++unknown;
        break;
    }
    json results = json::array();
    for (const probes::ProbeResult& r : t.recent) {
      results.push_back({{"time", FormatTime(r.wall_start)},
                         {"ok", r.ok},
                         {"reason", r.reason},
                         {"latency_seconds", ToSeconds(r.latency)},
                         {"http_status", r.http_status}});
    }
    const std::string id = t.target.Id();
    auto key = s.registration.keys_by_target.find(id);
    targets.push_back(
        {{"id", id},
         {"service", t.target.service},
         {"address", t.target.Address()},
         {"state", probes::HealthName(t.health)},
         {"since", FormatTime(t.since)},
         {"registered_key",
          key == s.registration.keys_by_target.end() ? json(nullptr) : json(key->second)},
         {"last_results", std::move(results)}});
  }
  const RegistrationView& reg = s.registration;
  json out = {
      {"summary",
       {{"total", s.targets.size()},
        {"healthy", healthy},
        {"unhealthy", unhealthy},
        {"unknown", unknown}}},
      {"registration",
       {{"etcd_endpoint", reg.etcd_endpoint},
        {"etcd_connected", reg.etcd_connected},
        {"lease_id", reg.lease_id != 0 ? json(LeaseIdHex(reg.lease_id)) : json(nullptr)},
        {"lease_ttl_seconds", reg.lease_ttl_seconds},
        {"registered_keys", reg.registered_keys},
        {"last_error", reg.last_error}}},
      {"ready", {{"ok", s.readiness.ready}, {"reason", s.readiness.reason}}},
      {"generated_at", FormatTime(s.now)},
      {"targets", std::move(targets)},
  };
  // Reasons come from backends and may hold invalid UTF-8: replace, never throw.
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace registrar::admin
