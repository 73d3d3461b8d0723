#!/usr/bin/env bash
# Configures and builds into build/ (binaries in build/bin/). Warnings are errors.
# BUILD_TESTS=OFF leaves the test suite out (scripts/test.sh runs it under the
# sanitizers instead, in build-asan/).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD_DIR:-build}
# ccache (when installed) keeps rebuilds of a fresh clone or another work tree
# cheap; paths are hashed relative to the tree so clones share the cache.
launcher=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}" CCACHE_NOHASHDIR=1
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DREGISTRAR_WERROR=ON -DREGISTRAR_BUILD_TESTS="${BUILD_TESTS:-ON}" "${launcher[@]}" >/dev/null
# Arguments name the targets to build (default: all), e.g. `build.sh etcd-registrar`.
targets=()
(($#)) && targets=(--target "$@")
cmake --build "$build" -j"${JOBS:-$(nproc)}" "${targets[@]}"
