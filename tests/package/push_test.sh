#!/usr/bin/env bash
# The image goes where a cluster can pull it, as deploy/README.md tells an operator:
# scripts/push-image.sh pushes the built image with buildah to a registry (Debian's
# docker-registry, on a free loopback port, plain HTTP), the registry lists it under
# the chart's appVersion with the digest buildah reported, a fresh buildah storage
# pulls it back, and the Helm values push-image.sh prints make the chart's pod use it.
#
# usage: push_test.sh [BUILD_DIR]   (the image built by scripts/build-image.sh; IMAGE=NAME
#        pushes another local image from BUILD_DIR/images, e.g. a small one to try the test)
source "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:-$BUILD}" && pwd)
need buildah "scripts/install-deps.sh"
need docker-registry "scripts/install-deps.sh (docker-registry)"
need helm scripts/install-tools.sh
version=$(sed -n 's/^project(etcd-registrar VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
[[ ${IMAGE_BUILT:-0} == 1 || -n ${IMAGE:-} ]] || "$ROOT/scripts/build-image.sh" "$BUILD"

port=$(free_port)
cat >"$WORK/registry.yml" <<YAML
version: 0.1
storage:
  filesystem:
    rootdirectory: $WORK/registry
http:
  addr: 127.0.0.1:$port
YAML
spawn docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1
registry="127.0.0.1:$port"
wait_until 30 curl -fsS "http://$registry/v2/" || { cat "$WORK/registry.log" >&2; exit 1; }
repository="$registry/etcd-registrar"

expect_fail "push-image.sh refuses a repository without a registry host" "no registry host" \
  "$ROOT/scripts/push-image.sh" etcd-registrar "$BUILD"
expect_ok "push-image.sh pushes to $repository" bash -c \
  'REGISTRY_TLS_VERIFY=false "$1/scripts/push-image.sh" "$2" "$3" >"$4"' _ "$ROOT" "$repository" "$BUILD" "$WORK/image-values.yaml"
cat "$WORK/image-values.yaml"
expect_ok "the registry lists etcd-registrar:$version" bash -c \
  'curl -fsS "http://$1/v2/etcd-registrar/tags/list" | grep -qF "\"$2\""' _ "$registry" "$version"
digest=$(sed -n 's/^# pushed as .*@//p' "$WORK/image-values.yaml")
served=$(curl -fsSI -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://$registry/v2/etcd-registrar/manifests/$version" | tr -d '\r' |
  sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
expect_ok "the registry serves the digest buildah pushed ($digest)" test -n "$digest" -a "$digest" = "$served"
expect_ok "a fresh buildah storage pulls it back" buildah --root "$WORK/pull/storage" \
  --runroot "$WORK/pull/run" --storage-driver vfs pull -q --tls-verify=false "docker://$repository:$version"
expect_ok "the printed values make the chart's pod pull it" bash -c \
  'helm_itself template x "$1" -f "$2" | grep -qF "image: \"$3:$4\""' _ "$CHART" "$WORK/image-values.yaml" "$repository" "$version"
finish
