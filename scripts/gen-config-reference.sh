#!/usr/bin/env bash
# Regenerates the files made from the config key table (config/keys.cc):
# docs/configuration.md and the Helm chart's values.schema.json.
# Usage: scripts/gen-config-reference.sh [path/to/etcd-registrar]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/bin/etcd-registrar}
schema=$root/deploy/helm/etcd-registrar/values.schema.json
"$bin" config-docs >"$root/docs/configuration.md"
"$bin" config-schema --chart-values "$schema" >"$schema.new"
mv "$schema.new" "$schema"
echo "regenerated docs/configuration.md and deploy/helm/etcd-registrar/values.schema.json"
