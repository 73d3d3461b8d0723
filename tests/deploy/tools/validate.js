// Validates Kubernetes manifests offline against the Kubernetes OpenAPI schemas.
//
// usage: node validate.js NODE_MODULES_DIR FILE.yaml...
//
// Two checks per object, both from kubernetes-models (generated from the Kubernetes
// OpenAPI spec and the prometheus-operator CRDs, pinned in package-lock.json):
//   1. schema: types, required fields, enums and formats (the package's ajv validators);
//   2. strict: no unknown field anywhere (what `kubectl apply --validate=strict` and the
//      API server reject, and what a JSON-schema check without additionalProperties
//      misses: a typo such as `readOnlyRootFileSystem` would silently weaken the pod).
//      Field sets come from the package's generated type declarations.
// A kind the schemas do not know is an error, never skipped. Exit 1 on any error.
"use strict";
const fs = require("fs");
const path = require("path");

const [modulesArg, ...files] = process.argv.slice(2);
const modules = modulesArg && path.resolve(modulesArg);
if (!modules || files.length === 0) {
  console.error("usage: node validate.js NODE_MODULES_DIR FILE.yaml...");
  process.exit(2);
}
const YAML = require(path.join(modules, "yaml"));

// apiVersion -> directory holding one <Kind>.js / <Kind>.d.ts per kind.
function modelPath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com") {
    return path.join(modules, "@kubernetes-models/prometheus-operator", group, version, kind);
  }
  return path.join(modules, "kubernetes-models", group, version, kind);
}

// ---- strict field check, driven by the generated .d.ts declarations ----

const fileCache = new Map();

// Parses a .d.ts file into {main: type of its exported interface, interfaces, imports}.
function loadDts(file) {
  if (fileCache.has(file)) return fileCache.get(file);
  const text = fs.readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
  const imports = new Map();
  for (const m of text.matchAll(/import \{([^}]*)\} from "([^"]+)";/g)) {
    for (const name of m[1].split(",").map((s) => s.trim()).filter(Boolean)) {
      imports.set(name, m[2]);
    }
  }
  const entry = {file, imports, interfaces: new Map(), main: null};
  fileCache.set(file, entry);
  for (const m of text.matchAll(/export interface (\w+)(?: extends [\w, ]+)? \{/g)) {
    const parser = new TypeParser(text, m.index + m[0].length - 1);
    const type = parser.parseType();
    entry.interfaces.set(m[1], type);
    if (!entry.main) entry.main = type;
  }
  return entry;
}

function resolveImport(fromFile, spec) {
  const base = spec.startsWith(".") ? path.resolve(path.dirname(fromFile), spec) : path.join(modules, spec);
  for (const candidate of [base + ".d.ts", path.join(base, "index.d.ts")]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

// A tiny parser for the subset of TypeScript the generated declarations use:
// object literals, index signatures, Array<T>, unions, literals and names.
class TypeParser {
  constructor(text, pos) { this.s = text; this.i = pos; }
  ws() { while (/\s/.test(this.s[this.i])) this.i++; }
  eat(tok) {
    this.ws();
    if (!this.s.startsWith(tok, this.i)) throw new Error(`d.ts parse: expected ${tok} at ${this.s.slice(this.i, this.i + 40)}`);
    this.i += tok.length;
  }
  parseType() {
    const members = [this.parsePrimary()];
    for (this.ws(); this.s[this.i] === "|"; this.ws()) { this.i++; members.push(this.parsePrimary()); }
    if (members.length === 1) return members[0];
    return members.find((t) => t.kind === "object" || t.kind === "array" || t.kind === "ref") || {kind: "leaf"};
  }
  parsePrimary() {
    this.ws();
    const c = this.s[this.i];
    if (c === "{") return this.parseObject();
    if (c === '"') { this.i = this.s.indexOf('"', this.i + 1) + 1; return {kind: "leaf"}; }
    if (this.s.startsWith("Array<", this.i)) {
      this.i += 6;
      const item = this.parseType();
      this.eat(">");
      return {kind: "array", item};
    }
    const m = /^[\w.]+/.exec(this.s.slice(this.i, this.i + 200));
    if (!m) throw new Error(`d.ts parse: unexpected ${this.s.slice(this.i, this.i + 40)}`);
    this.i += m[0].length;
    if (this.s[this.i] === "[") { this.i = this.s.indexOf("]", this.i) + 1; return {kind: "leaf"}; }  // IFoo["kind"]
    if (["string", "number", "boolean", "null", "any", "unknown", "object"].includes(m[0])) return {kind: "leaf"};
    return {kind: "ref", name: m[0]};
  }
  parseObject() {
    this.eat("{");
    const props = new Map();
    let index = null;
    for (;;) {
      this.ws();
      if (this.s[this.i] === "}") { this.i++; break; }
      if (this.s[this.i] === "[") {
        this.i = this.s.indexOf("]", this.i) + 1;
        this.eat(":");
        index = this.parseType();
      } else {
        const m = /^"([^"]+)"\??|^(\w+)\??/.exec(this.s.slice(this.i, this.i + 300));
        if (!m) throw new Error(`d.ts parse: bad member at ${this.s.slice(this.i, this.i + 40)}`);
        this.i += m[0].length;
        this.eat(":");
        props.set(m[1] ?? m[2], this.parseType());
      }
      this.eat(";");
    }
    return {kind: "object", props, index};
  }
}

function resolveRef(ctxFile, name) {
  const ctx = loadDts(ctxFile);
  if (ctx.interfaces.has(name)) return {type: ctx.interfaces.get(name), file: ctxFile};
  const spec = ctx.imports.get(name);
  if (!spec) return null;  // a type alias such as Time = string: a leaf
  const target = resolveImport(ctxFile, spec);
  if (!target) return null;
  const entry = loadDts(target);
  return entry.main ? {type: entry.main, file: target} : null;
}

function checkFields(value, type, file, where, errors) {
  if (value === null || value === undefined) return;
  if (type.kind === "ref") {
    const r = resolveRef(file, type.name);
    if (r) checkFields(value, r.type, r.file, where, errors);
  } else if (type.kind === "array" && Array.isArray(value)) {
    value.forEach((v, i) => checkFields(v, type.item, file, `${where}[${i}]`, errors));
  } else if (type.kind === "object" && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, v] of Object.entries(value)) {
      const sub = type.props.get(key) ?? type.index;
      if (!sub) errors.push(`${where}.${key}: unknown field`);
      else checkFields(v, sub, file, `${where}.${key}`, errors);
    }
  }
}

// ---- main ----

let failures = 0;
let checked = 0;
for (const file of files) {
  let docs;
  try {
    docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), {uniqueKeys: true});
  } catch (e) {
    console.error(`FAIL ${file}: ${e.message}`);
    failures++;
    continue;
  }
  for (const doc of docs) {
    if (doc.errors.length) { console.error(`FAIL ${file}: ${doc.errors.map((e) => e.message).join("; ")}`); failures++; continue; }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;  // empty document between ---
    const name = `${file}: ${obj.kind}/${obj.metadata && obj.metadata.name}`;
    const errors = [];
    if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
      errors.push("apiVersion and kind are required");
    } else {
      const base = modelPath(obj.apiVersion, obj.kind);
      if (!fs.existsSync(base + ".js")) {
        errors.push(`no schema for ${obj.apiVersion} ${obj.kind}`);
      } else {
        const Model = require(base + ".js")[obj.kind];
        try { new Model(obj).validate(); } catch (e) { errors.push(`schema: ${e.message}`); }
        checkFields(obj, loadDts(base + ".d.ts").main, base + ".d.ts", "", errors);
      }
    }
    checked++;
    if (errors.length) {
      failures++;
      console.error(`FAIL ${name}\n  ${errors.join("\n  ")}`);
    } else {
      console.log(`ok   ${name}`);
    }
  }
}
console.log(`validate: ${checked} objects checked, ${failures} invalid`);
if (checked === 0) { console.error("validate: no object found"); process.exit(1); }
process.exit(failures ? 1 : 0);
