// Private to metrics/: renders a status snapshot as the JSON API and as the
// HTML status page. Pure functions of their inputs, so both are tested
// without a server.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "admin/status.h"
#include "probes/prober.h"

namespace registrar::admin {

struct StatusSnapshot {
  std::vector<probes::TargetStatus> targets;
  RegistrationView registration;
  Readiness readiness;
  WallTime now;  // when the snapshot was taken
};

// /api/v1/targets: {"summary":{...},"registration":{...},"ready":{...},
// "targets":[{"id","service","address","state","since","registered_key",
// "last_results":[{"time","ok","reason","latency_seconds","http_status"}]}]}.
std::string RenderTargetsJson(const StatusSnapshot& snapshot);

// "/": a self-contained HTML page (inline CSS, no script). `refresh_seconds`
// > 0 adds <meta http-equiv="refresh">.
std::string RenderStatusPage(const StatusSnapshot& snapshot, int refresh_seconds);

// Escapes & < > " ' for HTML text and attribute values.
std::string HtmlEscape(const std::string& text);

// "2026-11-25T19:30:00.123Z".
std::string FormatTime(WallTime time);
// Lease ids the way etcdctl prints them: lowercase hex.
std::string LeaseIdHex(int64_t lease_id);

}  // namespace registrar::admin
