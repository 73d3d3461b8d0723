#!/usr/bin/env bash
# Builds the Debian bookworm base root filesystem (a tarball, close to
# debian:bookworm-slim) with mmdebstrap, from this machine's own apt sources,
# so images and package tests need no registry. Cached: an existing tarball is
# reused (delete it to rebuild).
#
# usage: base-image.sh [OUT.tar]   (default: build/images/bookworm-base.tar)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/images/bookworm-base.tar}
if [[ -s $out ]]; then
  echo "base-image: cached $out" >&2
  exit 0
fi
command -v mmdebstrap >/dev/null || { echo "base-image: mmdebstrap missing (scripts/install-deps.sh)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"

# The machine's configured Debian bookworm repositories, one-line style.
mapfile -t sources < <(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' \
  'Created-By: Packages' | awk '$2 ~ /^bookworm(-updates|-security)?$/ {print "deb " $1 " " $2 " " $3}' |
  sort -u)
if ((${#sources[@]} == 0)); then
  echo "base-image: no bookworm repository in this machine's apt sources (run apt-get update?)" >&2
  exit 1
fi

echo "base-image: mmdebstrap bookworm (minbase) -> $out" >&2
# Like the slim images: no documentation but copyright files, no locales.
mmdebstrap --variant=minbase --format=tar --quiet \
  --aptopt='Acquire::Languages "none"' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
  bookworm "$out.tmp" "${sources[@]}"
mv "$out.tmp" "$out"
ls -l "$out" >&2
