#!/usr/bin/env bash
# The test command: installs dependencies, builds with -Werror, runs every test,
# then builds and tests the .deb and the container image (scripts/package-test.sh;
# SKIP_PACKAGES=1 skips that). Tests start what they need themselves (etcd,
# backends, Prometheus, Chromium) on free loopback ports.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
scripts/build.sh
(cd build && ctest --output-on-failure --timeout 600 -j"${TEST_JOBS:-2}" "$@")
# Sanitizers and fuzzing (scripts/sanitize.sh). By default every fuzz target
# runs under ASan+UBSan over its committed seed corpus (deterministic), then
# fuzzes for FUZZ_SECONDS (30) from it, failing on a crash, a leak, a hang or
# a blown memory limit; SANITIZE=full runs the whole suite under ASan+UBSan,
# TSan over the threaded suites and longer fuzzing; SKIP_SANITIZERS=1 skips
# both.
if [ "${SKIP_SANITIZERS:-0}" != 1 ]; then
  if [ "${SANITIZE:-corpus}" = full ]; then
    scripts/sanitize.sh asan fuzz tsan
  else
    FUZZ_SECONDS=${FUZZ_SECONDS:-30} scripts/sanitize.sh corpus fuzz
  fi
fi
if [[ ${SKIP_PACKAGES:-0} != 1 ]]; then
  scripts/package-test.sh build
fi
