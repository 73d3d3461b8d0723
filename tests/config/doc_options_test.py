#!/usr/bin/env python3
"""No document names a config option the binary does not have.

The key table (config/keys.cc, printed by `etcd-registrar config-docs`) is the
list of options. Every Markdown file of the repository is checked against it:
  - YAML code blocks that are registrar config (top-level keys all config
    blocks): every mapping key, at its path, must be in the table;
  - inline code that spells a config path (`metrics.perTargetSeries`,
    `services[].failOpen`): the path must be in the table, or be a value of
    the Helm chart (`etcd.tls.existingSecret`, in its values.yaml);
  - inline code in snake_case whose camelCase form is a key
    (`per_target_series` for `perTargetSeries`): the config has no such
    spelling (the web config file, which is snake_case, is exempt).
The chart's values are held to the table by values.schema.json (generated
from it, additionalProperties: false) and deploy.helm.

Usage: doc_options_test.py ETCD_REGISTRAR SOURCE_DIR
"""
import pathlib
import re
import subprocess
import sys

import yaml

# Fields of the web config file (Prometheus exporter-toolkit format), not of
# the registrar's config.
WEB_CONFIG_FIELDS = {
    "tls_server_config", "cert_file", "key_file", "client_ca_file", "client_auth_type",
    "min_version", "max_version", "cipher_suites", "prefer_server_cipher_suites",
    "curve_preferences", "basic_auth_users", "http_server_config", "enable_drain_api",
    "open_health_endpoints",
}
# Mappings whose keys are the user's (free-form), and lists whose items are
# not described key by key.
FREE_FORM = {"metadata"}
OPAQUE_LISTS = {"endpoints", "command"}


def key_table(binary):
    """Dotted paths ('services.probe.httpGet.path') and bare names of every key."""
    docs = subprocess.run([binary, "config-docs"], check=True, capture_output=True,
                          text=True).stdout
    paths, names = set(), set()
    blocks = [""]
    for line in docs.splitlines():
        if line.startswith("## "):
            found = re.findall(r"`([^`]+)`", line)
            blocks = [b.replace("[]", "") for b in found] if found else [None]
            if line.strip() == "## Top level":
                blocks = [""]
        m = re.match(r"\| `([A-Za-z]+)` \|", line)
        if m and blocks != [None]:
            names.add(m.group(1))
            for b in blocks:
                paths.add(f"{b}.{m.group(1)}" if b else m.group(1))
    return paths, names


def chart_values(root):
    """Dotted paths of every mapping key in the chart's values.yaml."""
    values = yaml.safe_load((root / "deploy/helm/etcd-registrar/values.yaml").read_text())
    out = set()

    def collect(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                full = f"{path}.{k}" if path else str(k)
                out.add(full)
                collect(v, full)

    collect(values, "")
    return out


def camel(snake):
    head, *rest = snake.split("_")
    return head + "".join(w.capitalize() for w in rest)


def walk(node, path, paths, where, errors):
    if isinstance(node, list):
        for item in node:
            walk(item, path, paths, where, errors)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        key = str(key)
        full = f"{path}.{key}" if path else key
        if full not in paths:
            errors.append(f"{where}: `{full}` is not a config option")
            continue
        if key in FREE_FORM or key in OPAQUE_LISTS:
            continue
        walk(value, full, paths, where, errors)


def check_file(md, root, paths, names, top, chart, errors):
    text = md.read_text(encoding="utf-8")
    rel = md.relative_to(root)
    # YAML blocks.
    for m in re.finditer(r"^```ya?ml\n(.*?)^```", text, re.S | re.M):
        line = text.count("\n", 0, m.start()) + 1
        try:
            doc = yaml.safe_load(m.group(1))
        except yaml.YAMLError:
            continue  # not YAML a user could paste; other tests' business
        if isinstance(doc, dict) and doc and all(str(k) in top for k in doc):
            walk(doc, "", paths, f"{rel}:{line}", errors)
    if rel == pathlib.Path("docs/configuration.md"):
        return  # printed from the key table itself (its examples hold host names)
    # Inline code outside code blocks.
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    for span in set(re.findall(r"`([^`\n]+)`", prose)):
        token = span.split(":")[0].strip()
        if re.fullmatch(r"[a-z][A-Za-z]*(\[\])?(\.[A-Za-z]+(\[\])?)+", token):
            if token.split(".")[0].replace("[]", "") in top:
                if token.replace("[]", "") not in paths | chart:
                    errors.append(f"{rel}: `{span}` names no config option")
        elif re.fullmatch(r"[a-z]+(_[a-z]+)+", token) and token not in WEB_CONFIG_FIELDS:
            if camel(token) in names:
                errors.append(f"{rel}: `{span}`: the option is spelled `{camel(token)}`")


def main():
    binary, root = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
    paths, names = key_table(binary)
    top = {p for p in paths if "." not in p}
    if not {"metrics.perTargetSeries", "services.failOpen.belowHealthyPercent"} <= paths:
        print("FAIL: could not read the key table from config-docs")
        return 1
    chart = chart_values(root)
    errors = []
    skip = {"build", "wip", "third_party", ".git"}
    for md in sorted(root.rglob("*.md")):
        if skip & set(md.relative_to(root).parts) or md.relative_to(root).parts[0] == "tests":
            continue
        check_file(md, root, paths, names, top, chart, errors)
    for e in errors:
        print("FAIL:", e)
    if not errors:
        print("PASS: every option the docs name is in the key table")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
