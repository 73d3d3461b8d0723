#!/usr/bin/env bash
# The Dockerfile's contract, statically: the source build stage runs CI's own scripts,
# a prebuilt binary can replace it, the runtime stage is bookworm-slim, non-root, with
# the fixed entrypoint and config path, and the build context excludes build outputs
# and tools. The image itself is built and run by tests/package/image_test.sh
# (scripts/package-test.sh).
source "$(dirname "$0")/lib.sh"
df="$DEPLOY/docker/Dockerfile"
has() { grep -qE "$1" "$df"; }
expect_ok "build stage is Debian bookworm" has '^ARG DEBIAN_IMAGE=debian:bookworm$'
expect_ok "runtime stage is bookworm-slim" has '^ARG RUNTIME_IMAGE=debian:bookworm-slim$'
expect_ok "the binary comes from the source stage by default" has '^ARG BINARY=source$'
expect_ok "source stage installs the build set" has '^RUN scripts/install-deps.sh build$'
expect_ok "source stage builds only the binary's target" has '^RUN scripts/build.sh etcd-registrar$'
expect_ok "install-deps.sh runs before build.sh" bash -c \
  '[[ $(grep -n "^RUN scripts/install-deps.sh" "$1" | cut -d: -f1) -lt $(grep -n "^RUN scripts/build.sh" "$1" | cut -d: -f1) ]]' _ "$df"
expect_ok "a prebuilt stage takes the binary and its package list" \
  has '^COPY etcd-registrar runtime-packages.txt /out/$'
expect_ok "the runtime stage takes the binary from the stage BINARY names" has '^FROM \$\{BINARY\} AS binary$'
expect_ok "install-deps.sh knows the build set" grep -qE '^\s+build\)' "$ROOT/scripts/install-deps.sh"
expect_ok "scripts named in the Dockerfile exist and are executable" \
  bash -c 'for s in install-deps.sh build.sh install-tools.sh; do [[ -x "$1/scripts/$s" ]] || exit 1; done' _ "$ROOT"
expect_ok "runs as a numeric non-root user" has '^USER [1-9][0-9]*:[1-9][0-9]*$'
expect_ok 'ENTRYPOINT ["etcd-registrar"]' has '^ENTRYPOINT \["etcd-registrar"\]$'
expect_ok "config at /etc/etcd-registrar/config.yaml" has '^CMD \["--config=/etc/etcd-registrar/config.yaml"\]$'
expect_ok "exposes the admin port 9464" has '^EXPOSE 9464$'
expect_ok "no ADD of remote URLs, no curl/wget in the image build" bash -c '! grep -nE "^ADD|curl |wget " "$1"' _ "$df"
expect_ok "install-tools.sh honours SKIP_DEPLOY_TOOLS (set by the image build)" \
  bash -c 'SKIP_DEPLOY_TOOLS=1 "$1/scripts/install-tools.sh" 2>&1 | grep -q SKIP_DEPLOY_TOOLS' _ "$ROOT"
for pattern in 'build/' 'build-*/' '.tools/'; do
  expect_ok ".dockerignore excludes $pattern" grep -qxF "$pattern" "$ROOT/.dockerignore"
done
expect_ok "deploy/README.md gives the docker build command" \
  grep -qF 'docker build -f deploy/docker/Dockerfile' "$DEPLOY/README.md"
finish
