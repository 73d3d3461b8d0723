#!/usr/bin/env bash
# scripts/sanitize.sh's verdict: a failing build or test step of any stage
# makes it exit non-zero. Its stages are functions called as `stage || …`,
# where bash ignores `set -e`, which once let a failing suite pass CI. A copy
# of the script runs in a scratch tree with fake `cmake` and `ctest` first on
# PATH, so nothing is built.
source "$(dirname "$0")/../deploy/lib.sh"
tree="$WORK/tree"
mkdir -p "$tree/scripts/sanitizers" "$tree/build-asan" "$tree/fake"
cp "$ROOT/scripts/sanitize.sh" "$tree/scripts/"
# fake NAME STATUS: a NAME on PATH that says it ran and exits STATUS.
fake() {
  printf '#!/bin/sh\necho "fake %s $*"\nexit %s\n' "$1" "$2" >"$tree/fake/$1"
  chmod +x "$tree/fake/$1"
}
run() { PATH="$tree/fake:$PATH" bash "$tree/scripts/sanitize.sh" "$@"; }

fake cmake 0
fake ctest 0
expect_ok "asan: exits 0 when the build and the suite pass" run asan
fake ctest 1
expect_fail "asan: a failing suite fails it" "fake ctest" run asan
fake ctest 0
fake cmake 1
expect_fail "asan: a failing configure fails it" "configuring build-asan failed" run asan
# Configuring passes, building fails.
printf '#!/bin/sh\necho "fake cmake $*"\n[ "$1" != --build ]\n' >"$tree/fake/cmake"
expect_fail "asan: a failing build fails it" "fake cmake --build" run asan
fake cmake 1
# build-asan/ exists, so these two build without configuring.
expect_fail "fuzz: a failing build fails it" "fake cmake --build" run fuzz
expect_fail "corpus: a failing build fails it" "fake cmake --build" run corpus
expect_fail "tsan: a failing configure fails it" "configuring build-tsan failed" run tsan
finish
