#include <algorithm>
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
form.filters{display:flex;gap:10px;align-items:center;flex-wrap:wrap;margin:8px 0 10px}
form.filters input,form.filters select{font:inherit;padding:4px 8px;border:1px solid #c9ced8;border-radius:6px;background:#fff}
form.filters button{font:inherit;padding:4px 14px;border:0;border-radius:6px;background:#2b6cb0;color:#fff;cursor:pointer}
.pager{margin:8px 0;color:#5b6475}.pager a{margin:0 6px}
thead th a{color:inherit;text-decoration:none}thead th a.on{color:#1d2330}
span.drained{background:#b7791f;color:#fff;padding:2px 8px;border-radius:10px;font-size:12px;font-weight:600}
.card.drained.some .n{color:#b7791f}.src{display:block;color:#7a8190;font-size:12px}.late{display:block;color:#b7791f;font-size:12px}.drain-reason{display:block;margin-top:3px;color:#5b6475;font-size:12px}
.version{color:#aab3c5;font-size:13px;margin-left:auto}
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
  std::string row = absl::StrCat(
      "<tr data-target=\"", HtmlEscape(id), "\" data-state=\"", state, "\"><td>",
      HtmlEscape(t.target.service), "</td><td><code>", HtmlEscape(t.target.Address()), "</code>",
      t.target.dynamic
          ? absl::StrCat("<span class=\"src\">from ", HtmlEscape(t.target.source), "</span>")
          : std::string(),
      "</td><td><span class=\"state ", state, "\">", state, "</span>");
  if (auto d = s.registration.drained.find(id); d != s.registration.drained.end()) {
    // The reason is what the next person on call needs: on the page, not in a tooltip.
    const status::DrainInfo& drain = d->second;
    absl::StrAppend(&row, " <span class=\"drained\">drained</span><span class=\"drain-reason\">",
                    drain.reason.empty() ? "no reason given" : HtmlEscape(drain.reason),
                    " &middot; by ", HtmlEscape(drain.by), " ", HtmlEscape(Ago(s.now, drain.at)),
                    drain.until
                        ? absl::StrCat(" &middot; until ", HtmlEscape(FormatTime(*drain.until)))
                        : std::string(),
                    "</span>");
  }
  absl::StrAppend(&row, "</td>");
  absl::StrAppend(&row, "<td title=\"", HtmlEscape(FormatTime(t.since)), "\">",
                  HtmlEscape(Ago(s.now, t.since)), "</td>");
  if (t.recent.empty()) {
    absl::StrAppend(&row, "<td class=\"muted\">not probed yet</td><td></td><td></td>");
  } else {
    const probes::ProbeResult& last = t.recent.back();
    absl::StrAppend(&row, "<td", last.ok ? "" : " class=\"err\"", ">", HtmlEscape(last.reason),
                    "</td><td>", Latency(last.latency));
    // A probe never overlaps itself: when one takes longer than the period
    // the next starts when it ends, later than the period. Say so.
    if (t.late_probes > 0 && t.interval > t.target.probe.period * 11 / 10) {
      absl::StrAppend(&row, "<span class=\"late\">every ", Latency(t.interval), ", period ",
                      Latency(t.target.probe.period),
                      ": probes take longer than the period</span>");
    }
    absl::StrAppend(&row, "</td><td>");
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
  auto owner = s.registration.owner_by_target.find(id);
  absl::StrAppend(&row, "<td>",
                  owner == s.registration.owner_by_target.end()
                      ? "<span class=\"muted\">&mdash;</span>"
                      : HtmlEscape(owner->second),
                  "</td></tr>\n");
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

namespace {

// A link to this page with `q` as its query string.
std::string Href(const TargetQuery& q) {
  const std::string query = FormatTargetQuery(q);
  return HtmlEscape(query.empty() ? "/" : absl::StrCat("/?", query));
}

std::string Option(const std::string& value, const std::string& label,
                   const std::string& selected) {
  return absl::StrCat("<option value=\"", HtmlEscape(value), "\"",
                      value == selected ? " selected" : "", ">", HtmlEscape(label), "</option>");
}

void AppendInfo(const StatusSnapshot& s, std::string& page) {
  const status::RegistrationView& reg = s.registration;
  absl::StrAppend(&page, "<h2>Registrar</h2><table class=\"kv\" id=\"etcd\">");
  auto row = [&](const char* name, const std::string& html) {
    absl::StrAppend(&page, "<tr><th>", name, "</th><td>", html, "</td></tr>");
  };
  row("Version", HtmlEscape(s.process.version.empty() ? "-" : s.process.version));
  row("Config file",
      absl::StrCat("<code>",
                   HtmlEscape(s.process.config_file.empty() ? "-" : s.process.config_file),
                   "</code>"));
  row("Last reload",
      !s.process.last_reload
          ? std::string("<span class=\"muted\">none since start</span>")
          : absl::StrCat(HtmlEscape(FormatTime(*s.process.last_reload)),
                         s.process.last_reload_ok ? "" : " <span class=\"err\">rejected</span>"));
  row("etcd endpoint",
      absl::StrCat("<code>", HtmlEscape(reg.etcd_endpoint.empty() ? "-" : reg.etcd_endpoint),
                   "</code>"));
  row("Connection", reg.etcd_connected ? "<span class=\"state healthy\">connected</span>"
                                       : "<span class=\"state unhealthy\">disconnected</span>");
  row("Lease", reg.lease_id != 0 ? absl::StrCat("<code>", LeaseIdHex(reg.lease_id), "</code> (TTL ",
                                                reg.lease_ttl_seconds, " s)")
                                 : std::string("<span class=\"muted\">none held</span>"));
  if (!reg.etcd_alarm.empty()) {
    row("etcd alarm",
        absl::StrCat("<span class=\"err\" id=\"etcd-alarm\">", HtmlEscape(reg.etcd_alarm),
                     ": etcd refuses every write until an operator clears it</span>"));
  }
  if (!reg.last_error.empty())
    row("Last error", absl::StrCat("<span class=\"err\">", HtmlEscape(reg.last_error), "</span>"));
  if (!reg.members.empty()) {
    std::string members;
    for (const status::MemberView& m : reg.members) {
      absl::StrAppend(&members, members.empty() ? "" : ", ", "<code>", HtmlEscape(m.id), "</code>",
                      m.self ? " (this one)" : "", " owns ", m.owned_targets);
    }
    row("Cluster members", members);
  }
  if (!reg.fail_open_services.empty()) {
    std::string list;
    for (const std::string& f : reg.fail_open_services)
      absl::StrAppend(&list, list.empty() ? "" : ", ", HtmlEscape(f));
    row("Fail-open (keeping registrations)", absl::StrCat("<span class=\"err\">", list, "</span>"));
  }
  for (const auto& [key, why] : reg.rejected_keys) {
    row("Rejected by etcd", absl::StrCat("<code>", HtmlEscape(key), "</code>: <span class=\"err\">",
                                         HtmlEscape(why), "</span>"));
  }
  row("Drain API", s.drain_enabled ? "enabled" : "<span class=\"muted\">disabled</span>");
  absl::StrAppend(&page, "</table>\n");
}

void AppendServices(const StatusSnapshot& s, const QueryResult& result, const TargetQuery& query,
                    std::string& page) {
  absl::StrAppend(&page,
                  "<h2>Services</h2><table id=\"services\"><thead><tr><th>Service</th>"
                  "<th>Healthy / total</th><th>Unhealthy</th><th>Registered</th><th>Drained</th>"
                  "</tr></thead><tbody>");
  for (const ServiceSummary& v : result.services) {
    TargetQuery q;
    q.service = v.service;
    q.limit = query.limit;
    TargetQuery bad = q;
    bad.state = "unhealthy";
    absl::StrAppend(
        &page, "<tr data-service=\"", HtmlEscape(v.service), "\"><td><a href=\"", Href(q), "\">",
        HtmlEscape(v.service), "</a></td><td>", v.healthy, " / ", v.total, "</td><td>",
        v.unhealthy == 0
            ? std::string("0")
            : absl::StrCat("<a class=\"err\" href=\"", Href(bad), "\">", v.unhealthy, "</a>"),
        "</td><td>", v.registered, "</td><td>", v.drained, "</td></tr>");
  }
  if (result.services.empty())
    absl::StrAppend(&page, "<tr><td colspan=\"5\" class=\"muted\">no services</td></tr>");
  absl::StrAppend(&page, "</tbody></table>\n");
  (void)s;
}

// One row per target source: what it lists and how its refreshes go.
void AppendSources(const StatusSnapshot& s, std::string& page) {
  if (s.sources.empty()) return;
  absl::StrAppend(&page,
                  "<h2>Sources</h2><table id=\"sources\"><thead><tr><th>Service</th>"
                  "<th>Source</th><th>Targets</th><th>Last good answer</th><th>Failures</th>"
                  "<th>Changes applied / held</th></tr></thead><tbody>");
  for (const sources::SourceState& v : s.sources) {
    std::string failures;
    for (const auto& [reason, n] : v.failures) {
      absl::StrAppend(&failures, failures.empty() ? "" : ", ", HtmlEscape(reason), " ", n);
    }
    absl::StrAppend(
        &page, "<tr data-source=\"", HtmlEscape(v.name), "\"><td>", HtmlEscape(v.spec.service),
        "</td><td><code>", HtmlEscape(v.name), "</code></td><td>", v.targets,
        v.held_removals > 0
            ? absl::StrCat(" <span class=\"late\">", v.held_removals,
                           " kept until the next refresh confirms their removal</span>")
            : std::string(),
        "</td><td>",
        v.last_success ? HtmlEscape(Ago(s.now, *v.last_success))
                       : std::string("<span class=\"err\">never</span>"),
        v.last_error.empty()
            ? std::string()
            : absl::StrCat("<span class=\"err drain-reason\">last refresh failed: ",
                           HtmlEscape(v.last_error), "; keeping the last good list</span>"),
        "</td><td>", failures.empty() ? std::string("0") : failures, "</td><td>", v.changes_applied,
        " / ", v.changes_held, "</td></tr>");
  }
  absl::StrAppend(&page, "</tbody></table>\n");
}

void AppendFilters(const QueryResult& result, const TargetQuery& q, std::string& page) {
  absl::StrAppend(&page,
                  "<form class=\"filters\" id=\"filters\" method=\"get\" action=\"/\">"
                  "<label>State <select name=\"state\" id=\"f-state\">");
  for (const char* st :
       {"", "unhealthy", "unknown", "healthy", "drained", "registered", "unregistered"}) {
    absl::StrAppend(&page, Option(st, *st ? st : "all", q.state));
  }
  absl::StrAppend(&page,
                  "</select></label><label>Service <select name=\"service\" id=\"f-service\">",
                  Option("", "all", q.service));
  for (const ServiceSummary& v : result.services)
    absl::StrAppend(&page, Option(v.service, v.service, q.service));
  absl::StrAppend(
      &page, "</select></label><label>Search <input type=\"search\" name=\"q\" id=\"f-q\" value=\"",
      HtmlEscape(q.text),
      "\" placeholder=\"address, key, reason, owner\"></label>"
      "<label>Per page <select name=\"limit\" id=\"f-limit\">");
  for (const char* n : {"50", "100", "500", "1000"})
    absl::StrAppend(&page, Option(n, n, absl::StrCat(q.limit)));
  absl::StrAppend(&page, "</select></label>");
  if (!q.sort.empty())
    absl::StrAppend(&page, "<input type=\"hidden\" name=\"sort\" value=\"", HtmlEscape(q.sort),
                    "\">");
  if (q.descending) absl::StrAppend(&page, "<input type=\"hidden\" name=\"order\" value=\"desc\">");
  absl::StrAppend(
      &page,
      "<button type=\"submit\" id=\"f-apply\">Filter</button> <a href=\"/\">reset</a></form>\n");
}

// `top`: the pager above the table carries the ids tests and scripts use.
std::string Pager(const QueryResult& result, const TargetQuery& q, bool top) {
  const int64_t first = result.total == 0 ? 0 : std::min(result.total, q.offset + 1);
  const int64_t last = std::min(result.total, q.offset + q.limit);
  std::string out =
      absl::StrCat("<div class=\"pager\" id=\"pager\">Showing <b id=\"shown\">", first, "&ndash;",
                   last, "</b> of <b id=\"matching\">", result.total, "</b> matching targets");
  if (q.offset > 0) {
    TargetQuery prev = q;
    prev.offset = std::max<int64_t>(0, q.offset - q.limit);
    absl::StrAppend(&out, "<a", top ? " id=\"prev\"" : "", " href=\"", Href(prev),
                    "\">&larr; previous</a>");
  }
  if (last < result.total) {
    TargetQuery next = q;
    next.offset = q.offset + q.limit;
    absl::StrAppend(&out, "<a", top ? " id=\"next\"" : "", " href=\"", Href(next),
                    "\">next &rarr;</a>");
  }
  absl::StrAppend(&out, "</div>\n");
  return out;
}

std::string SortHeader(const TargetQuery& q, const char* column, const char* label) {
  TargetQuery sorted = q;
  sorted.offset = 0;
  const bool on = q.sort == column;
  sorted.sort = column;
  sorted.descending = on && !q.descending;
  return absl::StrCat("<th><a href=\"", Href(sorted), "\"", on ? " class=\"on\"" : "",
                      " data-sort=\"", column, "\">", label,
                      on ? (q.descending ? " &darr;" : " &uarr;") : "", "</a></th>");
}

}  // namespace

std::string RenderStatusPage(const StatusSnapshot& s, const TargetQuery& query,
                             int refresh_seconds) {
  int64_t healthy = 0, unhealthy = 0, unknown = 0;
  for (const probes::TargetStatus& t : s.targets) {
    if (t.health == probes::Health::kHealthy) ++healthy;
    if (t.health == probes::Health::kUnhealthy) ++unhealthy;
    if (t.health == probes::Health::kUnknown) ++unknown;
  }
  const status::RegistrationView& reg = s.registration;
  const QueryResult result = RunTargetQuery(s.targets, reg, query);
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
  if (!s.process.version.empty()) {
    absl::StrAppend(&page, "<span class=\"version\">", HtmlEscape(s.process.version), "</span>");
  }
  absl::StrAppend(&page, "</header>\n<main><section class=\"cards\" id=\"summary\">",
                  Card("total", static_cast<int64_t>(s.targets.size()), "targets"),
                  Card("healthy", healthy, "healthy"), Card("unhealthy", unhealthy, "unhealthy"),
                  Card("unknown", unknown, "unknown"),
                  Card("keys", reg.registered_keys, "registered keys"),
                  // Amber only when something is drained: a zero is not a warning.
                  Card(reg.drained.empty() ? "drained" : "drained some",
                       static_cast<int64_t>(reg.drained.size()), "drained"),
                  "</section>\n");
  AppendServices(s, result, query, page);
  AppendSources(s, page);
  AppendInfo(s, page);
  absl::StrAppend(&page, "<h2>Targets</h2>");
  AppendFilters(result, query, page);
  page += Pager(result, query, /*top=*/true);
  absl::StrAppend(&page, "<table class=\"targets\" id=\"targets\"><thead><tr>",
                  SortHeader(query, "service", "Service"), SortHeader(query, "address", "Address"),
                  SortHeader(query, "state", "State"), SortHeader(query, "since", "Since"),
                  SortHeader(query, "result", "Last result"),
                  SortHeader(query, "latency", "Latency"), "<th>History</th>",
                  SortHeader(query, "key", "Registered key"), SortHeader(query, "owner", "Owner"),
                  "</tr></thead><tbody>\n");
  for (const probes::TargetStatus* t : result.page) page += Row(s, *t);
  if (s.targets.empty()) {
    absl::StrAppend(&page, "<tr><td colspan=\"9\" class=\"muted\">no targets configured</td></tr>");
  } else if (result.page.empty()) {
    absl::StrAppend(&page, "<tr><td colspan=\"9\" class=\"muted\">no target matches</td></tr>");
  }
  absl::StrAppend(&page, "</tbody></table>", Pager(result, query, /*top=*/false),
                  "</main>\n<footer>Generated ", HtmlEscape(FormatTime(s.now)),
                  " &middot; <a href=\"/api/v1/targets\">JSON</a> &middot; "
                  "<a href=\"/metrics\">metrics</a> &middot; <a href=\"/?refresh=5\">auto-refresh "
                  "5s</a></footer></body></html>\n");
  return page;
}

}  // namespace registrar::admin
