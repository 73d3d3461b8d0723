#!/usr/bin/env bash
# The files generated from the config key table are current: docs/configuration.md
# and the chart's values.schema.json equal what the binary prints now.
# Usage: reference_current_test.sh ETCD_REGISTRAR SOURCE_DIR
set -uo pipefail
bin=$1
root=$2
schema=$root/deploy/helm/etcd-registrar/values.schema.json
status=0
if ! diff -u "$root/docs/configuration.md" <("$bin" config-docs); then
  echo "FAIL: docs/configuration.md is stale"
  status=1
fi
if ! diff -u "$schema" <("$bin" config-schema --chart-values "$schema"); then
  echo "FAIL: deploy/helm/etcd-registrar/values.schema.json is stale"
  status=1
fi
if ((status)); then
  echo "run scripts/gen-config-reference.sh and commit the result"
else
  echo "PASS: docs/configuration.md and values.schema.json are current"
fi
exit $status
