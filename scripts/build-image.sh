#!/usr/bin/env bash
# Builds the container image without a container engine: the Debian bookworm base
# comes from mmdebstrap (scripts/base-image.sh, cached in the build tree) and is
# imported for buildah, which builds deploy/docker/Dockerfile with chroot isolation.
# Prints the image's name and size.
#
# usage: build-image.sh [BUILD_DIR]          (default build/)
#   BINARY=prebuilt (default)  the image takes BUILD_DIR/bin/etcd-registrar, the binary
#                              CI just built and tested (this machine must be bookworm,
#                              the image's release)
#   BINARY=source              the image's build stage compiles it (slow: the toolchain
#                              and a full compile inside the build)
# buildah's storage lives in BUILD_DIR/images/ (vfs driver: works in any container).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "${1:-$root/build}" && cd "${1:-$root/build}" && pwd)
binary=${BINARY:-prebuilt}
images="$build/images"
version=$(sed -n 's/^project(etcd-registrar VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
image="localhost/etcd-registrar:$version"
base="localhost/etcd-registrar-base:bookworm"
command -v buildah >/dev/null || { echo "build-image: buildah missing (scripts/install-deps.sh)" >&2; exit 1; }
bah() { buildah --root "$images/storage" --runroot "$images/run" --storage-driver vfs "$@"; }

"$root/scripts/base-image.sh" "$images/bookworm-base.tar"
if ! bah inspect --type image "$base" >/dev/null 2>&1; then
  echo "build-image: importing the base as $base" >&2
  ctr=$(bah from scratch)
  bah add "$ctr" "$images/bookworm-base.tar" / >/dev/null
  bah config --cmd /bin/bash "$ctr"
  bah commit -q --rm "$ctr" "$base" >/dev/null
fi

args=(--build-arg "DEBIAN_IMAGE=$base" --build-arg "RUNTIME_IMAGE=$base" --build-arg "BINARY=$binary")
case "$binary" in
  prebuilt)
    bin="$build/bin/etcd-registrar"
    [[ -x $bin ]] || { echo "build-image: $bin missing (scripts/build.sh etcd-registrar)" >&2; exit 1; }
    . /etc/os-release
    if [[ ${VERSION_CODENAME:-} != bookworm ]]; then
      echo "build-image: a prebuilt binary must come from Debian bookworm (this is ${VERSION_CODENAME:-unknown}); use BINARY=source" >&2
      exit 1
    fi
    # The context: the binary (debug info stripped) and the packages owning what it links.
    context="$images/context"
    rm -rf "$context"
    mkdir -p "$context"
    install -m 0755 "$bin" "$context/etcd-registrar"
    strip --strip-debug "$context/etcd-registrar"
    for lib in $(ldd "$bin" | awk '/=> \//{print $3}'); do
      dpkg -S "$lib" 2>/dev/null || dpkg -S "$(realpath "$lib")"
    done | cut -d: -f1 | sort -u >"$context/runtime-packages.txt"
    ;;
  source) context="$root" ;;
  *) echo "build-image: BINARY must be prebuilt or source" >&2; exit 2 ;;
esac

# The runtime stage's apt runs on hard-linked copies of this machine's package lists and
# downloaded packages (RUN-time volumes: nothing of them enters the image), so on a
# machine that installed the build dependencies it downloads next to nothing.
apt_cache="$images/apt-cache"
rm -rf "$apt_cache"
mkdir -p "$apt_cache/archives/partial" "$apt_cache/lists/partial"
cp -al /var/cache/apt/archives/*.deb "$apt_cache/archives/" 2>/dev/null || true
cp -a /var/lib/apt/lists/*_Packages* /var/lib/apt/lists/*Release* "$apt_cache/lists/" 2>/dev/null || true
args+=(-v "$apt_cache/archives:/var/cache/apt/archives" -v "$apt_cache/lists:/var/lib/apt/lists")

echo "build-image: buildah bud (BINARY=$binary) -> $image" >&2
bah bud --isolation chroot --layers --quiet -f "$root/deploy/docker/Dockerfile" "${args[@]}" -t "$image" "$context" >&2
rm -rf "$apt_cache"
[[ $binary == prebuilt ]] && rm -rf "$context"
size=$(bah images --format '{{.Size}}' "$image")
echo "build-image: $image $size (base $(bah images --format '{{.Size}}' "$base"))"
