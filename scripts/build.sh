#!/usr/bin/env bash
# Configures and builds into build/ (binaries in build/bin/). Warnings are errors.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DREGISTRAR_WERROR=ON >/dev/null
cmake --build build -j"${JOBS:-$(nproc)}"
