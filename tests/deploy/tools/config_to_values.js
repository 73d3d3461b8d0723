// Turns a registrar config.yaml into the Helm chart's values for the same
// settings, for the schema parity check. Prints the values as JSON on stdout,
// or "inexpressible: WHY" on stderr and exits 3 when the chart has no way to
// say the config (a YAML error, a section the chart sets itself).
// usage: node config_to_values.js NODE_MODULES CONFIG.yaml
const [mods, file] = process.argv.slice(2);
const YAML = require(mods + "/yaml");
const fs = require("fs");

function inexpressible(why) {
  console.error("inexpressible: " + why);
  process.exit(3);
}

const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { uniqueKeys: true });
if (docs.length !== 1) inexpressible(`${docs.length} YAML documents`);
if (docs[0].errors.length) inexpressible("not valid YAML: " + docs[0].errors[0].message);
const config = docs[0].toJS() ?? {};
if (typeof config !== "object" || Array.isArray(config)) inexpressible("top level not a mapping");

// The chart writes these from values of its own (adminPort, Secrets mounted
// at fixed paths), so a config's own value for them has no values twin.
const chartOwned = {
  server: "server is the chart's adminPort and webConfig Secret",
};
const etcdChartOwned = ["passwordFile", "tls", "maxRequestBytes"];
// Config sections and where the chart's values hold them.
const sections = { registration: "registration", cluster: "cluster", log: "log",
                   defaults: "probeDefaults", services: "services", probes: "probes" };

const values = {};
for (const [key, value] of Object.entries(config)) {
  if (chartOwned[key]) inexpressible(chartOwned[key]);
  if (key === "etcd") {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      values.etcd = value;
      continue;
    }
    for (const k of etcdChartOwned) {
      if (k in value) inexpressible(`etcd.${k} comes from the chart's Secret values`);
    }
    values.etcd = value;
  } else if (sections[key]) {
    values[sections[key]] = value;
  } else {
    values[key] = value;  // unknown to the binary: the schema must refuse it too
  }
}
process.stdout.write(JSON.stringify(values, null, 2) + "\n");
