#!/usr/bin/env bash
# The chart's values.schema.json refuses what the binary refuses: every invalid
# config of the config test suite (tests/config/validation_cases.cc) is run
# through `etcd-registrar check-config` (must exit 2) and, as chart values,
# through `helm template` (the schema). When helm accepts one, the config it
# renders is checked by the binary again: a rejected render is a schema gap,
# allowed only for the classes a JSON Schema cannot express, each named with
# its reason in schema_parity_allowed.txt (an entry that is not a gap fails,
# so the list stays true).
#
# usage: schema_parity_test.sh PATH/TO/etcd-registrar PATH/TO/dump_invalid_configs
source "$(dirname "$0")/lib.sh"
bin=$(realpath -e "${1:?usage: schema_parity_test.sh BINARY DUMPER}")
dumper=$(realpath -e "${2:?usage: schema_parity_test.sh BINARY DUMPER}")
need helm scripts/install-tools.sh
need node scripts/install-deps.sh
allowed="$ROOT/tests/deploy/schema_parity_allowed.txt"

"$dumper" "$WORK/cases"
declare -A allow=()
while read -r name reason; do
  [[ -z $name || $name == \#* ]] && continue
  allow[$name]=$reason
done <"$allowed"

expressible=0
for config in "$WORK"/cases/*.yaml; do
  name=$(basename "$config" .yaml)
  set +e
  "$bin" check-config "$config" >"$WORK/binary.log" 2>&1
  rc=$?
  set -e
  if ((rc != 2)); then
    fail "$name: check-config exits 2 (got $rc)"; sed 's/^/     /' "$WORK/binary.log" >&2
    continue
  fi
  if ! node "$ROOT/tests/deploy/tools/config_to_values.js" "$NODE_MODULES" "$config" \
    >"$WORK/$name.values.json" 2>"$WORK/convert.log"; then
    if grep -q '^inexpressible:' "$WORK/convert.log"; then
      echo "skip $name: $(cat "$WORK/convert.log")"
      [[ -n ${allow[$name]+x} ]] && fail "$name: listed as allowed but has no chart values"
      continue
    fi
    fail "$name: converting to values"; sed 's/^/     /' "$WORK/convert.log" >&2
    continue
  fi
  expressible=$((expressible + 1))
  if ! helm template x "$CHART" -f "$WORK/$name.values.json" >"$WORK/$name.rendered.yaml" \
    2>"$WORK/helm.log"; then
    if [[ -n ${allow[$name]+x} ]]; then
      fail "$name: listed as allowed, but the schema refuses it (remove it from the list)"
    else
      pass "$name: binary and schema both refuse it ($(grep -m1 -o 'values don.t meet.*\|Error: .*' "$WORK/helm.log" | cut -c1-100))"
    fi
    continue
  fi
  config_from "$WORK/$name.rendered.yaml" x-etcd-registrar "$WORK/$name.rendered-config.yaml"
  if "$bin" check-config "$WORK/$name.rendered-config.yaml" >"$WORK/render.log" 2>&1; then
    # The chart's defaults made it valid (e.g. a missing etcd section).
    if [[ -n ${allow[$name]+x} ]]; then
      fail "$name: listed as allowed, but the chart renders a valid config from it"
    else
      pass "$name: the chart renders a config the binary accepts"
    fi
  elif [[ -n ${allow[$name]+x} ]]; then
    pass "$name: schema cannot express it (${allow[$name]})"
  else
    fail "$name: the schema accepts a config the binary refuses"
    sed 's/^/     /' "$WORK/render.log" >&2
  fi
done
expect_ok "most invalid configs are expressible as chart values ($expressible)" test "$expressible" -ge 40
finish
