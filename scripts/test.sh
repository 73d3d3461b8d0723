#!/usr/bin/env bash
# The test command (CI runs exactly this). Tests start what they need
# themselves (etcd, backends, Prometheus, Chromium) on free loopback ports.
#   1. Dependencies (idempotent).
#   2. build/: the product as it ships — gcc, RelWithDebInfo, -Werror — the
#      binaries the packages take, and the benchmarks (so they keep compiling).
#   3. build-asan/: clang with ASan+UBSan and -Werror; the whole suite runs
#      there, so every test is also a memory-error and UB check (a sanitizer
#      report fails its test). Then every fuzz target over its seed corpus and
#      FUZZ_SECONDS (20) of fuzzing each, failing on a crash, leak, hang or OOM.
#   4. build-tsan/: TSan over the threaded suites (prober, controller, etcd
#      client, discovery, admin server).
#   5. The .deb and the container image built from build/ and tested for real
#      (needs root; SKIP_PACKAGES=1 skips it).
# Arguments go to the suite's ctest (e.g. `scripts/test.sh -R Replicas`).
# SKIP_TSAN=1 skips step 4; scripts/sanitize.sh runs any stage alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
t0=$(date +%s)
step() { echo "== test.sh: $1 ($(($(date +%s) - t0)) s in)"; }
step dependencies
scripts/install-deps.sh
step "product build (build/)"
BUILD_TESTS=OFF scripts/build.sh
step "suite under ASan+UBSan, corpora, fuzzing (build-asan/)"
status=0
CTEST_ARGS="$*" FUZZ_SECONDS=${FUZZ_SECONDS:-20} scripts/sanitize.sh asan corpus fuzz || status=1
if [[ ${SKIP_TSAN:-0} != 1 ]]; then
  step "threaded suites under TSan (build-tsan/)"
  scripts/sanitize.sh tsan || status=1
fi
if [[ ${SKIP_PACKAGES:-0} != 1 ]]; then
  step "packages"
  scripts/package-test.sh build || status=1
fi
step "done, exit $status"
exit $status
