// /probe: one target's latest result in blackbox_exporter's exposition
// (admin/render.h).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "admin/render.h"

namespace registrar::admin {
namespace {

std::string Number(double value) {
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%.9g", value);
  return buffer;
}

double UnixSeconds(WallTime t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// blackbox_exporter's HELP texts, so dashboards and alerts made for it read
// the same here.
void Gauge(std::string& out, const std::string& name, const std::string& help, double value) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " gauge\n" + name + " " +
         Number(value) + "\n";
}

// "http://10.0.0.5:8080/healthz" -> "10.0.0.5:8080"; anything else as it is.
std::string AddressOfUrl(const std::string& text) {
  for (const std::string scheme : {"http://", "https://"}) {
    if (absl::StartsWithIgnoreCase(text, scheme)) {
      const std::string rest = text.substr(scheme.size());
      return rest.substr(0, rest.find_first_of("/?#"));
    }
  }
  return text;
}

}  // namespace

ProbeAnswer RenderBlackboxProbe(const std::vector<probes::TargetStatus>& targets,
                                const std::string& target) {
  if (target.empty()) return {400, "Target parameter is missing\n"};
  const probes::TargetStatus* found = nullptr;
  for (const probes::TargetStatus& t : targets) {
    if (t.target.Id() == target) found = &t;
  }
  if (found == nullptr) {  // blackbox habits: an address or a URL, when one target has it
    const std::string address = AddressOfUrl(target);
    std::vector<std::string> services;
    for (const probes::TargetStatus& t : targets) {
      if (t.target.Address() == address) {
        found = &t;
        services.push_back(t.target.service);
      }
    }
    if (services.size() > 1) {
      std::sort(services.begin(), services.end());
      return {400, "target " + address + " is in several services (" +
                       absl::StrJoin(services, ", ") + "); name one as SERVICE/ADDRESS\n"};
    }
  }
  if (found == nullptr) {
    return {404, "no target " + target +
                     " is configured; expected SERVICE/ADDRESS as /api/v1/targets lists them\n"};
  }
  const probes::TargetStatus& t = *found;
  if (t.recent.empty()) {
    return {503, absl::StrCat("target ", t.target.Id(), " has not been probed yet\n")};
  }
  const probes::ProbeResult& r = t.recent.back();
  const bool http = t.target.probe.kind == probes::ProbeKind::kHttpGet;
  std::string out;
  Gauge(out, "probe_duration_seconds", "Returns how long the probe took to complete in seconds",
        std::chrono::duration<double>(r.latency).count());
  if (http) {
    Gauge(out, "probe_http_ssl", "Indicates if SSL was used for the final redirect",
          absl::EqualsIgnoreCase(t.target.probe.http_get.scheme, "HTTPS") ? 1 : 0);
    Gauge(out, "probe_http_status_code", "Response HTTP status code", r.http_status);
  }
  // Only for an IP literal: which family a host name resolved to is not kept.
  const std::string& host = t.target.host;
  const bool v6 = host.find(':') != std::string::npos;
  if (v6 || (!host.empty() && host.find_first_not_of("0123456789.") == std::string::npos)) {
    Gauge(out, "probe_ip_protocol", "Specifies whether probe ip protocol is IP4 or IP6",
          v6 ? 6 : 4);
  }
  for (auto it = t.recent.rbegin(); it != t.recent.rend(); ++it) {
    if (it->cert_not_after) {
      Gauge(out, "probe_ssl_earliest_cert_expiry", "Returns last SSL chain expiry in unixtime",
            UnixSeconds(*it->cert_not_after));
      break;
    }
  }
  Gauge(out, "probe_success", "Displays whether or not the probe was a success", r.ok ? 1 : 0);
  // What blackbox has no word for: this answer is the registrar's latest
  // probe (not one run for this request), and the verdict after thresholds.
  Gauge(out, "registrar_target_last_probe_timestamp_seconds",
        "Unix time the target's last probe started (the result above).", UnixSeconds(r.wall_start));
  if (t.health != probes::Health::kUnknown) {
    Gauge(out, "registrar_target_healthy",
          "1 if the target is healthy, 0 if unhealthy (after its thresholds); absent while "
          "unknown.",
          t.health == probes::Health::kHealthy ? 1 : 0);
  }
  return {200, std::move(out)};
}

}  // namespace registrar::admin
