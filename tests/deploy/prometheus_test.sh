#!/usr/bin/env bash
# The alert rules are valid and behave as their unit tests say; every Grafana panel
# query and template variable is valid PromQL naming only metrics the registrar exports.
source "$(dirname "$0")/lib.sh"
need promtool "scripts/install-deps.sh (Debian prometheus)"
need node scripts/install-deps.sh
echo "$(promtool --version 2>&1 | head -1)"
alerts="$DEPLOY/prometheus/alerts.yaml"
dashboard="$DEPLOY/grafana/etcd-registrar.json"

expect_ok "promtool check rules deploy/prometheus/alerts.yaml" promtool check rules "$alerts"
expect_ok "promtool test rules deploy/prometheus/alerts_test.yaml" \
  bash -c 'cd "$1" && promtool test rules alerts_test.yaml' _ "$DEPLOY/prometheus"
expect_ok "every alert has a unit test" node -e '
  const [mods, rules, tests] = process.argv.slice(1);
  const YAML = require(mods + "/yaml"), fs = require("fs");
  const alerts = YAML.parse(fs.readFileSync(rules, "utf8")).groups.flatMap((g) => g.rules).map((r) => r.alert).filter(Boolean);
  const tested = new Set(YAML.parse(fs.readFileSync(tests, "utf8")).tests.flatMap((t) => t.alert_rule_test || [])
    .filter((a) => a.exp_alerts && a.exp_alerts.length).map((a) => a.alertname));
  const missing = alerts.filter((a) => !tested.has(a));
  if (missing.length) { console.error("alerts without a firing test: " + missing.join(", ")); process.exit(1); }
  console.log(alerts.length + " alerts, all tested");
' "$NODE_MODULES" "$alerts" "$DEPLOY/prometheus/alerts_test.yaml"
expect_ok "every alert has severity, summary and description" node -e '
  const [mods, rules] = process.argv.slice(1);
  const YAML = require(mods + "/yaml"), fs = require("fs");
  const bad = YAML.parse(fs.readFileSync(rules, "utf8")).groups.flatMap((g) => g.rules)
    .filter((r) => !(r.labels && r.labels.severity && r.annotations && r.annotations.summary && r.annotations.description));
  if (bad.length) { console.error("incomplete: " + bad.map((r) => r.alert).join(", ")); process.exit(1); }
' "$NODE_MODULES" "$alerts"

# Dashboard: Grafana variables become plain values, then every expression becomes a
# recording rule so promtool parses it.
node -e '
  const [mods, file, out, names] = process.argv.slice(1);
  const YAML = require(mods + "/yaml"), fs = require("fs");
  const dash = JSON.parse(fs.readFileSync(file, "utf8"));
  const exprs = [];
  const walk = (panels) => { for (const p of panels || []) {
    for (const t of p.targets || []) exprs.push({what: `panel "${p.title}" ${t.refId}`, expr: t.expr});
    walk(p.panels);
  } };
  walk(dash.panels);
  for (const v of dash.templating.list) if (v.type === "query") {
    const q = typeof v.query === "string" ? v.query : v.query.query;
    const m = /^label_values\((?:(.*),\s*)?(\w+)\)$/.exec(q);
    if (!m) { console.error(`variable ${v.name}: unsupported query ${q}`); process.exit(1); }
    if (m[1]) exprs.push({what: `variable ${v.name}`, expr: m[1]});
  }
  const subst = (e) => e.replace(/\$__(rate_interval|interval|range)/g, "5m").replace(/\$\{?(\w+)\}?/g, ".+");
  const rules = exprs.map((x, i) => ({record: `dashboard:expr_${i}`, expr: subst(x.expr), labels: {panel: x.what}}));
  fs.writeFileSync(out, YAML.stringify({groups: [{name: "dashboard", rules}]}));
  fs.writeFileSync(names, exprs.map((x) => x.expr).join("\n") + "\n");
  console.log(`${exprs.length} dashboard expressions`);
' "$NODE_MODULES" "$dashboard" "$WORK/dashboard-rules.yaml" "$WORK/dashboard-exprs.txt"
expect_ok "every dashboard expression parses (promtool check rules)" promtool check rules "$WORK/dashboard-rules.yaml"

# Only metric names the registrar exports (or process_*, up, Prometheus functions).
exported='registrar_(probes_total|probe_failures_total|probe_duration_seconds_bucket|probe_schedule_lag_seconds_bucket|target_healthy|target_probed|target_drained|target_registered|targets_drained|service_fail_open|etcd_connected|config_last_reload_successful|targets|transitions_total|registered_keys|lease_ttl_seconds|lease_regrants_total|keepalive_failures_total|etcd_requests_total|etcd_request_duration_seconds_bucket|reconcile_total|reconcile_duration_seconds_bucket|drift_repairs_total|config_reloads_total|config_last_reload_success_timestamp_seconds|build_info|etcd_unreachable_seconds|etcd_alarm|source_up)'
check_names() {
  local what=$1 file=$2 unknown
  unknown=$(grep -oE '\b(registrar_[a-z_]+|process_[a-z_]+)' "$file" | sort -u |
    grep -vxE "$exported|process_(cpu_seconds_total|resident_memory_bytes|open_fds|max_fds|start_time_seconds|virtual_memory_bytes)" || true)
  if [[ -z $unknown ]]; then pass "$what names only exported metrics"; else fail "$what names unknown metrics: $unknown"; fi
}
check_names "dashboard" "$WORK/dashboard-exprs.txt"
check_names "alerts" "$alerts"
expect_ok "dashboard: panel ids are unique" node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const ids = []; const walk = (ps) => { for (const p of ps || []) { ids.push(p.id); walk(p.panels); } }; walk(d.panels);
  if (new Set(ids).size !== ids.length) process.exit(1);
' "$dashboard"
expect_ok "dashboard: every query uses the datasource variable" node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const bad = []; const walk = (ps) => { for (const p of ps || []) {
    if (p.type !== "row" && !(p.datasource && p.datasource.uid === "${datasource}")) bad.push(p.title); walk(p.panels); } };
  walk(d.panels); if (bad.length) { console.error(bad.join(", ")); process.exit(1); }
' "$dashboard"

# The checks can fail: a broken expression is caught.
printf 'groups:\n- name: x\n  rules:\n  - record: x\n    expr: sum(rate(registrar_probes_total[5m])\n' >"$WORK/broken.yaml"
expect_fail "promtool rejects a broken expression" "unclosed|parse error|error" promtool check rules "$WORK/broken.yaml"
finish
