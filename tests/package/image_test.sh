#!/usr/bin/env bash
# The built image (scripts/build-image.sh) run as a container would run it: its own
# ENTRYPOINT and CMD, as its non-root user 65532, with a read-only root filesystem and
# the config mounted at /etc/etcd-registrar/config.yaml, against a real etcd on
# loopback. A healthy sample backend gets its key, a failing one does not, /metrics
# answers; SIGTERM removes the key.
#
# `buildah run` has no --read-only: the container's root is bind-mounted read-only onto
# itself in a private mount namespace before buildah chroots into it (the mount
# points buildah creates, /run/.containerenv and the config file, are made beforehand), and the test proves
# the root is read-only for the registrar's user by failing to write to it. buildah
# 1.28 then panics while unmounting (after the command has exited) and loses the
# command's exit status, so commands report their own status (`exit status N`), and
# SIGTERM goes to the registrar process itself (buildah does not forward it).
#
# usage: image_test.sh [BUILD_DIR]   (BUILD_DIR/bin holds etcd-registrar and sample-backend)
source "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:-$BUILD}" && pwd)
need buildah "scripts/install-deps.sh"
images="$BUILD/images"
bah() { buildah --root "$images/storage" --runroot "$images/run" --storage-driver vfs "$@"; }
version=$(sed -n 's/^project(etcd-registrar VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
image="localhost/etcd-registrar:$version"
# IMAGE_BUILT=1: the image is already built (scripts/package-test.sh builds it once).
[[ ${IMAGE_BUILT:-0} == 1 ]] || "$ROOT/scripts/build-image.sh" "$BUILD"

ctr=""
pid=""
# The registrar runs under buildah's chroot helpers: kill it by its own pid too.
trap '{ if [[ -n $pid ]]; then kill -KILL "$pid" || true; fi; kill_spawned; wait; } 2>/dev/null
  if [[ -n $ctr ]]; then bah rm "$ctr" >/dev/null 2>&1 || true; fi; rm -rf "$WORK"' EXIT
start_etcd image-test
etcd_url=$ETCD_URL client=$ETCD_PORT
good=$(free_port) bad=$(free_port) admin=$(free_port)
spawn "$BUILD/bin/sample-backend" --listen "127.0.0.1:$good" --status 200 >"$WORK/good.log" 2>&1
spawn "$BUILD/bin/sample-backend" --listen "127.0.0.1:$bad" --status 503 >"$WORK/bad.log" 2>&1
web_config "$client" "$admin" "[\"127.0.0.1:$good\", \"127.0.0.1:$bad\"]" >"$WORK/config.yaml"
chmod 0644 "$WORK/config.yaml"

ctr=$(bah from -q "$image")
mnt=$(bah mount "$ctr")
# The mount points buildah makes, made beforehand (it cannot on a read-only root).
touch "$mnt/run/.containerenv" "$mnt/etc/etcd-registrar/config.yaml"
# The image's own entrypoint and arguments, and its user.
mapfile -t entry < <(bah inspect --format '{{range .OCIv1.Config.Entrypoint}}{{println .}}{{end}}{{range .OCIv1.Config.Cmd}}{{println .}}{{end}}' "$image" | sed '/^$/d')
user=$(bah inspect --format '{{.OCIv1.Config.User}}' "$image")
expect_ok "the image runs as 65532:65532 (got $user)" test "$user" = 65532:65532
expect_ok "entrypoint is etcd-registrar --config=/etc/etcd-registrar/config.yaml (got ${entry[*]})" \
  test "${entry[*]}" = "etcd-registrar --config=/etc/etcd-registrar/config.yaml"
# run_ro COMMAND...: buildah run as the image's user on the read-only root, config mounted.
run_ro() {
  unshare --mount -- bash -c '
    mnt=$1; shift
    mount --bind "$mnt" "$mnt" && mount -o remount,bind,ro "$mnt" && exec "$@"' _ "$mnt" \
    buildah --root "$images/storage" --runroot "$images/run" --storage-driver vfs \
    run --isolation chroot --user "$user" \
    --volume "$WORK/config.yaml:/etc/etcd-registrar/config.yaml:ro" "$ctr" -- "$@"
}
root_read_only() {
  local out
  out=$(run_ro sh -c 'id -u; for d in / /tmp /etc/etcd-registrar /usr/local/bin; do touch "$d/.w" 2>&1; done' 2>&1)
  echo "$out"
  grep -qx 65532 <<<"$out" && (($(grep -c "Read-only file system" <<<"$out") == 4))
}
expect_ok "the root is read-only for the image's user" root_read_only

spawn run_ro sh -c '"$@"; echo "exit status $?"' sh "${entry[@]}" >"$WORK/registrar.log" 2>&1
runner=${SPAWNED[-1]}
# registrar_pid PID: the etcd-registrar process among PID's descendants.
registrar_pid() {
  local child
  for child in $(ps -o pid= --ppid "$1"); do
    [[ $(cat "/proc/$child/comm" 2>/dev/null) == etcd-registrar ]] && { echo "$child"; return; }
    registrar_pid "$child"
  done
}
found_registrar() { pid=$(registrar_pid "$runner"); [[ -n $pid ]]; }
wait_until 60 found_registrar || true
has_key() { [[ $(etcdctl --endpoints "$etcd_url" get --print-value-only "$1") == "127.0.0.1:${1##*:}" ]]; }
# status_of COMMAND...: runs COMMAND in the container; succeeds if it said "exit status 0".
status_of() {
  local out
  out=$(run_ro sh -c '"$@"; echo "exit status $?"' sh "$@" 2>&1)
  grep -v '^\s*\(github.com\|goroutine\|/\|main\.\)' <<<"$out"
  grep -qx "exit status 0" <<<"$out"
}
expect_ok "the image's check-config accepts the test config" \
  status_of etcd-registrar check-config /etc/etcd-registrar/config.yaml
expect_ok "the healthy backend gets its key" wait_until 120 has_key "/services/web/127.0.0.1:$good"
metrics() { curl -fsS "http://127.0.0.1:$admin/metrics" | grep -E '^registrar_build_info\{.*\} 1$'; }
expect_ok "/metrics answers" wait_until 30 metrics
only_good() {
  [[ $(etcdctl --endpoints "$etcd_url" get --prefix --keys-only /services/ | sed '/^$/d') == "/services/web/127.0.0.1:$good" ]]
}
expect_ok "the failing backend has no key" only_good
expect_ok "the registrar runs as uid 65532 (pid ${pid:-none})" \
  bash -c '[[ -n $1 ]] && [[ $(stat -c %u "/proc/$1") == 65532 ]]' _ "$pid"
[[ -n $pid ]] && kill -TERM "$pid"
no_keys() { [[ -z $(etcdctl --endpoints "$etcd_url" get --prefix --keys-only /services/) ]]; }
expect_ok "SIGTERM to the container removes the key" wait_until 60 no_keys
wait "$runner" 2>/dev/null || true
expect_ok "the registrar exits 0 on SIGTERM" grep -qx "exit status 0" "$WORK/registrar.log"
echo "---- registrar log (last lines)"
grep -v '^\s*\(github.com\|goroutine\|/\)' "$WORK/registrar.log" | tail -n 8
# Debian's buildah (1.28) dereferences a nil logger after a rootful `run` has
# returned (buildah issue 4251): its panic follows the registrar's own exit.
if grep -q '^panic: ' "$WORK/registrar.log"; then
  echo "(the panic above is buildah's, after the registrar exited: buildah issue 4251)"
fi
finish
