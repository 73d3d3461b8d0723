#!/usr/bin/env bash
# The sanitizer and fuzzing stages (scripts/test.sh runs asan, corpus, fuzz and
# tsan: the suite runs only here, not in the gcc build). Each stage prints its
# wall time.
#   asan:   build-asan/: clang-14 with AddressSanitizer + UndefinedBehaviorSanitizer
#           (+ fuzzer-no-link, so the fuzzers share the objects); the whole suite.
#   corpus: every fuzz target over its committed seed corpus, each input once.
#   fuzz:   the libFuzzer targets of fuzz/ from build-asan/, each for FUZZ_SECONDS
#           (default 45), two at a time, from the seed corpora in fuzz/corpus/.
#           A crash, leak, timeout or out-of-memory fails the pass; the input is
#           kept in build-asan/fuzz-artifacts/.
#   tsan:   build-tsan/: ThreadSanitizer build of the threaded suites only
#           (prober, controller, etcd client, discovery and the discover command,
#           admin server), run.
# Any sanitizer report fails its test. Suppressions (scripts/sanitizers/) hold
# only findings in code that is not ours, each with the reason.
# Usage: scripts/sanitize.sh [asan|corpus|fuzz|tsan]...   (default: asan fuzz tsan)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(asan fuzz tsan)
jobs=${JOBS:-$(nproc)}
fuzz_seconds=${FUZZ_SECONDS:-45}
supp="$root/scripts/sanitizers"

launcher=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}" CCACHE_NOHASHDIR=1
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

# configure <dir> <sanitizers> <fuzz ON|OFF>: cheap instrumented builds
# (-O1, line tables only, no benchmarks; tests/ at -O0). Warnings are errors
# here too: the suite is compiled by clang only, so clang is its warning check.
# File by file (REGISTRAR_UNITY_BUILD=OFF): the unity batches of
# cmake/Unity.cmake are checked with gcc only so far; this build also keeps
# checking that every file compiles on its own.
configure() {
  local out
  if ! out=$(CXX=clang++-14 cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" -DREGISTRAR_SANITIZE="$2" -DREGISTRAR_WERROR=ON \
    -DREGISTRAR_FUZZ="$3" -DREGISTRAR_BUILD_BENCH=OFF -DREGISTRAR_UNITY_BUILD=OFF "${launcher[@]}" 2>&1); then
    echo "$out"
    echo "== sanitize: configuring $1 failed"
    return 1
  fi
}

export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
# ignore_noninstrumented_modules: gRPC, abseil and the other Debian libraries
# are not built with TSan, so the memory accesses that intercepted calls make
# on their behalf (epoll_wait on gRPC's poller fd, memmove inside abseil's
# deadlock graph) race with nothing TSan can see; those accesses are ignored.
# Synchronization through intercepted calls (pthread, and so std::thread and
# std::mutex) is still tracked, and so is every access of our own code.
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=$supp/tsan.supp:print_suppressions=0"

stage_start() { echo "== sanitize: $1"; date +%s >"/tmp/registrar-sanitize-$1.$$"; }
stage_end() {
  local t0
  t0=$(cat "/tmp/registrar-sanitize-$1.$$")
  rm -f "/tmp/registrar-sanitize-$1.$$"
  echo "== sanitize: $1 took $(($(date +%s) - t0)) s"
}

asan() {
  stage_start asan
  configure build-asan "address,undefined" ON || return 1
  cmake --build build-asan -j"$jobs" || return 1
  # CTEST_ARGS: a selection, e.g. "-R Replicas" (scripts/test.sh passes its own).
  # shellcheck disable=SC2086
  local rc=0
  (cd build-asan && ctest --output-on-failure --timeout 600 -j"${TEST_JOBS:-2}" ${CTEST_ARGS:-}) || rc=1
  stage_end asan
  return $rc
}

# fuzz_one <target>: a bounded run on a scratch copy of its seed corpus.
fuzz_one() {
  local name=$1 work="build-asan/fuzz-work/$1" rc=0
  rm -rf "$work" && mkdir -p "$work/corpus" build-asan/fuzz-artifacts
  "build-asan/bin/$name" "$work/corpus" "fuzz/corpus/$name" -max_total_time="$fuzz_seconds" \
    -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="build-asan/fuzz-artifacts/$name-" >"$work/log" 2>&1 || rc=$?
  echo "$name: $(grep -E '^stat::number_of_executed_units' "$work/log" | awk '{print $2}') executions," \
    "$(grep -E '^stat::new_units_added' "$work/log" | awk '{print $2}') new units, exit $rc"
  if [ $rc -ne 0 ]; then
    tail -n 60 "$work/log"
    return 1
  fi
}

fuzz() {
  stage_start fuzz
  if [ ! -d build-asan ]; then configure build-asan "address,undefined" ON || return 1; fi
  local targets=(fuzz_config fuzz_http_response fuzz_discovery_parse fuzz_keys fuzz_admin_handler
    fuzz_dns_answer fuzz_target_groups)
  cmake --build build-asan -j"$jobs" --target "${targets[@]}" || return 1
  local failed=0 i
  # Two at a time: one per core.
  for ((i = 0; i < ${#targets[@]}; i += 2)); do
    fuzz_one "${targets[i]}" &
    local a=$!
    local b=""
    if [ $((i + 1)) -lt ${#targets[@]} ]; then
      fuzz_one "${targets[i + 1]}" &
      b=$!
    fi
    wait $a || failed=1
    if [ -n "$b" ]; then wait $b || failed=1; fi
  done
  stage_end fuzz
  return $failed
}

# corpus: every fuzz target under ASan+UBSan over its committed seed corpus,
# each input once (a regression run: deterministic, about a minute).
corpus() {
  stage_start corpus
  if [ ! -d build-asan ]; then configure build-asan "address,undefined" ON || return 1; fi
  local targets=(fuzz_config fuzz_http_response fuzz_discovery_parse fuzz_keys fuzz_admin_handler
    fuzz_dns_answer fuzz_target_groups)
  cmake --build build-asan -j"$jobs" --target "${targets[@]}" || return 1
  local failed=0 name
  for name in "${targets[@]}"; do
    if ! "build-asan/bin/$name" -runs=0 -timeout=10 -rss_limit_mb=2048 "fuzz/corpus/$name" \
      >"build-asan/$name.corpus.log" 2>&1; then
      echo "-- corpus: $name FAILED"
      tail -n 60 "build-asan/$name.corpus.log"
      failed=1
    else
      echo "-- corpus: $name: $(find "fuzz/corpus/$name" -type f | wc -l) inputs passed"
    fi
  done
  stage_end corpus
  return $failed
}

tsan() {
  stage_start tsan
  configure build-tsan thread OFF || return 1
  local suites=(probes_prober_test probes_hostile_test controller_test etcd_client_test
    discovery_test cmd_discover_test admin_server_test controller_simulated_test
    etcd_memory_semantics_test sources_unit_test sources_file_test)
  cmake --build build-tsan -j"$jobs" --target "${suites[@]}" || return 1
  # Two suites at a time, one per core.
  local failed=0 exe pids=() names=()
  run_tsan() {
    if ! (cd build-tsan && "bin/$1" --gtest_brief=1 >"$1.tsan.log" 2>&1); then
      echo "-- tsan: $1 FAILED"
      grep -E "WARNING: ThreadSanitizer|FAILED|SUMMARY" -A30 "build-tsan/$1.tsan.log" | head -n 120
      return 1
    fi
    echo "-- tsan: $1 passed"
  }
  for exe in "${suites[@]}"; do
    run_tsan "$exe" &
    pids+=($!)
    if [ ${#pids[@]} -eq 2 ]; then
      for p in "${pids[@]}"; do wait "$p" || failed=1; done
      pids=()
    fi
  done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  stage_end tsan
  return $failed
}

# A function called as `f || …` runs with `set -e` off (bash ignores it
# there), so every stage checks each of its steps and returns non-zero.
status=0
for stage in "${stages[@]}"; do
  "$stage" || status=1
done
exit $status
