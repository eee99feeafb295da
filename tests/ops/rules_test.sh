#!/usr/bin/env bash
# The alerting rules load (promtool check rules), behave as their unit tests say
# (promtool test rules: each alert firing on sample series, and silent when healthy),
# every alert has a severity, a summary, a description and a runbook link whose section
# exists in deploy/RUNBOOK.md, and the example Prometheus configuration is valid.
set -euo pipefail
: "${TIDEWAY_SOURCE_DIR:?run through ctest (TIDEWAY_SOURCE_DIR names the source tree)}"
PROM="$TIDEWAY_SOURCE_DIR/deploy/prometheus"
RUNBOOK="$TIDEWAY_SOURCE_DIR/deploy/RUNBOOK.md"
SCRATCH=$(mktemp -d /tmp/tideway_ops_rules.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT
checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { checks=$((checks + 1)); echo "ok: $*"; }

promtool check rules "$PROM/alerts.yml" > "$SCRATCH/check.txt" 2>&1 || { cat "$SCRATCH/check.txt" >&2; fail "promtool check rules"; }
pass "promtool check rules: $(grep -o '[0-9]* rules found' "$SCRATCH/check.txt")"
# promtool test rules resolves rule_files relative to the test file.
promtool test rules "$PROM/alerts_test.yml" > "$SCRATCH/test.txt" 2>&1 || { cat "$SCRATCH/test.txt" >&2; fail "promtool test rules"; }
grep -q SUCCESS "$SCRATCH/test.txt" || { cat "$SCRATCH/test.txt" >&2; fail "promtool test rules did not report SUCCESS"; }
pass "promtool test rules: every unit test passes"

mapfile -t alerts < <(sed -n 's/^ *- alert: *\([A-Za-z0-9_]*\) *$/\1/p' "$PROM/alerts.yml")
[ "${#alerts[@]}" -ge 9 ] || fail "expected at least 9 alerts, found ${#alerts[@]}"
# One block per alert: from its "- alert:" line to the next one.
for a in "${alerts[@]}"; do
  block=$(awk -v a="$a" '/^ *- alert:/ { on = ($3 == a) } on' "$PROM/alerts.yml")
  grep -Eq '^ +severity: (critical|warning)$' <<<"$block" || fail "$a has no severity critical|warning"
  grep -Eq '^ +summary: ' <<<"$block" || fail "$a has no summary"
  grep -Eq '^ +description: ' <<<"$block" || fail "$a has no description"
  anchor=$(tr '[:upper:]' '[:lower:]' <<<"$a")
  grep -Fq "runbook_url: \"deploy/RUNBOOK.md#$anchor\"" <<<"$block" || fail "$a has no runbook_url deploy/RUNBOOK.md#$anchor"
  grep -qx "### $a" "$RUNBOOK" || fail "deploy/RUNBOOK.md has no section '### $a' for the runbook link"
  # A test case in alerts_test.yml where this alert is expected to fire (exp_labels
  # before the next alertname), and its name appears in the healthy case too.
  awk -v a="$a" '/alertname:/ { on = ($0 ~ ("alertname: " a "([ ,}]|$)")) } on && /exp_labels/ { found = 1 } END { exit !found }' \
    "$PROM/alerts_test.yml" || fail "alerts_test.yml never shows $a firing"
  grep -Eq "eval_time: [0-9a-z]+, alertname: $a, exp_alerts: \[\]" "$PROM/alerts_test.yml" ||
    fail "alerts_test.yml has no case where $a stays silent"
  pass "$a: severity, summary, description, runbook section, tested firing and silent"
done

# The example scrape configuration, with its paths pointed at this tree and a token file.
printf 'example-token-0123456789\n' > "$SCRATCH/token"
sed -e "s#/etc/prometheus/tideway-alerts.yml#$PROM/alerts.yml#" \
    -e "s#/etc/prometheus/tideway.token#$SCRATCH/token#" \
    "$PROM/prometheus.example.yml" > "$SCRATCH/prometheus.yml"
promtool check config "$SCRATCH/prometheus.yml" > "$SCRATCH/config.txt" 2>&1 || { cat "$SCRATCH/config.txt" >&2; fail "promtool check config"; }
pass "prometheus.example.yml is a valid configuration with the alert rules"
grep -q 'job_name: tideway' "$PROM/prometheus.example.yml" || fail "the example's job is not named tideway (TidewayDown expects it)"
pass "the example scrapes job tideway, which TidewayDown watches"
echo "$checks passed, 0 failed"
