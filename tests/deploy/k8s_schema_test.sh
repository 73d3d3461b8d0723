#!/usr/bin/env bash
# Every rendered manifest (Helm default and full values, kustomize base and overlay) is
# valid against the Kubernetes OpenAPI schemas and the prometheus-operator CRDs, with
# unknown fields rejected; offline, from the pinned kubernetes-models packages.
source "$(dirname "$0")/lib.sh"
need node scripts/install-deps.sh
if [[ ! -d "$NODE_MODULES/kubernetes-models" || ! -d "$NODE_MODULES/@kubernetes-models/prometheus-operator" ]]; then
  echo "FAIL: schemas missing under $NODE_MODULES; scripts/install-tools.sh should have installed them" >&2
  exit 1
fi
echo "schemas: kubernetes-models $(node -p "require('$NODE_MODULES/kubernetes-models/package.json').version"), prometheus-operator $(node -p "require('$NODE_MODULES/@kubernetes-models/prometheus-operator/package.json').version")"

render_all "$WORK"
for f in helm-default helm-full kustomize-base kustomize-production; do
  expect_ok "$f: valid Kubernetes objects" node "$VALIDATE" "$NODE_MODULES" "$WORK/$f.yaml"
done

# The validator must be able to say no: known-bad variants of a good manifest.
good="$WORK/helm-full.yaml"
sed 's/readOnlyRootFilesystem: true/readOnlyRootFileSystem: true/' "$good" >"$WORK/bad-field.yaml"
expect_fail "validator rejects an unknown (misspelt) field" "unknown field" node "$VALIDATE" "$NODE_MODULES" "$WORK/bad-field.yaml"
sed 's/containerPort: 9464/containerPort: "9464"/' "$good" >"$WORK/bad-type.yaml"
expect_fail "validator rejects a wrongly typed field" "must be integer" node "$VALIDATE" "$NODE_MODULES" "$WORK/bad-type.yaml"
sed 's/^kind: Service$/kind: Servise/' "$good" >"$WORK/bad-kind.yaml"
expect_fail "validator rejects an unknown kind" "no schema" node "$VALIDATE" "$NODE_MODULES" "$WORK/bad-kind.yaml"
sed 's/^  jobLabel: /  jobLabels: /' "$good" >"$WORK/bad-crd.yaml"
expect_fail "validator rejects an unknown ServiceMonitor field" "unknown field" node "$VALIDATE" "$NODE_MODULES" "$WORK/bad-crd.yaml"
finish
