#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "admin/render.h"
#include "common/json_text.h"

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

namespace {

nlohmann::json DrainJson(const status::DrainInfo& d) {
  return {{"reason", d.reason},
          {"by", d.by},
          {"at", FormatTime(d.at)},
          {"until", d.until ? nlohmann::json(FormatTime(*d.until)) : nlohmann::json(nullptr)}};
}

nlohmann::json TargetJson(const probes::TargetStatus& t, const status::RegistrationView& reg) {
  using nlohmann::json;
  json results = json::array();
  for (const probes::ProbeResult& r : t.recent) {
    results.push_back({{"time", FormatTime(r.wall_start)},
                       {"ok", r.ok},
                       {"reason", r.reason},
                       {"latency_seconds", ToSeconds(r.latency)},
                       {"http_status", r.http_status}});
  }
  const std::string id = t.target.Id();
  auto key = reg.keys_by_target.find(id);
  auto owner = reg.owner_by_target.find(id);
  auto drained = reg.drained.find(id);
  return {{"id", id},
          {"service", t.target.service},
          {"address", t.target.Address()},
          {"source", t.target.source},
          {"state", probes::HealthName(t.health)},
          {"since", FormatTime(t.since)},
          {"registered_key", key == reg.keys_by_target.end() ? json(nullptr) : json(key->second)},
          {"owner", owner == reg.owner_by_target.end() ? json(nullptr) : json(owner->second)},
          {"drained", drained == reg.drained.end() ? json(nullptr) : DrainJson(drained->second)},
          {"period_seconds", ToSeconds(t.target.probe.period)},
          {"probe_interval_seconds", ToSeconds(t.interval)},
          {"late_probes", t.late_probes},
          {"last_results", std::move(results)}};
}

}  // namespace

std::string RenderTargetsJson(const StatusSnapshot& s, const TargetQuery& query) {
  using nlohmann::json;
  const status::RegistrationView& reg = s.registration;
  int healthy = 0, unhealthy = 0, unknown = 0;
  for (const probes::TargetStatus& t : s.targets) {
    healthy += t.health == probes::Health::kHealthy;
    unhealthy += t.health == probes::Health::kUnhealthy;
    unknown += t.health == probes::Health::kUnknown;
  }
  const QueryResult result = RunTargetQuery(s.targets, reg, query);
  json services = json::array();
  for (const ServiceSummary& v : result.services) {
    services.push_back({{"service", v.service},
                        {"total", v.total},
                        {"healthy", v.healthy},
                        {"unhealthy", v.unhealthy},
                        {"unknown", v.unknown},
                        {"registered", v.registered},
                        {"drained", v.drained}});
  }
  json members = json::array();
  for (const status::MemberView& m : reg.members) {
    members.push_back({{"id", m.id}, {"self", m.self}, {"owned_targets", m.owned_targets}});
  }
  json source_list = json::array();
  for (const sources::SourceState& v : s.sources) {
    source_list.push_back(
        {{"service", v.spec.service},
         {"kind", sources::SourceKindName(v.spec.kind)},
         {"name", v.name},
         {"targets", v.targets},
         {"answered", v.answered},
         {"last_success", v.last_success ? json(FormatTime(*v.last_success)) : json(nullptr)},
         {"last_error", v.last_error},
         {"failures", v.failures},
         {"changes_applied", v.changes_applied},
         {"changes_held", v.changes_held},
         {"held_removals", v.held_removals}});
  }
  json out = {
      {"summary",
       {{"total", s.targets.size()},
        {"healthy", healthy},
        {"unhealthy", unhealthy},
        {"unknown", unknown},
        {"drained", reg.drained.size()}}},
      {"total", result.total},
      {"limit", query.limit},
      {"offset", query.offset},
      {"services", std::move(services)},
      {"sources", std::move(source_list)},
      {"registration",
       {{"etcd_endpoint", reg.etcd_endpoint},
        {"etcd_connected", reg.etcd_connected},
        {"lease_id", reg.lease_id != 0 ? json(LeaseIdHex(reg.lease_id)) : json(nullptr)},
        {"lease_ttl_seconds", reg.lease_ttl_seconds},
        {"registered_keys", reg.registered_keys},
        {"last_error", reg.last_error},
        {"etcd_alarm", reg.etcd_alarm},
        {"members", std::move(members)},
        {"fail_open_services", reg.fail_open_services},
        {"rejected_keys", reg.rejected_keys}}},
      {"process",
       {{"version", s.process.version},
        {"config_file", s.process.config_file},
        {"last_reload",
         s.process.last_reload ? json(FormatTime(*s.process.last_reload)) : json(nullptr)},
        {"last_reload_ok", s.process.last_reload_ok}}},
      {"ready", {{"ok", s.readiness.ready}, {"reason", s.readiness.reason}}},
      {"generated_at", FormatTime(s.now)},
  };
  // Reasons come from backends and may hold invalid UTF-8: replace, never throw.
  std::string text = JsonText(out, 2);
  text.resize(text.size() - 2);  // "\n}": "targets" goes last, after the last member's line
  text += ",\n  \"targets\": [";
  // One target at a time, one line each: a page of 10 000 targets is ~15 MB
  // of text, and as one json tree it was millions of allocations and several
  // times that in peak memory, which the process kept resident.
  const char* separator = "\n    ";
  for (const probes::TargetStatus* t : result.page) {
    text += separator;
    text += JsonText(TargetJson(*t, reg));
    separator = ",\n    ";
  }
  text += result.page.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return text;
}

}  // namespace registrar::admin
