#!/usr/bin/env bash
# The main job on an embedded default: a local etcd on loopback (temp data
# dir, free port), three sample HTTP backends (one of them failing), and
# etcd-registrar registering the healthy ones. Prints the registered keys as
# they change. Ctrl-C stops the registrar first (it revokes its lease, and the
# keys are shown gone while etcd still runs), then the backends, then etcd,
# and removes the temp directory. SIGTERM, a closed terminal (SIGHUP) and a
# closed pipe (`demo.sh | tee demo.out` then Ctrl-C, or the reader exiting)
# do the same: nothing the demo started keeps running.
#
# Installs only what the demo runs (scripts/install-deps.sh demo) and builds
# only etcd-registrar and sample-backend. DEMO_BIN_DIR=DIR skips both and runs
# the binaries in DIR (the demo's own test does that).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
started=$SECONDS
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Ninja's "[n/m] ..." lines as one updating status line on a terminal, every
# line otherwise; the whole log only when the build fails.
build_with_progress() {
  local rc=0 line
  { scripts/build.sh etcd-registrar sample-backend 2>&1 || echo "demo-build-failed $?"; } |
    tee "$work/build.log" | while IFS= read -r line; do
      [[ $line == "["*"/"*"]"* ]] || continue
      if [[ -t 1 ]]; then printf '\r\033[Kdemo: build %s' "${line:0:70}"; else echo "demo: build $line"; fi
    done
  [[ -t 1 ]] && printf '\r\033[K'
  if grep -q '^demo-build-failed' "$work/build.log"; then
    cat "$work/build.log"
    echo "demo: the build failed (log above)"
    exit 1
  fi
}

if [[ -n "${DEMO_BIN_DIR:-}" ]]; then
  bin=$(cd "$DEMO_BIN_DIR" && pwd)
else
  echo "demo: installing what the demo needs (only what is missing)"
  scripts/install-deps.sh demo
  echo "demo: building etcd-registrar and sample-backend (ccache makes a rebuild quick)"
  build_with_progress
  bin=$root/build/bin
  echo "demo: built in $((SECONDS - started))s"
fi
export ETCDCTL_API=3

# Children run in their own sessions (setsid), so the terminal's SIGINT and
# SIGHUP reach only this script, which stops them in order.
etcd_pid="" registrar_pid="" backend_pids=()
# A line for the user: to stdout, or to stderr once stdout is gone (a pipe
# whose reader exited, a closed terminal); never fails, never kills us.
say() {
  printf '%s\n' "$*" 2>/dev/null || printf '%s\n' "$*" >&2 2>/dev/null || true
}
running() { # running PID: alive and not yet a zombie
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}
stop() { # stop PID: SIGTERM, wait at most 30 s, then SIGKILL
  # (A poll, not a watchdog process: a helper started during the cleanup
  # would inherit its ignored signals and outlive the demo.)
  local pid=$1 i
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 300; i++)); do
    running "$pid" || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() { # cleanup EXIT-STATUS
  local rc=$1 pid keys
  # Finish the cleanup whatever comes now: a second Ctrl-C, the terminal
  # closing, writes to a pipe nobody reads (each stop is bounded by 30 s).
  trap '' INT TERM HUP PIPE
  trap - EXIT
  set +e
  say ""
  if [[ -n $registrar_pid ]]; then
    say "demo: stopping etcd-registrar (SIGTERM: it revokes its lease)"
    stop "$registrar_pid"
    grep -E 'lease' "$work/registrar.log" 2>/dev/null | tail -n 2 |
      while IFS= read -r line; do say "demo: registrar said: $line"; done
    say "---- $(date +%T) after the registrar stopped, etcd still running: etcdctl get --prefix /services/"
    keys=$(etcdctl --endpoints "$etcd_url" get --prefix /services/ 2>&1) || keys="etcdctl failed: $keys"
    say "${keys:-(no keys)}"
  fi
  if ((${#backend_pids[@]})); then
    say "demo: stopping the backends"
    for pid in "${backend_pids[@]}"; do stop "$pid"; done
  fi
  if [[ -n $etcd_pid ]]; then
    say "demo: stopping etcd"
    stop "$etcd_pid"
  fi
  rm -rf "$work"
  say "demo: stopped"
  exit "$rc"
}
# Ctrl-C is the normal way to end the demo: exit 0. SIGTERM, SIGHUP (the
# terminal closed) and SIGPIPE (the reader of our output exited) exit
# 128+signal, after the same cleanup.
trap 'cleanup 0' INT
trap 'cleanup 143' TERM
trap 'cleanup 129' HUP
trap 'cleanup 141' PIPE
trap 'cleanup $?' EXIT

# True when stdout is a pipe whose reader has gone (poll reports POLLERR on
# the write end): `demo.sh | head` should end when head does, even while
# nothing new is printed.
reader_gone() {
  [[ -p /dev/stdout ]] || return 1
  python3 -c 'import select, sys
p = select.poll(); p.register(1, select.POLLOUT)
sys.exit(0 if any(ev & select.POLLERR for _, ev in p.poll(0)) else 1)'
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

client_port=$(free_port)
peer_port=$(free_port)
etcd_url="http://127.0.0.1:${client_port}"
setsid etcd --name demo --data-dir "$work/etcd" \
  --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
  --listen-peer-urls "http://127.0.0.1:${peer_port}" \
  --initial-advertise-peer-urls "http://127.0.0.1:${peer_port}" \
  --initial-cluster "demo=http://127.0.0.1:${peer_port}" \
  --log-level warn --logger zap >"$work/etcd.log" 2>&1 &
etcd_pid=$!
for _ in $(seq 1 100); do
  etcdctl --endpoints "$etcd_url" endpoint health >/dev/null 2>&1 && break
  sleep 0.1
done
if ! etcdctl --endpoints "$etcd_url" endpoint health >/dev/null 2>&1; then
  echo "demo: etcd did not start; its log:"
  cat "$work/etcd.log"
  exit 1
fi

backends=()
for i in 1 2 3; do
  port=$(free_port)
  status=200
  [[ $i == 3 ]] && status=503
  setsid "$bin/sample-backend" --listen "127.0.0.1:${port}" --status "$status" \
    >"$work/backend$i.log" 2>&1 &
  backend_pids+=($!)
  backends+=("127.0.0.1:${port}")
done

admin_port=$(free_port)
cat >"$work/config.yaml" <<YAML
etcd:
  endpoints: ["127.0.0.1:${client_port}"]
registration:
  prefix: /services/
  leaseTTL: 10s
server:
  listen: 127.0.0.1:${admin_port}
defaults:
  periodSeconds: 1
  timeoutSeconds: 0.5
  failureThreshold: 2
services:
  - name: web
    format: plain
    probe:
      httpGet: {path: /healthz}
    endpoints: ["${backends[0]}", "${backends[1]}", "${backends[2]}"]
YAML

setsid "$bin/etcd-registrar" --config "$work/config.yaml" >"$work/registrar.log" 2>&1 &
registrar_pid=$!

cat <<EOF
demo: files       ${work} (removed at the end)
demo: etcd        ${etcd_url}
demo: backends    ${backends[*]} (the last answers 503)
demo: registrar   status page http://127.0.0.1:${admin_port}/  metrics /metrics
demo: try         curl ${backends[0]}/status/503   (then /status/200)
demo: Ctrl-C stops everything
EOF

last="" first_key_seen=0
while true; do
  if ! kill -0 "$registrar_pid" 2>/dev/null; then
    echo "demo: etcd-registrar exited; its log:"
    cat "$work/registrar.log"
    registrar_pid=""
    exit 1
  fi
  now=$(etcdctl --endpoints "$etcd_url" get --prefix /services/ 2>&1 || true)
  if [[ "$now" != "$last" ]]; then
    echo "---- $(date +%T) etcdctl get --prefix /services/"
    echo "${now:-(no keys)}"
    last="$now"
    if ((!first_key_seen)) && [[ -n $now ]]; then
      first_key_seen=1
      echo "demo: first key $((SECONDS - started))s after the demo started"
    fi
  fi
  if reader_gone; then cleanup 141; fi
  sleep 1
done
