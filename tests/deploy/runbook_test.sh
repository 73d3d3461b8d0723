#!/usr/bin/env bash
# Every shipped alert (deploy/prometheus/alerts.yaml and the Helm chart's copy) has a
# runbook_url into docs/operations.md whose anchor is a heading of that page (GitHub's
# heading anchors), and every in-page link of the page resolves too.
source "$(dirname "$0")/lib.sh"
doc="$ROOT/docs/operations.md"
# anchors FILE: the anchors GitHub makes of FILE's headings (outside code blocks).
anchors() {
  awk '/^```/{code=!code} !code && /^#+ /' "$1" | sed -E 's/^#+ +//' |
    tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9 _-]//g; s/ /-/g'
}
# check_alerts ALERTS DOC: every alert has runbook_url docs/operations.md#A with A in DOC.
check_alerts() {
  local alerts=$1 doc=$2 known missing=0 name url
  known=$(anchors "$doc")
  while read -r name; do
    url=$(awk -v n="$name" '$0 ~ "- alert: "n"$" {f=1; next} f && /- alert:/ {exit} f && /runbook_url:/ {print $2; exit}' "$alerts")
    if [[ $url != docs/operations.md#* ]]; then
      echo "$name: runbook_url '${url}' does not point into docs/operations.md"; missing=1
    elif ! grep -qxF "${url#*#}" <<<"$known"; then
      echo "$name: anchor #${url#*#} is not a heading of docs/operations.md"; missing=1
    fi
  done < <(sed -nE 's/^\s*- alert: (\S+)$/\1/p' "$alerts")
  ((missing == 0))
}
for alerts in "$DEPLOY/prometheus/alerts.yaml" "$CHART/files/alerts.yaml"; do
  expect_ok "${alerts#$ROOT/}: every alert's runbook anchor exists" check_alerts "$alerts" "$doc"
done
in_page_links() {
  local known bad=0 a
  known=$(anchors "$doc")
  for a in $(grep -oE '\]\(#[^)]+\)' "$doc" | sed -E 's/^\]\(#//; s/\)$//' | sort -u); do
    grep -qxF "$a" <<<"$known" || { echo "broken in-page link #$a"; bad=1; }
  done
  ((bad == 0))
}
expect_ok "docs/operations.md: every in-page link resolves" in_page_links
# It can fail: a runbook heading renamed away.
sed 's/^### EtcdRegistrarLeaseLost$/### Lease lost/' "$doc" >"$WORK/operations.md"
expect_fail "a missing runbook heading is reported" "EtcdRegistrarLeaseLost: anchor" \
  check_alerts "$DEPLOY/prometheus/alerts.yaml" "$WORK/operations.md"
finish
