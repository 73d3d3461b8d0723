#!/usr/bin/env bash
# The config every deployment ships is one the registrar accepts:
# `etcd-registrar check-config FILE` exits 0 on the config.yaml rendered by the Helm
# chart (default and full values), the kustomize base and overlay, and the systemd
# example; and exits 2 on a broken one (so the check can fail).
#
# usage: check_config_test.sh PATH/TO/etcd-registrar
#
# The registrar reads the files a config names (password, TLS, endpointsFile) at load
# time. In the pod they come from mounted Secrets and the ConfigMap; here the test lays
# them out under a temp dir (the ConfigMap's other keys as they are, a throwaway CA and
# client certificate, a dummy password) and points the config's absolute mount paths
# there. Nothing else in the config is changed.
source "$(dirname "$0")/lib.sh"
bin=$(realpath -e "${1:?usage: check_config_test.sh PATH/TO/etcd-registrar}")
[[ -x "$bin" ]] || { echo "FAIL: $bin is not an executable (build the etcd-registrar target)" >&2; exit 1; }
need node scripts/install-deps.sh
need openssl scripts/install-deps.sh
echo "binary: $bin ($("$bin" --version 2>&1 | head -1))"

# Throwaway PKI, shaped like the Secrets the chart and overlay mount.
secrets="$WORK/secrets"
mkdir -p "$secrets/tls" "$secrets/auth"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=test-ca \
  -keyout "$WORK/ca.key" -out "$secrets/tls/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=registrar \
  -keyout "$secrets/tls/tls.key" -out "$WORK/client.csr" 2>/dev/null
openssl x509 -req -in "$WORK/client.csr" -CA "$secrets/tls/ca.crt" -CAkey "$WORK/ca.key" \
  -CAcreateserial -days 1 -out "$secrets/tls/tls.crt" 2>/dev/null
printf 'not-a-real-password' >"$secrets/auth/password"

# lay_out MANIFESTS CONFIGMAP DIR: writes every key of the ConfigMap into DIR and
# points /etc/etcd-registrar{,-secrets/...} at DIR and the temp secrets.
lay_out() {
  local manifests=$1 name=$2 dir=$3
  mkdir -p "$dir"
  node -e '
    const [mods, file, name, dir] = process.argv.slice(1);
    const YAML = require(mods + "/yaml"), fs = require("fs");
    const cm = YAML.parseAllDocuments(fs.readFileSync(file, "utf8")).map((d) => d.toJS())
      .find((d) => d && d.kind === "ConfigMap" && d.metadata.name === name);
    if (!cm || !cm.data || !cm.data["config.yaml"]) { console.error(`no ConfigMap ${name} with config.yaml`); process.exit(1); }
    for (const [k, v] of Object.entries(cm.data)) fs.writeFileSync(`${dir}/${k}`, v);
  ' "$NODE_MODULES" "$manifests" "$name" "$dir"
  sed -i -e "s#/etc/etcd-registrar-secrets/tls/#$secrets/tls/#g" \
         -e "s#/etc/etcd-registrar-secrets/auth/#$secrets/auth/#g" \
         -e "s#/etc/etcd-registrar/#$dir/#g" "$dir/config.yaml"
}

# expect_exit CODE DESCRIPTION FILE
expect_exit() {
  local want=$1 what=$2 file=$3 got=0
  "$bin" check-config "$file" >"$WORK/out.log" 2>&1 || got=$?
  if [[ $got == "$want" ]]; then
    pass "$what: check-config exits $want"
  else
    fail "$what: check-config exited $got, want $want"
    sed 's/^/     /' "$WORK/out.log" >&2
    echo "     --- $file" >&2; sed 's/^/     /' "$file" >&2
  fi
}

render_all "$WORK"
for variant in helm-default helm-full kustomize-base kustomize-production; do
  lay_out "$WORK/$variant.yaml" etcd-registrar "$WORK/$variant"
  expect_exit 0 "$variant config.yaml" "$WORK/$variant/config.yaml"
done
expect_exit 0 "deploy/systemd/config.example.yaml" "$DEPLOY/systemd/config.example.yaml"

# It must be able to say no, with exit status 2.
sed 's/leaseTTL: .*/leaseTTL: banana/' "$WORK/helm-full/config.yaml" >"$WORK/helm-full/bad-ttl.yaml"
expect_exit 2 "config with leaseTTL: banana" "$WORK/helm-full/bad-ttl.yaml"
sed 's/format: json/format: xml/' "$WORK/helm-full/config.yaml" >"$WORK/helm-full/bad-format.yaml"
expect_exit 2 "config with format: xml" "$WORK/helm-full/bad-format.yaml"
finish
