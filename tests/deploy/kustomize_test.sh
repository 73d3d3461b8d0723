#!/usr/bin/env bash
# kubectl kustomize builds the base and the production overlay, and both keep the
# deployment promises; the overlay wires TLS and password Secrets into the pod.
source "$(dirname "$0")/lib.sh"
need node scripts/install-deps.sh
need kubectl "scripts/install-tools.sh (pinned) or the machine image"
echo "kubectl $(kubectl version --client -o json | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -1) at $(command -v kubectl)"

for k in base overlays/production; do
  out="$WORK/$(basename "$k").yaml"
  expect_ok "kubectl kustomize deploy/kustomize/$k" bash -c 'kubectl kustomize "$1" >"$2"' _ "$DEPLOY/kustomize/$k" "$out"
  expect_ok "$k: manifests keep the deployment promises" \
    node "$ROOT/tests/deploy/tools/assert_manifests.js" "$NODE_MODULES" "$out"
done
prod="$WORK/production.yaml"
expect_ok "production: everything in namespace registrar" \
  bash -c '! grep -E "^  namespace: " "$1" | grep -v "namespace: registrar"' _ "$prod"
expect_ok "production: mounts the etcd TLS Secret" grep -q 'secretName: etcd-registrar-etcd-tls' "$prod"
expect_ok "production: mounts the etcd password Secret" grep -q 'secretName: etcd-registrar-etcd-auth' "$prod"
expect_ok "production: pins the image" grep -q 'image: platform/etcd-registrar:0.1.0' "$prod"
expect_ok "production: replaces the base config" grep -q 'caFile: /etc/etcd-registrar-secrets/tls/ca.crt' "$prod"
expect_ok "base: ConfigMap name has no hash suffix (hot reload keeps the pod)" \
  grep -qE '^  name: etcd-registrar$' "$WORK/base.yaml"
finish
