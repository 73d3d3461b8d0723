#!/usr/bin/env bash
# The etcd permissions docs/operations.md#etcd-permissions asks for, on a real etcd with
# authentication enabled: a user whose role has read/write on exactly the registration
# prefix and the coordination prefix is enough (the healthy backend gets its key,
# SIGTERM removes it); a user without them fails clearly (permission denied in the
# log, not ready, no key) and the process keeps running.
#
# usage: etcd_rbac_test.sh BIN_DIR   (holding etcd-registrar and sample-backend)
source "$(dirname "$0")/lib.sh"
bin=$(cd "${1:?usage: etcd_rbac_test.sh BIN_DIR}" && pwd)
start_etcd rbac
ctl() { etcdctl --endpoints "$ETCD_URL" "$@"; }
# The role exactly as docs/operations.md gives it.
setup_auth() {
  ctl role add root && ctl user add root --new-user-password=rootpw && ctl user grant-role root root &&
    ctl role add registrar &&
    ctl role grant-permission registrar --prefix=true readwrite /services/ &&
    ctl role grant-permission registrar --prefix=true readwrite /etcd-registrar/ &&
    ctl user add registrar --new-user-password=registrarpw && ctl user grant-role registrar registrar &&
    ctl role add elsewhere && ctl role grant-permission elsewhere --prefix=true readwrite /other/ &&
    ctl user add stranger --new-user-password=strangerpw && ctl user grant-role stranger elsewhere &&
    ctl auth enable
}
expect_ok "etcd auth enabled; role registrar = readwrite /services/ and /etcd-registrar/" setup_auth
root() { ctl --user root:rootpw "$@"; }
expect_ok "etcd refuses anonymous reads now" bash -c '! etcdctl --endpoints "$1" get /services/x' _ "$ETCD_URL"

good=$(free_port)
spawn "$bin/sample-backend" --listen "127.0.0.1:$good" --status 200 >"$WORK/backend.log" 2>&1
# registrar USER PASSWORD: starts the registrar as USER; sets PID and ADMIN.
registrar() {
  ADMIN=$(free_port)
  printf '%s' "$2" >"$WORK/$1.password"
  chmod 0600 "$WORK/$1.password"
  web_config "$ETCD_PORT" "$ADMIN" "[\"127.0.0.1:$good\"]" \
    "$(printf '  username: %s\n  passwordFile: %s' "$1" "$WORK/$1.password")" >"$WORK/$1.yaml"
  spawn "$bin/etcd-registrar" --config "$WORK/$1.yaml" >"$WORK/$1.log" 2>&1
  PID=${SPAWNED[-1]}
}
key=/services/web/127.0.0.1:$good
has_key() { [[ $(root get --print-value-only "$key") == "127.0.0.1:$good" ]]; }
no_key() { [[ -z $(root get --prefix --keys-only /services/) ]]; }
ready() { [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN/readyz") == 200 ]]; }

registrar registrar registrarpw
expect_ok "with the role: the healthy backend gets its key" wait_until 60 has_key
expect_ok "with the role: /readyz is 200" wait_until 30 ready
kill -TERM "$PID"
expect_ok "with the role: SIGTERM revokes (the key is gone)" wait_until 30 no_key
wait "$PID" 2>/dev/null || true
expect_ok "with the role: no permission error logged" bash -c '! grep -i "permission" "$1"' _ "$WORK/registrar.log"

registrar stranger strangerpw
denied() { grep -qi "permission denied" "$WORK/stranger.log"; }
expect_ok "without the role: the log says permission denied" wait_until 60 denied
expect_ok "without the role: no key" no_key
expect_ok "without the role: /readyz is not 200" bash -c \
  '[[ $(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$1/readyz") == 503 ]]' _ "$ADMIN"
expect_ok "without the role: the registrar keeps running" kill -0 "$PID"
echo "---- the stranger's log (permission lines)"
grep -i "permission" "$WORK/stranger.log" | head -n 3
finish
