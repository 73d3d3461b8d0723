#!/usr/bin/env bash
# Puts etcd's own v3 API definitions (rpc.proto, kv.proto, auth.proto, exactly
# as the etcd project ships them, from Debian's golang-etcd-server-dev of the
# same etcd version as etcd-server) into .tools/etcd-api/, in etcd's import
# layout. The build strips their gogoproto / google.api annotations and
# compiles them (etcd/CMakeLists.txt). Only the package file is downloaded;
# its Go dependencies are not installed. Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.tools/etcd-api"
files=(etcd/etcdserver/etcdserverpb/rpc.proto etcd/mvcc/mvccpb/kv.proto etcd/auth/authpb/auth.proto)

have_all=1
for f in "${files[@]}"; do [[ -s "$dest/$f" ]] || have_all=0; done
((have_all)) && exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download golang-etcd-server-dev >/dev/null 2>&1; then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  apt-get download golang-etcd-server-dev >/dev/null
fi
dpkg-deb -x golang-etcd-server-dev_*.deb pkg
src=pkg/usr/share/gocode/src/go.etcd.io
for f in "${files[@]}"; do
  mkdir -p "$dest/$(dirname "$f")"
  cp "$src/$f" "$dest/$f"
done
echo "fetch-etcd-api: etcd API definitions in $dest" >&2
