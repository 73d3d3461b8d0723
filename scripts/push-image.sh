#!/usr/bin/env bash
# Pushes the image scripts/build-image.sh built to a registry your cluster pulls
# from, with buildah (no container engine), and prints the Helm values that use it.
#
# usage: push-image.sh REPOSITORY [BUILD_DIR]
#   REPOSITORY   where the image goes, without the tag: REGISTRY_HOST[:PORT]/PATH/etcd-registrar
#   BUILD_DIR    the build tree build-image.sh used (default build/)
# The tag is the version (CMakeLists.txt), the chart's appVersion, so `image.tag` can
# stay unset. Log in first when the registry needs it (`buildah login REGISTRY_HOST`;
# buildah keeps the credentials in ${XDG_RUNTIME_DIR}/containers/auth.json).
# REGISTRY_TLS_VERIFY=false pushes over plain HTTP (a registry on loopback, as the
# test does); never do that across a network.
# IMAGE=NAME pushes another local image than localhost/etcd-registrar:VERSION.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
repository=${1:?usage: push-image.sh REPOSITORY [BUILD_DIR]}
build=$(cd "${2:-$root/build}" && pwd)
images="$build/images"
version=$(sed -n 's/^project(etcd-registrar VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
image=${IMAGE:-localhost/etcd-registrar:$version}
repository=${repository%/}
if [[ $repository != */* ]]; then
  echo "push-image: expected REGISTRY_HOST[:PORT]/PATH, got \"$repository\" (no registry host)" >&2
  exit 2
fi
command -v buildah >/dev/null || { echo "push-image: buildah missing (scripts/install-deps.sh)" >&2; exit 1; }
bah() { buildah --root "$images/storage" --runroot "$images/run" --storage-driver vfs "$@"; }
if ! bah inspect --type image "$image" >/dev/null 2>&1; then
  echo "push-image: no image $image in $images (run scripts/build-image.sh first)" >&2
  exit 1
fi
destination="docker://$repository:$version"
echo "push-image: $image -> $destination" >&2
bah push --tls-verify="${REGISTRY_TLS_VERIFY:-true}" --digestfile "$images/pushed.digest" \
  "$image" "$destination" >&2
digest=$(cat "$images/pushed.digest")
cat <<VALUES
# Helm values for this image (helm install ... -f this-file, or --set each):
image:
  repository: $repository
  tag: "$version"   # the chart's appVersion; pinned here so an upgrade of the chart does not change it
# pushed as $repository@$digest
VALUES
