#!/usr/bin/env bash
# The docs and the chart mention no option the binary does not have: config
# keys, chart values, flags and metric names (tests/deploy/tools/docs_options.js
# says what it checks; docs_options_allowed.txt names the look-alikes that are
# not options, such as DNS names).
# usage: docs_options_test.sh PATH/TO/etcd-registrar
source "$(dirname "$0")/lib.sh"
bin=$(realpath -e "${1:?usage: docs_options_test.sh PATH/TO/etcd-registrar}")
need node scripts/install-deps.sh
"$bin" config-schema >"$WORK/config.schema.json"
{
  "$bin" --help
  for sub in $("$bin" --help | sed -n '/^Subcommands:/,/^$/p' | awk 'NR > 1 && NF {print $1}'); do
    "$bin" "$sub" --help
  done
} >"$WORK/help.txt" 2>&1
# Metric names the source defines (a name is a string literal there).
grep -rhoE '"registrar_[a-z0-9_]+"' "$ROOT"/{admin,cmd,common,config,controller,etcd,metrics,probes} |
  tr -d '"' | sort -u >"$WORK/metrics.txt"
files=("$ROOT/README.md" "$ROOT/SECURITY.md" "$ROOT"/docs/*.md "$DEPLOY/README.md"
  "$CHART/README.md" "$CHART/values.yaml" "$CHART/ci/full-values.yaml" "$DEPLOY/systemd/config.example.yaml")
expect_ok "docs and chart name only options the binary has (${#files[@]} files)" \
  node "$ROOT/tests/deploy/tools/docs_options.js" "$NODE_MODULES" "$WORK/config.schema.json" \
  "$CHART/values.schema.json" "$WORK/help.txt" "$WORK/metrics.txt" \
  "$ROOT/tests/deploy/docs_options_allowed.txt" "${files[@]}"
# The check can fail: a doc naming a key, a flag and a metric that do not exist.
printf '%s\n' 'Set `registration.leaseTtl`, run `etcd-registrar --lease 5s`, watch `registrar_nonexistent_total`.' \
  '```yaml' 'registration:' '  perTargetSeries: auto' '```' >"$WORK/bad.md"
expect_fail "a doc with a wrong key, flag, metric and YAML key is refused" \
  '1 files checked, 4 problems' node "$ROOT/tests/deploy/tools/docs_options.js" "$NODE_MODULES" \
  "$WORK/config.schema.json" "$CHART/values.schema.json" "$WORK/help.txt" "$WORK/metrics.txt" \
  "$ROOT/tests/deploy/docs_options_allowed.txt" "$WORK/bad.md"
finish
