#!/usr/bin/env bash
# The .deb (scripts/build-deb.sh) installed with apt into a fresh Debian bookworm root
# (mmdebstrap, scripts/base-image.sh): the binary runs, the shipped config passes
# check-config, the system user exists, the installed unit passes systemd-analyze verify,
# and removing the package keeps the operator's edited config.
#
# usage: deb_test.sh [BUILD_DIR]
source "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:-$BUILD}" && pwd)
need mmdebstrap "scripts/install-deps.sh"
need systemd-analyze "scripts/install-deps.sh (Debian systemd)"
deb=$("$ROOT/scripts/build-deb.sh" "$BUILD")
echo "package: $deb ($(stat -c %s "$deb") bytes)"
root="$WORK/root"
new_root "$root"
cp "$deb" "$root/tmp/etcd-registrar.deb"

expect_ok "apt installs the .deb and its dependencies" \
  in_root "$root" apt-get install -y -q --no-install-recommends /tmp/etcd-registrar.deb
expect_ok "etcd-registrar --version runs" in_root "$root" etcd-registrar --version
expect_ok "check-config passes on the shipped /etc/etcd-registrar/config.yaml" \
  in_root "$root" etcd-registrar check-config /etc/etcd-registrar/config.yaml
expect_ok "config.yaml is a conffile" grep -qx /etc/etcd-registrar/config.yaml \
  "$root/var/lib/dpkg/info/etcd-registrar.conffiles"
system_user() {
  local entry uid
  entry=$(in_root "$root" getent passwd etcd-registrar) || return 1
  echo "$entry"
  uid=$(cut -d: -f3 <<<"$entry")
  ((uid > 0 && uid < 1000)) && [[ $(cut -d: -f7 <<<"$entry") == */nologin ]]
}
expect_ok "a system user etcd-registrar (uid < 1000, no login shell) exists" system_user
unit="$root/lib/systemd/system/etcd-registrar.service"
expect_ok "the unit runs /usr/bin/etcd-registrar as User=etcd-registrar" \
  bash -c 'grep -qx "ExecStart=/usr/bin/etcd-registrar --config=/etc/etcd-registrar/config.yaml" "$1" &&
    grep -qx User=etcd-registrar "$1" && ! grep -q "^DynamicUser=" "$1"' _ "$unit"
# systemd itself (not a dependency of the package) to verify the unit where it is
# installed: ExecStart/ExecReload resolve inside the root, and any diagnostic naming
# the unit fails.
expect_ok "apt installs systemd into the root (to verify the unit)" \
  in_root "$root" apt-get install -y -q --no-install-recommends systemd
verify_installed() {
  local out rc=0
  out=$(in_root "$root" systemd-analyze verify /lib/systemd/system/etcd-registrar.service 2>&1) || rc=$?
  echo "$out"
  [[ $rc == 0 ]] && ! grep -q "etcd-registrar.service" <<<"$out"
}
expect_ok "systemd-analyze verify on the installed unit" verify_installed

echo "# edited by the operator" >>"$root/etc/etcd-registrar/config.yaml"
expect_ok "apt-get remove etcd-registrar" in_root "$root" apt-get remove -y -q etcd-registrar
expect_ok "the binary is gone" test ! -e "$root/usr/bin/etcd-registrar"
expect_ok "the edited config stays after remove" \
  grep -qx "# edited by the operator" "$root/etc/etcd-registrar/config.yaml"
config_files_state() {
  in_root "$root" dpkg-query -W -f='${Status}' etcd-registrar | grep -qx "deinstall ok config-files"
}
expect_ok "dpkg keeps the package's config-files state" config_files_state
reinstall_keeps_edit() {
  in_root "$root" apt-get install -y -q /tmp/etcd-registrar.deb &&
    grep -qx "# edited by the operator" "$root/etc/etcd-registrar/config.yaml"
}
expect_ok "reinstalling keeps the edited config (no prompt)" reinstall_keeps_edit
finish
