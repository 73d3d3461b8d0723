#!/usr/bin/env bash
# Builds and tests what is shipped, for real: the .deb installed with apt into a fresh
# Debian root (tests/package/deb_test.sh) and the container image built with buildah and
# run read-only as its non-root user against a real etcd (tests/package/image_test.sh),
# then pushed to a registry on loopback as deploy/README.md says (tests/package/push_test.sh).
# Both start from one mmdebstrap base cached in the build tree. Runs after ctest in
# scripts/test.sh (SKIP_PACKAGES=1 skips it); needs root (chroot, mounts).
#
# usage: package-test.sh [BUILD_DIR]   (binaries already built in BUILD_DIR/bin)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
started=$SECONDS
"$root/scripts/base-image.sh" "$build/images/bookworm-base.tar"
# The two tests wait mostly on apt downloads: run them side by side.
log="$build/images/deb-test.log"
bash "$root/tests/package/deb_test.sh" "$build" >"$log" 2>&1 &
deb=$!
rc=0
"$root/scripts/build-image.sh" "$build" || rc=1
((rc)) || IMAGE_BUILT=1 bash "$root/tests/package/image_test.sh" "$build" || rc=1
((rc)) || IMAGE_BUILT=1 bash "$root/tests/package/push_test.sh" "$build" || rc=1
wait "$deb" || rc=1
cat "$log"
echo "package-test: $((SECONDS - started))s, $( ((rc)) && echo FAILED || echo passed)"
exit "$rc"
