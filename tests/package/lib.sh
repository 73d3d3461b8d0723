# Shared by tests/package/*_test.sh (sourced): the checks of tests/deploy/lib.sh, and a
# throwaway root filesystem from the cached Debian base (scripts/base-image.sh).
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/lib.sh"

# BUILD: the build tree (images and packages are cached there).
BUILD=${BUILD:-$ROOT/build}
BASE_TAR="$BUILD/images/bookworm-base.tar"

# new_root DIR: unpacks the base into DIR, with this machine's apt lists (the base's
# sources are this machine's, so they match) and its resolver.
new_root() {
  "$ROOT/scripts/base-image.sh" "$BASE_TAR"
  mkdir -p "$1"
  tar -C "$1" -xf "$BASE_TAR"
  cp -a /var/lib/apt/lists/. "$1/var/lib/apt/lists/" 2>/dev/null || true
  cp /etc/resolv.conf "$1/etc/resolv.conf" 2>/dev/null || true
}

# in_root DIR COMMAND...: runs COMMAND chrooted in DIR with /proc and /dev, in a private
# mount namespace (nothing stays mounted). The machine's downloaded packages serve as
# apt's cache, so a warm machine downloads nothing.
in_root() {
  local dir=$1; shift
  unshare --mount --fork -- bash -c '
    dir=$1; shift
    mount -t proc proc "$dir/proc"
    mount --rbind /dev "$dir/dev"
    mkdir -p "$dir/var/cache/apt/archives"
    mount --bind /var/cache/apt/archives "$dir/var/cache/apt/archives"
    exec chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"
  ' _ "$dir" "$@"
}
