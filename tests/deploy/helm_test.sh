#!/usr/bin/env bash
# The Helm chart lints, renders with default and full values, keeps its promises
# (hardened pod, probes, hot-reload mount, checksum only when asked), and its schema
# rejects bad values.
source "$(dirname "$0")/lib.sh"
need helm scripts/install-tools.sh
need node scripts/install-deps.sh
echo "helm $(helm version --template '{{.Version}}'), chart $CHART"

expect_ok "helm lint --strict (default values)" helm lint --strict "$CHART"
expect_ok "helm lint --strict (ci/full-values.yaml)" helm lint --strict "$CHART" -f "$FULL_VALUES"
render_all "$WORK"
for variant in helm-default helm-full; do
  expect_ok "$variant: manifests keep the deployment promises" \
    node "$ROOT/tests/deploy/tools/assert_manifests.js" "$NODE_MODULES" "$WORK/$variant.yaml"
done

kinds() { grep -E '^kind: ' "$1" | sort | tr '\n' ' '; }
expect_ok "default values render the core objects and the PDB (2 replicas)" \
  test "$(kinds "$WORK/helm-default.yaml")" = "kind: ConfigMap kind: Deployment kind: PodDisruptionBudget kind: Service kind: ServiceAccount "
expect_ok "default: 2 replicas, pod name as member id, spread across nodes" bash -c \
  'grep -q "replicas: 2" "$1" && grep -q "REGISTRAR_MEMBER_ID" "$1" && grep -q "topologyKey: kubernetes.io/hostname" "$1"' _ "$WORK/helm-default.yaml"
expect_ok "full values add ServiceMonitor, PrometheusRule, dashboard and PDB" \
  test "$(kinds "$WORK/helm-full.yaml")" = "kind: ConfigMap kind: ConfigMap kind: Deployment kind: PodDisruptionBudget kind: PrometheusRule kind: Service kind: ServiceAccount kind: ServiceMonitor "

# Hot reload is the default; the checksum annotation only with rollOnConfigChange.
expect_ok "default: no checksum/config annotation (hot reload)" \
  bash -c '! grep -q "checksum/config" "$1"' _ "$WORK/helm-default.yaml"
checksum() { helm template etcd-registrar "$CHART" --set rollOnConfigChange=true "$@" | sed -n 's/.*checksum\/config: //p'; }
sum_a=$(checksum)
sum_b=$(checksum --set registration.prefix=/other/)
expect_ok "rollOnConfigChange=true: checksum/config annotation present" test -n "$sum_a"
expect_ok "rollOnConfigChange=true: checksum changes with the config" test "$sum_a" != "$sum_b"

# The PrometheusRule and dashboard carry the same alerts and dashboard as deploy/.
expect_ok "chart files/alerts.yaml is deploy/prometheus/alerts.yaml" \
  cmp "$CHART/files/alerts.yaml" "$DEPLOY/prometheus/alerts.yaml"
expect_ok "chart files/etcd-registrar.json is deploy/grafana/etcd-registrar.json" \
  cmp "$CHART/files/etcd-registrar.json" "$DEPLOY/grafana/etcd-registrar.json"
expect_ok "rendered PrometheusRule groups equal deploy/prometheus/alerts.yaml" node -e '
  const [mods, rendered, alerts] = process.argv.slice(1);
  const YAML = require(mods + "/yaml"), fs = require("fs"), assert = require("assert");
  const rule = YAML.parseAllDocuments(fs.readFileSync(rendered, "utf8")).map((d) => d.toJS()).find((d) => d && d.kind === "PrometheusRule");
  assert.deepStrictEqual(rule.spec.groups, YAML.parse(fs.readFileSync(alerts, "utf8")).groups);
' "$NODE_MODULES" "$WORK/helm-full.yaml" "$DEPLOY/prometheus/alerts.yaml"

# No image is published: the unpublished default stops install and template with
# what to do, and a pushed repository is what the pod pulls.
expect_fail "helm template without image.repository says how to get an image" \
  "image.repository is not set: no etcd-registrar image is published.*scripts/push-image.sh" \
  helm_itself template x "$CHART"
: >"$WORK/kubeconfig"
expect_fail "helm install without image.repository fails the same way" "image.repository is not set" \
  bash -c 'KUBECONFIG="$1" command helm install x "$2" --dry-run=client' _ "$WORK/kubeconfig" "$CHART"
expect_ok "the pod pulls image.repository at the chart's appVersion" bash -c \
  'helm template x "$1" | grep -qF "image: \"$TEST_IMAGE_REPOSITORY:$(sed -n "s/^appVersion: *\"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" "$1/Chart.yaml")\""' _ "$CHART"

# values.schema.json and template guards reject mistakes before they reach a cluster.
expect_fail "schema rejects an unknown value format" "format" \
  helm template x "$CHART" --set registration.format=xml
expect_fail "schema rejects a misspelt top-level key" "additional properties|not allowed" \
  helm template x "$CHART" --set rollOnConfigChanges=true
expect_ok "schema accepts a service without a probe (probeDefaults may have one)" \
  helm template x "$CHART" --set 'probeDefaults.tcpSocket.port=1' --set 'services[0].name=a' --set 'services[0].endpoints[0]=h:1'
expect_fail "schema rejects a probe port out of range" "port" \
  helm template x "$CHART" --set 'services[0].name=a' --set 'services[0].endpoints[0]=h:1' --set 'services[0].probe.httpGet.port=70000'
expect_fail "schema rejects an unknown key inside a service" "additional properties|not allowed|additionalProperties" \
  helm template x "$CHART" --set 'services[0].name=a' --set 'services[0].endpoints[0]=h:1' --set 'services[0].probe.tcpSocket.port=1' --set 'services[0].endpoint=h:1'
expect_ok "metrics.perTargetSeries reaches the config" bash -c \
  'helm template x "$1" --set metrics.perTargetSeries=never | grep -q "perTargetSeries: never"' _ "$CHART"
expect_fail "schema rejects an unknown perTargetSeries" "perTargetSeries" \
  helm template x "$CHART" --set metrics.perTargetSeries=sometimes
expect_ok "probes.allowExec and probes.dnsMinTTL reach the config" bash -c \
  'helm template x "$1" --set probes.allowExec=true --set probes.dnsMinTTL=30s |
   grep -q "allowExec: true" && helm template x "$1" --set probes.dnsMinTTL=30s | grep -q "dnsMinTTL: 30s"' _ "$CHART"
expect_fail "schema rejects a DNS server that is a name" "dnsServers" \
  helm template x "$CHART" --set 'probes.dnsServers[0]=dns:53'
expect_ok "webConfig.existingSecret: the Secret is mounted and server.webConfigFile names the file in it" bash -c \
  'out=$(helm template x "$1" --set webConfig.existingSecret=web --set webConfig.key=w.yml) &&
   grep -q "webConfigFile: \"/etc/etcd-registrar-secrets/web/w.yml\"" <<<"$out" &&
   grep -q "mountPath: /etc/etcd-registrar-secrets/web" <<<"$out" && grep -q "secretName: web" <<<"$out"' _ "$CHART"
expect_ok "default: no web config (plain HTTP admin port)" bash -c \
  '! helm template x "$1" | grep -q "webConfigFile"' _ "$CHART"
expect_fail "schema rejects a lease TTL below 2s" "leaseTTL" \
  helm template x "$CHART" --set registration.leaseTTL=1s
expect_fail "schema rejects an endpoint without a port" "endpoints" \
  helm template x "$CHART" --set 'etcd.endpoints[0]=etcd'
expect_fail "schema rejects a lease TTL that is not a duration" "leaseTTL" \
  helm template x "$CHART" --set registration.leaseTTL=10
expect_fail "TLS without a Secret is refused" "existingSecret" \
  helm template x "$CHART" --set etcd.tls.enabled=true
expect_fail "a password Secret without a username is refused" "username" \
  helm template x "$CHART" --set etcd.password.existingSecret=s

# NOTES.txt renders for both modes (client-side dry run: no cluster is contacted).
: >"$WORK/kubeconfig"
for roll in false true; do
  want="Hot reload"; [[ $roll == true ]] && want="rollOnConfigChange=true"
  expect_ok "NOTES.txt renders and explains config changes (rollOnConfigChange=$roll)" \
    bash -c 'KUBECONFIG="$1" helm install x "$2" --dry-run=client --set rollOnConfigChange="$3" | sed -n "/^NOTES:/,\$p" | grep -q "$4"' \
    _ "$WORK/kubeconfig" "$CHART" "$roll" "$want"
done
finish
