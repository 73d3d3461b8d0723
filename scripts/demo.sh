#!/usr/bin/env bash
# The main job on an embedded default: a local etcd on loopback (temp data
# dir, free port), three sample HTTP backends (one of them failing), and
# etcd-registrar registering the healthy ones. Prints the registered keys as
# they change. Ctrl-C stops everything; the registrar revokes its lease on the
# way out, so its keys disappear at once.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
scripts/build.sh >/dev/null

work=$(mktemp -d)
pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "demo: stopping"
  # The registrar first (it revokes its lease), then backends, then etcd.
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for ((i=${#pids[@]}-1; i>=0; i--)); do wait "${pids[i]}" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup INT TERM EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

client_port=$(free_port)
peer_port=$(free_port)
etcd_url="http://127.0.0.1:${client_port}"
etcd --name demo --data-dir "$work/etcd" \
  --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
  --listen-peer-urls "http://127.0.0.1:${peer_port}" \
  --initial-advertise-peer-urls "http://127.0.0.1:${peer_port}" \
  --initial-cluster "demo=http://127.0.0.1:${peer_port}" \
  --log-level warn --logger zap >"$work/etcd.log" 2>&1 &
pids+=($!)
export ETCDCTL_API=3
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
  build/bin/sample-backend --listen "127.0.0.1:${port}" --status "$status" \
    >"$work/backend$i.log" 2>&1 &
  pids+=($!)
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

build/bin/etcd-registrar --config "$work/config.yaml" >"$work/registrar.log" 2>&1 &
pids+=($!)

cat <<EOF
demo: etcd        ${etcd_url}
demo: backends    ${backends[*]} (the last answers 503)
demo: registrar   status page http://127.0.0.1:${admin_port}/  metrics /metrics
demo: try         curl ${backends[0]}/status/503   (then /status/200)
demo: Ctrl-C stops everything
EOF

last=""
while true; do
  if ! kill -0 "${pids[-1]}" 2>/dev/null; then
    echo "demo: etcd-registrar exited; its log:"
    cat "$work/registrar.log"
    exit 1
  fi
  now=$(etcdctl --endpoints "$etcd_url" get --prefix /services/ 2>&1 || true)
  if [[ "$now" != "$last" ]]; then
    echo "---- $(date +%T) etcdctl get --prefix /services/"
    echo "${now:-(no keys)}"
    last="$now"
  fi
  sleep 1
done
