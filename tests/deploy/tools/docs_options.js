// Checks that the docs and the chart mention no option the binary lacks.
// usage: node docs_options.js NODE_MODULES CONFIG_SCHEMA.json VALUES_SCHEMA.json
//          HELP.txt SOURCE_METRICS.txt ALLOWED.txt FILE...
// Prints one line per problem and exits 1 if there is any. What it checks:
//  - `a.b.c` in backticks whose first part is a config or chart key: the parts
//    are a run of a config key path or a chart value path;
//  - `key: value` in backticks: the key is a config key or chart value;
//  - YAML blocks of a config (top keys all config sections) or of chart values:
//    no unknown key, at any depth the schema closes;
//  - --flags on a line that runs etcd-registrar, and `--flags` in backticks:
//    flags of etcd-registrar (HELP.txt: every subcommand's --help);
//  - `registrar_…` metric names: names the source defines (SOURCE_METRICS.txt).
const [mods, configSchemaFile, valuesSchemaFile, helpFile, metricsFile, allowedFile, ...files] =
  process.argv.slice(2);
const YAML = require(mods + "/yaml");
const fs = require("fs");
const read = (f) => fs.readFileSync(f, "utf8");
const configSchema = JSON.parse(read(configSchemaFile));
const valuesSchema = JSON.parse(read(valuesSchemaFile));
const allowed = new Set(read(allowedFile).split("\n").map((l) => l.split(/\s+/)[0])
  .filter((w) => w && !w.startsWith("#")));

function resolve(schema, root, depth = 0) {
  if (!schema || depth > 20) return schema || {};
  if (schema.$ref) {
    const parts = schema.$ref.replace(/^#\//, "").split("/");
    return resolve(parts.reduce((s, p) => s[p], root), root, depth + 1);
  }
  return schema;
}
// The alternatives a schema node allows (allOf/anyOf/oneOf flattened).
function branches(schema, root, depth = 0) {
  schema = resolve(schema, root);
  const out = [schema];
  if (depth > 20) return out;
  for (const k of ["allOf", "anyOf", "oneOf"]) {
    for (const s of schema[k] || []) out.push(...branches(s, root, depth + 1));
  }
  return out;
}
function properties(schema, root) {
  const props = {};
  let closed = false;
  for (const b of branches(schema, root)) {
    Object.assign(props, b.properties || {});
    if (b.additionalProperties === false) closed = true;
  }
  return { props, closed };
}
function items(schema, root) {
  const out = [];
  for (const b of branches(schema, root)) if (b.items) out.push(b.items);
  return out.length ? { anyOf: out } : null;
}
// Every key path ("registration.leaseTTL", list items dropped).
function paths(schema, root, prefix = [], out = [], depth = 0) {
  if (depth > 12) return out;
  const { props } = properties(schema, root);
  for (const [k, s] of Object.entries(props)) {
    const p = [...prefix, k];
    out.push(p);
    paths(s, root, p, out, depth + 1);
    const it = items(s, root);
    if (it) paths(it, root, p, out, depth + 1);
  }
  return out;
}
const known = [...paths(configSchema, configSchema), ...paths(valuesSchema, valuesSchema)];
const keyNames = new Set(known.flat());
const isRun = (parts) => known.some((p) => {
  for (let i = 0; i + parts.length <= p.length; i++) {
    if (parts.every((x, j) => p[i + j] === x)) return true;
  }
  return false;
});

// Unknown keys of `value` under `schema` (where the schema is closed).
function unknownKeys(value, schema, root, path, out) {
  if (Array.isArray(value)) {
    const it = items(schema, root);
    if (it) value.forEach((v, i) => unknownKeys(v, it, root, `${path}[${i}]`, out));
    return out;
  }
  if (value === null || typeof value !== "object") return out;
  const { props, closed } = properties(schema, root);
  for (const [k, v] of Object.entries(value)) {
    const p = path ? `${path}.${k}` : k;
    if (props[k]) unknownKeys(v, props[k], root, p, out);
    else if (closed) out.push(p);
  }
  return out;
}

const flags = new Set(read(helpFile).match(/--[a-z][a-z0-9.-]*/g) || []);
const metrics = new Set(read(metricsFile).split("\n").filter(Boolean));
const metricBase = (m) => m.replace(/_(bucket|sum|count)$/, "");
const configSections = new Set(Object.keys(properties(configSchema, configSchema).props));
const valueKeys = new Set(Object.keys(properties(valuesSchema, valuesSchema).props));

const problems = [];
for (const file of files) {
  const text = read(file);
  const lines = text.split("\n");
  const say = (i, what) => problems.push(`${file}:${i + 1}: ${what}`);
  lines.forEach((line, i) => {
    for (const m of line.matchAll(/`([a-z][A-Za-z0-9]*(?:\.[a-z][A-Za-z0-9]*)+)`/g)) {
      const token = m[1], parts = token.split(".");
      if (!keyNames.has(parts[0]) || allowed.has(token)) continue;
      if (!isRun(parts)) say(i, `\`${token}\` is not a config key or chart value`);
    }
    for (const m of line.matchAll(/`([a-z][A-Za-z0-9_]*): [^`]*`/g)) {
      if (!keyNames.has(m[1]) && !allowed.has(m[1])) say(i, `\`${m[1]}:\` is not a config key or chart value`);
    }
    for (const m of line.matchAll(/`(--[a-z][a-z0-9.-]*[a-z0-9])(?:[= ][^`]*)?`/g)) {
      if (!flags.has(m[1]) && !allowed.has(m[1])) say(i, `flag ${m[1]} is not an etcd-registrar flag`);
    }
    const run = line.match(/(?:^|[\s`]|bin\/)etcd-registrar\s+([^|;&`#]*)/);
    if (run) {
      for (const f of run[1].match(/--[a-z][a-z0-9.-]*[a-z0-9]/g) || []) {
        if (!flags.has(f) && !allowed.has(f)) say(i, `flag ${f} is not an etcd-registrar flag`);
      }
    }
    for (const m of line.matchAll(/`(registrar_[a-z0-9_]+)`/g)) {
      if (!metrics.has(m[1]) && !metrics.has(metricBase(m[1])) && !allowed.has(m[1])) {
        say(i, `metric ${m[1]} is not defined in the source`);
      }
    }
  });
  // YAML blocks: ```yaml … ``` in Markdown; a .yaml file is one block.
  const blocks = [];
  if (/\.ya?ml$/.test(file)) blocks.push({ start: 0, body: text });
  for (const m of text.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)) {
    blocks.push({ start: text.slice(0, m.index).split("\n").length, body: m[1] });
  }
  for (const b of blocks) {
    let doc;
    try { doc = YAML.parse(b.body); } catch { continue; }  // a fragment, not a document
    if (!doc || typeof doc !== "object" || Array.isArray(doc)) continue;
    const top = Object.keys(doc);
    let schema = null;
    if (top.every((k) => configSections.has(k))) schema = configSchema;
    else if (top.every((k) => valueKeys.has(k))) schema = valuesSchema;
    if (!schema) continue;
    for (const p of unknownKeys(doc, schema, schema, "", [])) {
      if (!allowed.has(p)) say(b.start, `YAML block: ${p} is not a ${schema === configSchema ? "config key" : "chart value"}`);
    }
  }
}
for (const p of problems) console.log(p);
console.log(`${files.length} files checked, ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
