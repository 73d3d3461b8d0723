// Private to admin/: renders a status snapshot as the JSON API and as the
// HTML status page. Pure functions of their inputs, so both are tested
// without a server.
#pragma once

#include <string>
#include <vector>

#include "admin/target_query.h"
#include "common/clock.h"
#include "probes/prober.h"
#include "status/status.h"

namespace registrar::admin {

struct StatusSnapshot {
  std::vector<probes::TargetStatus> targets;
  status::RegistrationView registration;
  status::Readiness readiness;
  status::ProcessView process;
  std::vector<sources::SourceState> sources;
  WallTime now;                // when the snapshot was taken
  bool drain_enabled = false;  // the drain API is on (shown on the page)
};

// /api/v1/targets: {"summary":{...},"total":N,"limit","offset",
// "services":[...],"registration":{...,"members","fail_open_services",
// "rejected_keys"},"process":{...},"ready":{...},
// "sources":[{"service","kind","name","targets","answered","last_success",
// "last_error","failures":{reason:n},"changes_applied","changes_held",
// "held_removals"}],
// "targets":[{"id","service","address","source","state","since","registered_key",
// "owner","drained":{...}|null,
// "last_results":[{"time","ok","reason","latency_seconds","http_status"}]}]}
// where "targets" is the page of `query` (last, one target per line) and
// "total" counts every match.
std::string RenderTargetsJson(const StatusSnapshot& snapshot, const TargetQuery& query);

// "/": a self-contained HTML page (inline CSS, no script): summary per
// service, a filter form (state, service, text, page size), sortable column
// headers, paging links. `refresh_seconds` > 0 adds <meta http-equiv="refresh">.
std::string RenderStatusPage(const StatusSnapshot& snapshot, const TargetQuery& query,
                             int refresh_seconds);

// /probe?target=SERVICE/ADDRESS: the target's latest probe result in
// blackbox_exporter's exposition (probe_success, probe_duration_seconds,
// probe_http_status_code, probe_http_ssl, probe_ip_protocol,
// probe_ssl_earliest_cert_expiry), plus when that probe ran and the verdict
// after thresholds. `target` may also be an ADDRESS or a URL
// ("http://ADDRESS/path") when exactly one service has that address. 400 for
// a missing or ambiguous target, 404 for one not configured, 503 before its
// first probe; the body is a text message then.
struct ProbeAnswer {
  int status = 200;
  std::string body;
};
ProbeAnswer RenderBlackboxProbe(const std::vector<probes::TargetStatus>& targets,
                                const std::string& target);

// Escapes & < > " ' for HTML text and attribute values.
std::string HtmlEscape(const std::string& text);

// "2026-11-25T19:30:00.123Z".
std::string FormatTime(WallTime time);
// Lease ids the way etcdctl prints them: lowercase hex.
std::string LeaseIdHex(int64_t lease_id);

}  // namespace registrar::admin
