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

# The chart refuses to render without image.repository (no image is published
# for you); the checks render it as an operator does, with the repository they
# pushed to. helm_itself is helm without that (the refusal has its own check).
export TEST_IMAGE_REPOSITORY=127.0.0.1:5000/etcd-registrar
helm() {
  case ${1:-} in
    template | lint | install | upgrade) command helm "$@" --set "image.repository=$TEST_IMAGE_REPOSITORY" ;;
    *) command helm "$@" ;;
  esac
}
export -f helm
helm_itself() { command helm "$@"; }
export -f helm_itself

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

# Real processes for the tests that run the binary (image, package, etcd RBAC): every
# process started with spawn is SIGKILLed at exit if still running.
SPAWNED=()
spawn() { "$@" & SPAWNED+=($!); }
kill_spawned() { local pid; for pid in "${SPAWNED[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done; }
trap '{ kill_spawned; wait; } 2>/dev/null; rm -rf "$WORK"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_until SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds or time runs out.
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do ((SECONDS < deadline)) || return 1; sleep 0.2; done
}

# start_etcd NAME: a one-member etcd on free loopback ports with its data in $WORK;
# sets ETCD_URL and ETCD_PORT, waits until it answers.
start_etcd() {
  local peer
  need etcd "scripts/install-deps.sh (etcd-server)"
  need etcdctl "scripts/install-deps.sh (etcd-client)"
  export ETCDCTL_API=3
  ETCD_PORT=$(free_port) peer=$(free_port)
  ETCD_URL="http://127.0.0.1:$ETCD_PORT"
  spawn etcd --name "$1" --data-dir "$WORK/etcd-$1" --listen-client-urls "$ETCD_URL" \
    --advertise-client-urls "$ETCD_URL" --listen-peer-urls "http://127.0.0.1:$peer" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "$1=http://127.0.0.1:$peer" --log-level warn >"$WORK/etcd-$1.log" 2>&1
  wait_until 60 etcdctl --endpoints "$ETCD_URL" endpoint health || { cat "$WORK/etcd-$1.log" >&2; return 1; }
}

# web_config ETCD_PORT ADMIN_PORT ENDPOINTS [ETCD_LINES]: a config with one service
# "web" probing /healthz every second on ENDPOINTS (a YAML flow list); ETCD_LINES are
# extra lines of the etcd section (indented two spaces).
web_config() {
  cat <<YAML
etcd:
  endpoints: ["127.0.0.1:$1"]
${4:-}
registration:
  prefix: /services/
  leaseTTL: 10s
server:
  listen: 127.0.0.1:$2
defaults:
  periodSeconds: 1
  timeoutSeconds: 0.5
services:
  - name: web
    probe:
      httpGet: {path: /healthz}
    endpoints: $3
YAML
}
