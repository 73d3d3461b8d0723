#!/usr/bin/env bash
# Soak benchmark (not in CI): the registrar under a long, noisy run.
#
#   bench/soak/soak.sh [minutes=60] [targets=5000]
#
# On loopback only: nginx serves /healthz on `targets` ports (a few percent of
# them flap between 200 and 503 every FLAP_SECONDS), a 3-member etcd cluster
# whose members are restarted and whose leader is killed in turn every
# FAULT_SECONDS (150), the registrar (build/bin/etcd-registrar) with all
# targets and the 3 endpoints, a config reload every RELOAD_SECONDS, and the
# admin pages polled every second. Every minute it prints the registrar's
# RSS, open fds, threads and CPU; at the end the slope of each after a
# warm-up, and how many leases the registrar gave up on. A watcher compares
# the keys in etcd with the healthy targets whenever no flap is settling and
# counts violations: a healthy target without its key (an outage for its
# clients) or a key for an unhealthy one.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
minutes=${1:-60}
targets=${2:-5000}
flap_seconds=${FLAP_SECONDS:-120}
flap_percent=${FLAP_PERCENT:-2}
reload_seconds=${RELOAD_SECONDS:-5}
fault_seconds=${FAULT_SECONDS:-150}
period=${PERIOD_SECONDS:-10}
settle=${SETTLE_SECONDS:-$((4 * period + 10))}
services=50
registrar=${REGISTRAR:-$root/build/bin/etcd-registrar}
[ -x "$registrar" ] || { echo "build the registrar first: scripts/build.sh etcd-registrar" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/registrar-soak-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  for m in 0 1 2; do [ -f "$work/etcd$m.pid" ] && kill -9 "$(cat "$work/etcd$m.pid")" 2>/dev/null || true; done
  [ -n "${registrar_pid:-}" ] && kill -9 "$registrar_pid" 2>/dev/null || true
  [ "${KEEP_WORK:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# A block of `n` consecutive free loopback ports.
free_base() {
  local n=$1 base
  for base in $(seq 20000 1000 50000); do
    if ! ss -Htan | awk '{print $4}' | grep -qE ":($(seq -s'|' "$base" $((base + n - 1))))\$"; then
      echo "$base"
      return
    fi
  done
  echo "no free port block" >&2
  exit 2
}
base=$(free_base "$targets")
etcd_base=$(free_base 6)
[ "$etcd_base" -ne "$base" ] || etcd_base=$((base + targets + 100))
admin_port=$((etcd_base + 10))

# --- nginx: one server, every target port; flapping ports answer 503 ---
mkdir -p "$work/nginx"
: >"$work/flap.conf"
{
  echo "worker_processes 1; pid $work/nginx.pid; error_log $work/nginx/error.log warn;"
  echo "events { worker_connections 16384; } worker_rlimit_nofile 20000;"
  echo "http { access_log off; client_body_temp_path $work/nginx; proxy_temp_path $work/nginx;"
  echo "  fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;"
  echo "  map \$server_port \$health { default 200; include $work/flap.conf; }"
  echo "  server {"
  for ((i = 0; i < targets; i++)); do echo "    listen 127.0.0.1:$((base + i));"; done
  echo "    location /healthz { if (\$health = 503) { return 503; } return 200; }"
  echo "  }"
  echo "}"
} >"$work/nginx.conf"
nginx -c "$work/nginx.conf" -p "$work/nginx"

# --- etcd: 3 members ---
cluster=""
for m in 0 1 2; do cluster+="${cluster:+,}m$m=http://127.0.0.1:$((etcd_base + 2 * m + 1))"; done
endpoints=$(for m in 0 1 2; do printf '"127.0.0.1:%d",' $((etcd_base + 2 * m)); done)
endpoints=${endpoints%,}
etcd_start() {
  local m=$1 state=${2:-existing}
  etcd --name "m$m" --data-dir "$work/etcd$m" \
    --listen-client-urls "http://127.0.0.1:$((etcd_base + 2 * m))" \
    --advertise-client-urls "http://127.0.0.1:$((etcd_base + 2 * m))" \
    --listen-peer-urls "http://127.0.0.1:$((etcd_base + 2 * m + 1))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_base + 2 * m + 1))" \
    --initial-cluster "$cluster" --initial-cluster-state "$state" \
    --initial-cluster-token soak --log-level error >>"$work/etcd$m.log" 2>&1 &
  echo $! >"$work/etcd$m.pid"
}
for m in 0 1 2; do etcd_start $m new; done
ctl() { ETCDCTL_API=3 etcdctl --endpoints="${endpoints//\"/}" --dial-timeout=2s --command-timeout=5s "$@"; }
for _ in $(seq 60); do ctl endpoint health >/dev/null 2>&1 && break; sleep 1; done
leader() {
  ETCDCTL_API=3 etcdctl --endpoints="${endpoints//\"/}" --command-timeout=2s endpoint status -w fields 2>/dev/null |
    awk -F' : ' '/"MemberID"/{id=$2} /"Leader"/{l=$2} /"Endpoint"/{if (l==id) print $2}' | tr -d '"' | head -1
}

# --- the registrar ---
write_config() {
  local generation=$1
  {
    echo "etcd: {endpoints: [$endpoints], dialTimeout: 2s}"
    echo "registration: {prefix: /soak/, leaseTTL: 6s, format: plain}"
    echo "server: {listen: 127.0.0.1:$admin_port}"
    echo "log: {level: warn, format: text}"
    echo "defaults: {periodSeconds: $period}"
    echo "services:"
    local per=$((targets / services)) s i
    for ((s = 0; s < services; s++)); do
      echo "  - name: svc$s"
      # The reload changes one service's metadata each time: a real change.
      if [ $((s)) -eq $((generation % services)) ]; then
        echo "    format: json"
        echo "    metadata: {generation: \"$generation\"}"
      fi
      echo "    probe: {httpGet: {path: /healthz}, timeoutSeconds: 2, failureThreshold: 1, successThreshold: 1}"
      printf '    endpoints: ['
      for ((i = 0; i < per; i++)); do
        printf '%s"127.0.0.1:%d"' "$([ $i -gt 0 ] && echo ,)" $((base + s * per + i))
      done
      echo "]"
    done
  } >"$work/config.yaml.new"
  mv "$work/config.yaml.new" "$work/config.yaml"
}
write_config 0
"$registrar" check-config "$work/config.yaml" >/dev/null
"$registrar" --config "$work/config.yaml" >>"$work/registrar.log" 2>&1 &
registrar_pid=$!
log "registrar pid $registrar_pid, $targets targets on 127.0.0.1:$base.., etcd $endpoints, admin :$admin_port"

# --- background noise: flaps, reloads, etcd faults, admin polling ---
flap_changed=$(date +%s)
echo "$flap_changed" >"$work/flap_changed"
flapper() {
  while :; do
    sleep "$flap_seconds"
    shuf -i "$base-$((base + targets - 1))" -n $((targets * flap_percent / 100)) |
      sed 's/$/ 503;/' >"$work/flap.conf.new"
    # The change time first: a watcher that sees the new set sees it too.
    date +%s >"$work/flap_changed"
    mv "$work/flap.conf.new" "$work/flap.conf"
    nginx -c "$work/nginx.conf" -p "$work/nginx" -s reload
  done
}
reloader() {
  local g=1
  while :; do
    sleep "$reload_seconds"
    write_config $g
    kill -HUP "$registrar_pid" 2>/dev/null || true
    g=$((g + 1))
  done
}
etcd_faults() {
  local round=0 m
  while :; do
    sleep "$fault_seconds"
    round=$((round + 1))
    if [ $((round % 2)) -eq 1 ]; then
      m=$(leader)
      m=$((($(echo "${m##*:}") - etcd_base) / 2))
      echo "$(date +%s) kill -9 leader m$m" >>"$work/faults"
      kill -9 "$(cat "$work/etcd$m.pid")" 2>/dev/null || true
    else
      m=$((round % 3))
      echo "$(date +%s) restart m$m" >>"$work/faults"
      kill "$(cat "$work/etcd$m.pid")" 2>/dev/null || true
    fi
    sleep 10
    etcd_start "$m"
  done
}
poller() {
  while :; do
    for page in /metrics /healthz /readyz /api/v1/targets /; do
      local rc=0
      curl -s -m 5 -o /dev/null "http://127.0.0.1:$admin_port$page" || rc=$?
      [ "$rc" -eq 0 ] || echo "$(date -u +%H:%M:%S) $page curl exit $rc" >>"$work/poll_failures"
    done
    sleep 1
  done
}
# Polling starts once the admin port answers (bounded): a refused connection
# before the server is up is not a failure of the server.
for _ in $(seq 60); do curl -s -m 2 -o /dev/null "http://127.0.0.1:$admin_port/healthz" && break; sleep 1; done
flapper & pids+=($!)
reloader & pids+=($!)
etcd_faults & pids+=($!)
poller & pids+=($!)

# --- the watcher: keys = healthy targets ---
expected() {
  # Every target port minus the flapping ones of the snapshot taken before the
  # keys were read, as "127.0.0.1:PORT", sorted.
  seq "$base" $((base + targets - 1)) | grep -vxF -f <(sed 's/ 503;//' "$work/flap.snapshot") |
    sed 's/^/127.0.0.1:/' | sort
}
checks=0 missing_total=0 extra_total=0 read_failures=0
watch_once() {
  local changed now keys
  changed=$(cat "$work/flap_changed")
  now=$(date +%s)
  [ $((now - changed)) -ge "$settle" ] || return 0
  cp "$work/flap.conf" "$work/flap.snapshot"
  if ! keys=$(ctl get /soak/ --prefix --keys-only 2>/dev/null); then
    read_failures=$((read_failures + 1))
    return 0
  fi
  local got missing extra
  got=$(echo "$keys" | grep -v '^$' | sed 's#.*/##' | sort)
  missing=$(comm -23 <(expected) <(echo "$got") | grep -c . || true)
  extra=$(comm -13 <(expected) <(echo "$got") | grep -c . || true)
  [ "$(cat "$work/flap_changed")" = "$changed" ] || return 0  # a flap started meanwhile
  checks=$((checks + 1))
  missing_total=$((missing_total + missing))
  extra_total=$((extra_total + extra))
  if [ "$missing" -gt 0 ] || [ "$extra" -gt 0 ]; then
    log "VIOLATION: $missing healthy targets without a key, $extra keys of unhealthy targets"
  fi
}

# --- per-minute table ---
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$registrar_pid/stat"; }
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$registrar_pid/status"; }
# Sets rss to a new sample and widens this minute's rss_min / rss_max.
sample_rss() {
  rss=$(rss_kb)
  [ "$rss" -lt "$rss_min" ] && rss_min=$rss
  [ "$rss" -gt "$rss_max" ] && rss_max=$rss
  return 0
}
# RSS is sampled every 5 s: the table shows the minute's last sample, its
# floor and its peak. The floor is what stays resident (a leak raises it);
# the peak is the transients of reloads and admin pages between heap trims.
printf '%-4s %-9s %-9s %-9s %-6s %-7s %-7s %-6s %-7s %-8s\n' min rss_kb rss_min rss_max fds threads cpu_pct keys checks missing
rows="$work/rows"
: >"$rows"
start=$(date +%s)
last_ticks=$(cpu_ticks)
last_t=$start
for ((minute = 1; minute <= minutes; minute++)); do
  rss_min=999999999 rss_max=0
  while [ $(($(date +%s) - start)) -lt $((minute * 60)) ]; do
    kill -0 "$registrar_pid" 2>/dev/null || { log "registrar exited"; tail -20 "$work/registrar.log"; exit 1; }
    watch_once
    sample_rss
    sleep 5
  done
  now=$(date +%s)
  ticks=$(cpu_ticks)
  cpu=$(awk -v d=$((ticks - last_ticks)) -v t=$((now - last_t)) -v hz="$hz" 'BEGIN{printf "%.1f", 100*d/hz/t}')
  last_ticks=$ticks last_t=$now
  sample_rss
  threads=$(awk '/Threads/{print $2}' "/proc/$registrar_pid/status")
  fds=$(ls "/proc/$registrar_pid/fd" | wc -l)
  nkeys=$(ctl get /soak/ --prefix --keys-only 2>/dev/null | grep -c '^/soak/' || true)
  printf '%-4s %-9s %-9s %-9s %-6s %-7s %-7s %-6s %-7s %-8s\n' "$minute" "$rss" "$rss_min" "$rss_max" "$fds" "$threads" "$cpu" "${nkeys:-?}" "$checks" "$missing_total"
  echo "$minute $rss $rss_min $rss_max $fds $threads $cpu" >>"$rows"
done

# --- slopes after warm-up (least squares per hour over minutes > warm-up) ---
warm=$((minutes / 6 > 1 ? minutes / 6 : 1))
awk -v w="$warm" '$1 > w {n++; x=$1; sx+=x; sxx+=x*x; for(i=2;i<=7;i++){sy[i]+=$i; sxy[i]+=x*$i}}
  END { if (n < 2) { print "too few rows for slopes"; exit }
    split("rss_kb rss_min rss_max fds threads cpu_pct", names, " ");
    printf "slopes per hour after %d warm-up minutes:", w;
    for (i=2;i<=7;i++) { b=(n*sxy[i]-sx*sy[i])/(n*sxx-sx*sx); printf " %s %+.2f", names[i-1], 60*b }
    print "" }' "$rows"
echo "watcher: $checks checks, $missing_total missing keys of healthy targets, $extra_total keys of unhealthy targets, $read_failures etcd reads failed (skipped)"
echo "admin poll failures: $(wc -l <"$work/poll_failures" 2>/dev/null || echo 0); etcd faults: $(wc -l <"$work/faults" 2>/dev/null || echo 0)"
# A lease the registrar gave up on (its TTL passed unrenewed, or etcd forgot
# it): each one is a regrant and a rewrite of what it held.
for l in session registration; do
  echo "$l leases lost: $(grep -cE "$l lease [0-9a-f]+ lost" "$work/registrar.log" || true)"
done
if [ -s "$work/poll_failures" ]; then sed 's/^/  poll failed: /' "$work/poll_failures"; fi
