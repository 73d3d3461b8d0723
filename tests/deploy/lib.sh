# Shared by the tests/deploy/*_test.sh scripts (sourced, not run).
# Every check prints what it checked; a missing tool that scripts/install-tools.sh or
# scripts/install-deps.sh should have installed is a failure, never a skip.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEPLOY="$ROOT/deploy"
CHART="$DEPLOY/helm/etcd-registrar"
FULL_VALUES="$CHART/ci/full-values.yaml"
NODE_MODULES="$ROOT/.tools/deploy-checks/node_modules"
VALIDATE="$ROOT/tests/deploy/tools/validate.js"
export PATH="$ROOT/.tools/bin:$PATH"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/deploy-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

checks=0
failures=0

# need TOOL WHO-INSTALLS-IT
need() {
  if ! command -v "$1" >/dev/null; then
    echo "FAIL: $1 not found; $2 should have installed it" >&2
    exit 1
  fi
}

pass() { checks=$((checks + 1)); echo "ok   $*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL $*" >&2; }

# expect_ok DESCRIPTION COMMAND...: runs COMMAND, passes if it exits 0.
expect_ok() {
  local what=$1; shift
  local log="$WORK/last.log"
  if "$@" >"$log" 2>&1; then pass "$what"; else fail "$what"; sed 's/^/     /' "$log" >&2; fi
}

# expect_fail DESCRIPTION PATTERN COMMAND...: passes if COMMAND fails and its output
# matches PATTERN (so it failed for the reason we meant).
expect_fail() {
  local what=$1 pattern=$2; shift 2
  local log="$WORK/last.log"
  if "$@" >"$log" 2>&1; then
    fail "$what (expected failure, got success)"
  elif grep -Eq -- "$pattern" "$log"; then
    pass "$what"
  else
    fail "$what (failed, but output does not match /$pattern/)"; sed 's/^/     /' "$log" >&2
  fi
}

# finish: prints the tally; exit status is the verdict.
finish() {
  echo "$(basename "$0" .sh): $((checks - failures)) passed, $failures failed"
  if ((checks == 0)); then echo "FAIL: no check ran" >&2; exit 1; fi
  ((failures == 0))
}

# Rendering shared by several tests: writes OUT/<name>.yaml for every variant.
render_all() {
  local out=$1
  need helm scripts/install-tools.sh
  helm template etcd-registrar "$CHART" --namespace registrar >"$out/helm-default.yaml"
  helm template etcd-registrar "$CHART" --namespace registrar -f "$FULL_VALUES" >"$out/helm-full.yaml"
  kustomize_cmd build "$DEPLOY/kustomize/base" >"$out/kustomize-base.yaml"
  kustomize_cmd build "$DEPLOY/kustomize/overlays/production" >"$out/kustomize-production.yaml"
}

# kubectl kustomize: the pinned kubectl from install-tools, else the machine's.
kustomize_cmd() {
  need kubectl "scripts/install-tools.sh (pinned) or the machine image"
  [[ $1 == build ]] && shift
  kubectl kustomize "$@"
}

# config_from MANIFESTS CONFIGMAP-NAME OUTFILE: extracts data["config.yaml"].
config_from() {
  node -e '
    const [mods, file, name, out] = process.argv.slice(1);
    const YAML = require(mods + "/yaml");
    const fs = require("fs");
    const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8")).map((d) => d.toJS()).filter(Boolean);
    const cm = docs.find((d) => d.kind === "ConfigMap" && d.metadata.name === name);
    if (!cm || !cm.data || !cm.data["config.yaml"]) { console.error(`no ConfigMap ${name} with config.yaml in ${file}`); process.exit(1); }
    fs.writeFileSync(out, cm.data["config.yaml"]);
  ' "$NODE_MODULES" "$1" "$2" "$3"
}
