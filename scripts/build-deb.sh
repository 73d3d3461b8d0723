#!/usr/bin/env bash
# Builds the Debian package from an already built binary, with dpkg-deb (no
# debhelper, so no source package is needed):
#   /usr/bin/etcd-registrar                      (debug info stripped)
#   /lib/systemd/system/etcd-registrar.service   (deploy/systemd, run as the system user)
#   /usr/lib/sysusers.d/etcd-registrar.conf      (the system user, created on install)
#   /etc/etcd-registrar/config.yaml              (conffile: edits survive upgrade and removal)
# Depends: computed by dpkg-shlibdeps from what the binary links, the CA bundle, and
# procps (the unit's ExecReload runs /bin/kill).
#
# usage: build-deb.sh [BUILD_DIR]   (default build/; writes BUILD_DIR/deb/*.deb, prints its path)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
bin="$build/bin/etcd-registrar"
[[ -x $bin ]] || { echo "build-deb: $bin missing; build it first (scripts/build.sh etcd-registrar)" >&2; exit 1; }

name=etcd-registrar
version=$(sed -n 's/^project(etcd-registrar VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
arch=$(dpkg --print-architecture)
out="$build/deb"
stage="$out/stage"
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/usr/lib/sysusers.d" \
  "$stage/etc/$name" "$stage/usr/share/doc/$name"

install -m 0755 "$bin" "$stage/usr/bin/$name"
strip --strip-debug "$stage/usr/bin/$name"
# The unit as shipped, with the packaged binary and the package's system user
# instead of a transient one (the config and any credentials can then belong
# to that group).
sed -e "s#/usr/local/bin/$name#/usr/bin/$name#g" \
  -e "s#^DynamicUser=yes#User=$name\nGroup=$name#" \
  "$root/deploy/systemd/$name.service" >"$stage/lib/systemd/system/$name.service"
grep -q "^User=$name" "$stage/lib/systemd/system/$name.service"
printf 'u %s - "etcd-registrar" /nonexistent /usr/sbin/nologin\n' "$name" \
  >"$stage/usr/lib/sysusers.d/$name.conf"
install -m 0644 "$root/deploy/systemd/config.example.yaml" "$stage/etc/$name/config.yaml"
install -m 0644 "$root/LICENSE" "$stage/usr/share/doc/$name/copyright"
echo "/etc/$name/config.yaml" >"$stage/DEBIAN/conffiles"

# dpkg-shlibdeps wants a debian/control beside it; a two-line one is enough.
shlibs=$(cd "$out" && mkdir -p debian && printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$name" "$name" >debian/control &&
  dpkg-shlibdeps -O "$stage/usr/bin/$name" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
rm -rf "$out/debian"
[[ -n $shlibs ]] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

cat >"$stage/DEBIAN/control" <<CONTROL
Package: $name
Version: $version
Architecture: $arch
Maintainer: The etcd-registrar authors <etcd-registrar@users.noreply.github.com>
Depends: $shlibs, ca-certificates, procps
Section: net
Priority: optional
Installed-Size: $(du -sk "$stage" | cut -f1)
Description: registers healthy backends in etcd
 Health-probes backend endpoints (HTTP, TCP, gRPC, TLS, exec) and keeps an
 etcd lease-bound key for exactly the healthy ones, so services that never
 heard of etcd become discoverable by etcd-based clients. Exports Prometheus
 metrics and a status page.
CONTROL

cat >"$stage/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
# Creates the system user; reloads systemd. The service is not started: edit
# /etc/etcd-registrar/config.yaml, then `systemctl enable --now etcd-registrar`.
set -e
if [ "$1" = configure ]; then
  if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers etcd-registrar.conf
  elif ! getent passwd etcd-registrar >/dev/null; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin --comment etcd-registrar etcd-registrar
  fi
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
    # An upgrade restarts a running registrar on the new binary.
    if systemctl is-active --quiet etcd-registrar.service; then
      systemctl try-restart etcd-registrar.service || true
    fi
  fi
fi
SCRIPT
cat >"$stage/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
# Stops the registrar on removal (SIGTERM: it hands over or revokes its lease).
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  systemctl disable --now etcd-registrar.service || true
fi
SCRIPT
cat >"$stage/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
# The system user stays (files may still belong to it), as Debian's policy advises.
set -e
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
SCRIPT
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm" "$stage/DEBIAN/postrm"

deb="$out/${name}_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
rm -rf "$stage"
echo "$deb"
