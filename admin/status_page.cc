#include <chrono>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "admin/render.h"

namespace registrar::admin {
namespace {

constexpr char kStyle[] = R"css(
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f4f6f9}
header{background:#1d2330;color:#fff;padding:14px 24px;display:flex;align-items:center;gap:16px}
header h1{font-size:20px;margin:0;font-weight:600}
main{padding:16px 24px}
.badge{padding:3px 10px;border-radius:12px;font-weight:600;font-size:13px}
.ready{background:#1f9d55;color:#fff}.notready{background:#d64545;color:#fff}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:16px}
.card{background:#fff;border-radius:8px;padding:12px 18px;min-width:120px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card .n{font-size:26px;font-weight:700}.card .l{color:#5b6475;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card.healthy .n{color:#1f9d55}.card.unhealthy .n{color:#d64545}.card.unknown .n{color:#7a8190}
h2{font-size:16px;margin:18px 0 8px}
table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.08);border-radius:8px;overflow:hidden}
th,td{padding:6px 12px;text-align:left;border-bottom:1px solid #e6e9ef;vertical-align:middle}
thead th{background:#eef1f6;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#5b6475}
table.targets{width:100%}
.state{padding:2px 8px;border-radius:10px;font-weight:600;font-size:12px;color:#fff}
.state.healthy{background:#1f9d55}.state.unhealthy{background:#d64545}.state.unknown{background:#7a8190}
.sq{display:inline-block;width:11px;height:11px;margin-right:2px;border-radius:2px}
.sq.ok{background:#1f9d55}.sq.fail{background:#d64545}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
.muted{color:#7a8190}.err{color:#d64545}
footer{padding:8px 24px 24px;color:#7a8190;font-size:12px}
a{color:#2b6cb0}
)css";

std::string Ago(WallTime now, WallTime then) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(now - then).count();
  if (s < 0) s = 0;
  if (s < 60) return absl::StrCat(s, "s ago");
  if (s < 3600) return absl::StrCat(s / 60, "m ", s % 60, "s ago");
  if (s < 86400) return absl::StrCat(s / 3600, "h ", (s % 3600) / 60, "m ago");
  return absl::StrCat(s / 86400, "d ", (s % 86400) / 3600, "h ago");
}

std::string Latency(Duration d) {
  char buffer[32];
  const double ms = ToSeconds(d) * 1000;
  if (ms < 10) {
    std::snprintf(buffer, sizeof(buffer), "%.2f ms", ms);
  } else if (ms < 1000) {
    std::snprintf(buffer, sizeof(buffer), "%.0f ms", ms);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.2f s", ms / 1000);
  }
  return buffer;
}

std::string Card(const char* cls, int64_t n, const char* label) {
  return absl::StrCat("<div class=\"card ", cls, "\"><div class=\"n\">", n,
                      "</div><div class=\"l\">", label, "</div></div>");
}

std::string Row(const StatusSnapshot& s, const probes::TargetStatus& t) {
  const std::string id = t.target.Id();
  const char* state = probes::HealthName(t.health);
  std::string row =
      absl::StrCat("<tr data-target=\"", HtmlEscape(id), "\" data-state=\"", state, "\"><td>",
                   HtmlEscape(t.target.service), "</td><td><code>", HtmlEscape(t.target.Address()),
                   "</code></td>", "<td><span class=\"state ", state, "\">", state, "</span></td>");
  absl::StrAppend(&row, "<td title=\"", HtmlEscape(FormatTime(t.since)), "\">",
                  HtmlEscape(Ago(s.now, t.since)), "</td>");
  if (t.recent.empty()) {
    absl::StrAppend(&row, "<td class=\"muted\">not probed yet</td><td></td><td></td>");
  } else {
    const probes::ProbeResult& last = t.recent.back();
    absl::StrAppend(&row, "<td", last.ok ? "" : " class=\"err\"", ">", HtmlEscape(last.reason),
                    "</td><td>", Latency(last.latency), "</td><td>");
    for (const probes::ProbeResult& r : t.recent) {
      const std::string tip =
          absl::StrCat(FormatTime(r.wall_start), ": ", r.reason, " (", Latency(r.latency), ")");
      absl::StrAppend(&row, "<span class=\"sq ", r.ok ? "ok" : "fail", "\" title=\"",
                      HtmlEscape(tip), "\"></span>");
    }
    absl::StrAppend(&row, "</td>");
  }
  auto key = s.registration.keys_by_target.find(id);
  if (key == s.registration.keys_by_target.end()) {
    absl::StrAppend(&row, "<td class=\"muted\">&mdash;</td>");
  } else {
    absl::StrAppend(&row, "<td><code>", HtmlEscape(key->second), "</code></td>");
  }
  absl::StrAppend(&row, "</tr>\n");
  return row;
}

}  // namespace

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderStatusPage(const StatusSnapshot& s, int refresh_seconds) {
  int64_t healthy = 0, unhealthy = 0, unknown = 0;
  for (const probes::TargetStatus& t : s.targets) {
    if (t.health == probes::Health::kHealthy) ++healthy;
    if (t.health == probes::Health::kUnhealthy) ++unhealthy;
    if (t.health == probes::Health::kUnknown) ++unknown;
  }
  const RegistrationView& reg = s.registration;
  std::string page = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<title>etcd-registrar status</title>");
  if (refresh_seconds > 0) {
    absl::StrAppend(&page, "<meta http-equiv=\"refresh\" content=\"", refresh_seconds, "\">");
  }
  absl::StrAppend(&page, "<style>", kStyle,
                  "</style></head>\n<body><header><h1>etcd-registrar</h1>");
  if (s.readiness.ready) {
    absl::StrAppend(&page, "<span class=\"badge ready\" id=\"readiness\">ready</span>");
  } else {
    absl::StrAppend(&page, "<span class=\"badge notready\" id=\"readiness\">not ready: ",
                    HtmlEscape(s.readiness.reason), "</span>");
  }
  absl::StrAppend(&page, "</header>\n<main><section class=\"cards\" id=\"summary\">",
                  Card("total", static_cast<int64_t>(s.targets.size()), "targets"),
                  Card("healthy", healthy, "healthy"), Card("unhealthy", unhealthy, "unhealthy"),
                  Card("unknown", unknown, "unknown"),
                  Card("keys", reg.registered_keys, "registered keys"), "</section>\n");

  absl::StrAppend(&page,
                  "<h2>etcd</h2><table class=\"kv\" id=\"etcd\"><tr><th>Endpoint</th><td><code>",
                  HtmlEscape(reg.etcd_endpoint.empty() ? "-" : reg.etcd_endpoint),
                  "</code></td></tr><tr><th>Connection</th><td>",
                  reg.etcd_connected ? "<span class=\"state healthy\">connected</span>"
                                     : "<span class=\"state unhealthy\">disconnected</span>",
                  "</td></tr><tr><th>Lease</th><td>");
  if (reg.lease_id != 0) {
    absl::StrAppend(&page, "<code>", LeaseIdHex(reg.lease_id), "</code> (TTL ",
                    reg.lease_ttl_seconds, " s)");
  } else {
    absl::StrAppend(&page, "<span class=\"muted\">none held</span>");
  }
  absl::StrAppend(&page, "</td></tr>");
  if (!reg.last_error.empty()) {
    absl::StrAppend(&page, "<tr><th>Last error</th><td class=\"err\">", HtmlEscape(reg.last_error),
                    "</td></tr>");
  }
  absl::StrAppend(&page,
                  "</table>\n<h2>Targets</h2><table class=\"targets\" id=\"targets\"><thead><tr>"
                  "<th>Service</th><th>Address</th><th>State</th><th>Since</th>"
                  "<th>Last result</th><th>Latency</th><th>History</th><th>Registered key</th>"
                  "</tr></thead><tbody>\n");
  for (const probes::TargetStatus& t : s.targets) page += Row(s, t);
  if (s.targets.empty()) {
    absl::StrAppend(&page, "<tr><td colspan=\"8\" class=\"muted\">no targets configured</td></tr>");
  }
  absl::StrAppend(&page, "</tbody></table></main>\n<footer>Generated ",
                  HtmlEscape(FormatTime(s.now)),
                  " &middot; <a href=\"/api/v1/targets\">JSON</a> &middot; "
                  "<a href=\"/metrics\">metrics</a> &middot; <a href=\"/?refresh=5\">auto-refresh "
                  "5s</a></footer></body></html>\n");
  return page;
}

}  // namespace registrar::admin
