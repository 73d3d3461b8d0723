#!/usr/bin/env bash
# The systemd unit passes `systemd-analyze verify` with the real binary in ExecStart,
# keeps its hardening (exposure score) and reload/restart contract.
#
# usage: systemd_test.sh PATH/TO/etcd-registrar
source "$(dirname "$0")/lib.sh"
bin=$(realpath -e "${1:?usage: systemd_test.sh PATH/TO/etcd-registrar}")
[[ -x "$bin" ]] || { echo "FAIL: $bin is not an executable" >&2; exit 1; }
need systemd-analyze "scripts/install-deps.sh (Debian systemd)"
unit="$DEPLOY/systemd/etcd-registrar.service"
echo "$(systemd-analyze --version | head -1)"

# verify checks that ExecStart binaries exist: point them at the build output.
copy="$WORK/etcd-registrar.service"
sed "s#/usr/local/bin/etcd-registrar#$bin#g" "$unit" >"$copy"
# verify only warns (exit 0) on unknown keys: any diagnostic naming the unit fails.
verify_clean() {
  local out rc=0
  out=$(systemd-analyze verify "$1" 2>&1) || rc=$?
  echo "$out"
  [[ $rc == 0 ]] && ! grep -qF "$(basename "$1")" <<<"$out"
}
expect_ok "systemd-analyze verify etcd-registrar.service" verify_clean "$copy"
expect_ok "systemd-analyze security: exposure at most 2.0" \
  systemd-analyze security --offline=yes --threshold=20 "$copy"
for directive in 'DynamicUser=yes' 'ProtectSystem=strict' 'NoNewPrivileges=yes' 'Restart=on-failure' \
    'ExecReload=/bin/kill -HUP $MAINPID' 'RestartPreventExitStatus=2' 'CapabilityBoundingSet=$'; do
  expect_ok "unit has $directive" grep -qE "^${directive//\$MAINPID/\\\$MAINPID}" "$unit"
done
# It can fail: a misspelt directive is reported.
sed 's/^ProtectSystem=strict/ProtectSystm=strict/' "$copy" >"$WORK/bad.service"
expect_fail "verify reports a misspelt directive" "Unknown key" verify_clean "$WORK/bad.service"
finish
