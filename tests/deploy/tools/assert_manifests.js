// Checks the promises the deployment manifests make, whatever rendered them
// (Helm chart or kustomize): a hardened pod, the admin port wired to the probes and the
// Service, the config mounted so hot reload works, and an admin listen address a pod
// can be probed on.
//
// usage: node assert_manifests.js NODE_MODULES_DIR FILE.yaml
// Prints one line per check; exit 1 if any fails.
"use strict";
const fs = require("fs");
const path = require("path");

const [modules, file] = process.argv.slice(2);
const YAML = require(path.join(path.resolve(modules), "yaml"));
const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8")).map((d) => d.toJS()).filter(Boolean);

const ADMIN_PORT = 9464;
const CONFIG_DIR = "/etc/etcd-registrar";
let failed = 0;
function check(what, ok, detail = "") {
  if (ok) console.log(`ok   ${what}`);
  else { failed++; console.error(`FAIL ${what}${detail ? `: ${detail}` : ""}`); }
}

const deployments = docs.filter((d) => d.kind === "Deployment");
check(`${file}: exactly one Deployment`, deployments.length === 1, `found ${deployments.length}`);

for (const dep of deployments) {
  const name = `Deployment/${dep.metadata.name}`;
  const pod = dep.spec.template.spec;
  const psc = pod.securityContext || {};
  check(`${name}: pod runs as non-root`, psc.runAsNonRoot === true && psc.runAsUser > 0, JSON.stringify(psc));
  check(`${name}: seccomp RuntimeDefault`, psc.seccompProfile && psc.seccompProfile.type === "RuntimeDefault");
  check(`${name}: no service account token`, pod.automountServiceAccountToken === false);
  const selector = dep.spec.selector.matchLabels || {};
  const labels = dep.spec.template.metadata.labels || {};
  check(`${name}: selector matches pod labels`, Object.keys(selector).length > 0 &&
    Object.entries(selector).every(([k, v]) => labels[k] === v), JSON.stringify({selector, labels}));

  const c = pod.containers.find((x) => x.name === "registrar");
  check(`${name}: has the registrar container`, !!c);
  if (!c) continue;
  const sc = c.securityContext || {};
  check(`${name}: read-only root filesystem`, sc.readOnlyRootFilesystem === true);
  check(`${name}: no privilege escalation`, sc.allowPrivilegeEscalation === false);
  check(`${name}: drops ALL capabilities, adds none`,
    sc.capabilities && (sc.capabilities.drop || []).includes("ALL") && !(sc.capabilities.add || []).length);
  check(`${name}: not privileged`, sc.privileged !== true);
  check(`${name}: memory limit and requests set`,
    c.resources && c.resources.limits && c.resources.limits.memory && c.resources.requests && c.resources.requests.cpu);

  const admin = (c.ports || []).find((p) => p.name === "admin");
  check(`${name}: admin port ${ADMIN_PORT}`, admin && admin.containerPort === ADMIN_PORT, JSON.stringify(c.ports));
  const probePort = (p) => p && p.httpGet && (p.httpGet.port === "admin" || p.httpGet.port === ADMIN_PORT);
  check(`${name}: liveness GET /healthz on the admin port`,
    probePort(c.livenessProbe) && c.livenessProbe.httpGet.path === "/healthz", JSON.stringify(c.livenessProbe));
  check(`${name}: readiness GET /readyz on the admin port`,
    probePort(c.readinessProbe) && c.readinessProbe.httpGet.path === "/readyz", JSON.stringify(c.readinessProbe));

  const args = c.args || [];
  check(`${name}: reads ${CONFIG_DIR}/config.yaml`, args.includes(`--config=${CONFIG_DIR}/config.yaml`), JSON.stringify(args));
  const mount = (c.volumeMounts || []).find((m) => m.mountPath === CONFIG_DIR);
  check(`${name}: config directory mounted read-only`, mount && mount.readOnly === true);
  // A subPath mount is never updated by the kubelet: hot reload would silently stop working.
  check(`${name}: config mounted without subPath (hot reload)`, mount && !mount.subPath && !mount.subPathExpr);
  const vol = mount && (pod.volumes || []).find((v) => v.name === mount.name);
  const cmName = vol && vol.configMap && vol.configMap.name;
  check(`${name}: config volume is a ConfigMap`, !!cmName);
  const cm = docs.find((d) => d.kind === "ConfigMap" && d.metadata.name === cmName);
  check(`${name}: its ConfigMap ${cmName} is rendered with config.yaml`, cm && cm.data && typeof cm.data["config.yaml"] === "string");
  if (cm && cm.data && cm.data["config.yaml"]) {
    const cfg = YAML.parse(cm.data["config.yaml"]);
    check(`${name}: admin server listens on 0.0.0.0:${ADMIN_PORT}`, cfg.server && cfg.server.listen === `0.0.0.0:${ADMIN_PORT}`,
      JSON.stringify(cfg.server));
    for (const [section, sectionCfg] of [["etcd.tls", cfg.etcd && cfg.etcd.tls], ["etcd", cfg.etcd]]) {
      for (const key of ["caFile", "certFile", "keyFile", "passwordFile"]) {
        const p = sectionCfg && sectionCfg[key];
        if (!p) continue;
        const mounted = (c.volumeMounts || []).some((m) => p.startsWith(m.mountPath + "/"));
        check(`${name}: ${section}.${key} ${p} is on a mounted volume`, mounted);
      }
    }
    for (const svc of cfg.services || []) {
      if (!svc.endpointsFile) continue;
      const inConfigMap = svc.endpointsFile.startsWith(CONFIG_DIR + "/") &&
        Object.prototype.hasOwnProperty.call(cm.data, svc.endpointsFile.slice(CONFIG_DIR.length + 1));
      const onOtherMount = (c.volumeMounts || []).some((m) => m.mountPath !== CONFIG_DIR && svc.endpointsFile.startsWith(m.mountPath + "/"));
      check(`${name}: endpointsFile ${svc.endpointsFile} of ${svc.name} exists in the pod`, inConfigMap || onOtherMount);
    }
  }
  for (const v of pod.volumes || []) {
    if (!v.secret) continue;
    check(`${name}: Secret volume ${v.name} is mounted read-only`,
      (c.volumeMounts || []).some((m) => m.name === v.name && m.readOnly === true));
  }
}

const services = docs.filter((d) => d.kind === "Service");
check(`${file}: one Service`, services.length === 1, `found ${services.length}`);
for (const s of services) {
  const p = (s.spec.ports || []).find((x) => x.port === ADMIN_PORT);
  check(`Service/${s.metadata.name}: exposes ${ADMIN_PORT} -> admin`, p && (p.targetPort === "admin" || p.targetPort === ADMIN_PORT));
  if (deployments[0]) {
    const labels = deployments[0].spec.template.metadata.labels || {};
    check(`Service/${s.metadata.name}: selects the registrar pods`,
      Object.entries(s.spec.selector || {}).every(([k, v]) => labels[k] === v) && Object.keys(s.spec.selector || {}).length > 0);
  }
}
for (const sm of docs.filter((d) => d.kind === "ServiceMonitor")) {
  check(`ServiceMonitor/${sm.metadata.name}: scrapes port admin at /metrics`,
    (sm.spec.endpoints || []).some((e) => e.port === "admin" && (e.path || "/metrics") === "/metrics"));
  const svc = services[0];
  check(`ServiceMonitor/${sm.metadata.name}: selects the Service`, svc &&
    Object.entries(sm.spec.selector.matchLabels || {}).every(([k, v]) => (svc.metadata.labels || {})[k] === v));
  check(`ServiceMonitor/${sm.metadata.name}: job label is etcd-registrar (alerts select job="etcd-registrar")`,
    svc && sm.spec.jobLabel && (svc.metadata.labels || {})[sm.spec.jobLabel] === "etcd-registrar");
}
process.exit(failed ? 1 : 0);
