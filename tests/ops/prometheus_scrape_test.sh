#!/usr/bin/env bash
# A real Prometheus server (the Debian package's binary) scrapes a daemon that has a
# streaming PostgreSQL task, with the bearer token from a file, every second, and
# evaluates deploy/prometheus/alerts.yml. Through Prometheus's HTTP API: the scrape is
# up, the task's state and lag series hold the daemon's values, every PromQL query of
# the Grafana dashboard evaluates without error, every alert rule evaluates cleanly, and
# none fires on this healthy task. Prometheus and the daemon are stopped at the end.
source "$(dirname "$0")/ops_lib.sh"
PROMETHEUS_BIN=${PROMETHEUS_BIN:-/usr/bin/prometheus}
[ -x "$PROMETHEUS_BIN" ] || fail "$PROMETHEUS_BIN is missing (Debian package prometheus)"
DASH="$TIDEWAY_SOURCE_DIR/deploy/grafana/tideway.json"

PROM_PID=""
stop_prometheus() {
  [ -n "$PROM_PID" ] || return 0
  kill -TERM "$PROM_PID" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$PROM_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$PROM_PID" 2>/dev/null || true
  wait "$PROM_PID" 2>/dev/null || true
  PROM_PID=""
}
trap 'stop_prometheus; cleanup; pg_cleanup' EXIT

start_streaming_task
daemon_port=${BASE##*:}

prom_port=$(free_port)
PROM="http://127.0.0.1:$prom_port"
mkdir -p "$SCRATCH/prometheus"
cat > "$SCRATCH/prometheus/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $TIDEWAY_SOURCE_DIR/deploy/prometheus/alerts.yml
scrape_configs:
  - job_name: tideway
    scrape_timeout: 1s
    authorization:
      type: Bearer
      credentials_file: $SCRATCH/token
    static_configs:
      - targets: ["127.0.0.1:$daemon_port"]
YAML
"$PROMETHEUS_BIN" --config.file="$SCRATCH/prometheus/prometheus.yml" \
  --storage.tsdb.path="$SCRATCH/prometheus/data" --web.listen-address="127.0.0.1:$prom_port" \
  --log.level=warn 2>>"$SCRATCH/prometheus/log" &
PROM_PID=$!
prom_pid=$PROM_PID

# query PROMQL: prints the JSON answer of an instant query.
query() { curl -fsS -G --max-time 5 "$PROM/api/v1/query" --data-urlencode "query=$1"; }
# wait_value WHAT PROMQL EXPECTED [SECONDS]: polls until the single result's value is EXPECTED.
wait_value() {
  local v=""
  for _ in $(seq 1 $(( ${4:-60} * 4 ))); do
    kill -0 "$PROM_PID" 2>/dev/null || { cat "$SCRATCH/prometheus/log" >&2; fail "prometheus exited"; }
    v=$(query "$2" 2>/dev/null | jq -r 'if .data.result | length == 1 then .data.result[0].value[1] else "(\(.data.result | length) series)" end' 2>/dev/null || true)
    [ "$v" = "$3" ] && { pass "$1: $2 = $3"; return 0; }
    sleep 0.25
  done
  cat "$SCRATCH/prometheus/log" >&2
  fail "$1: $2 is [$v], not [$3], after ${4:-60} s"
}

wait_value "prometheus scrapes the daemon with the token file" 'up{job="tideway"}' 1 90
wait_value "the task's state through prometheus" 'tideway_task_state{task="ops",state="streaming"}' 1
wait_value "no other state is current" 'sum(tideway_task_state{task="ops"})' 1
wait_value "changes applied through prometheus" 'tideway_changes_applied_total{task="ops"}' "$OPS_CHANGES"
wait_value "transactions applied through prometheus" 'tideway_transactions_applied_total{task="ops"}' 1
wait_value "rows copied by the full load" 'tideway_full_load_rows_copied{task="ops",table="public.items"}' 2000
wait_value "not failed" 'tideway_task_failed{task="ops"}' 0

lag=$(query 'tideway_replication_lag_seconds{task="ops"}' | jq -c '[.data.result[] | {task: .metric.task, job: .metric.job, value: (.value[1] | tonumber)}]')
expect_eq "one lag series for the task, from job tideway" '1 ops tideway' "$(jq -r '"\(length) \(.[0].task) \(.[0].job)"' <<<"$lag")"
expect_eq "the lag is a real number of seconds, small for a task that has caught up" true "$(jq '.[0].value >= 0 and .[0].value < 60' <<<"$lag")"
lag_bytes=$(query 'tideway_replication_lag_bytes{task="ops"}' | jq -r '.data.result[0].value[1]')
[[ $lag_bytes =~ ^[0-9]+$ ]] || fail "lag bytes is not a number of bytes: [$lag_bytes]"
pass "lag in bytes through prometheus: $lag_bytes"

# Every dashboard query evaluates in this Prometheus (syntax, functions, label
# matching), with the dashboard's variables set to this task and job.
jq -r '.. | objects | select(has("expr")) | .expr | @base64' "$DASH" > "$SCRATCH/dash.exprs"
n=0
while read -r encoded; do
  expr=$(base64 -d <<<"$encoded" | sed -e 's/\$__rate_interval/1m/g' -e 's/\$task/ops/g' -e 's/\$job/tideway/g')
  answer=$(curl -sS -G --max-time 5 "$PROM/api/v1/query" --data-urlencode "query=$expr")
  [ "$(jq -r .status <<<"$answer")" = success ] || fail "dashboard query fails in Prometheus: $expr -> $answer"
  n=$((n + 1))
done < "$SCRATCH/dash.exprs"
pass "all $n dashboard queries evaluate in Prometheus"
state_code=$(jq -r '.panels[] | select(.title == "Task state") | .targets[0].expr' "$DASH" | sed 's/\$task/ops/g')
expect_eq "the state timeline's query gives streaming's code (4) for the task" 4 "$(query "$state_code" | jq -r '.data.result[0].value[1]')"
expect_eq "the dashboard's task variable query finds the task" ops \
  "$(curl -fsS -G --max-time 5 "$PROM/api/v1/label/task/values" --data-urlencode 'match[]=tideway_task_state' | jq -r '.data | join(" ")')"

# The alert rules, loaded by the real server, evaluate without error; none fires.
rules_ok=""
for _ in $(seq 1 120); do
  rules=$(curl -fsS --max-time 5 "$PROM/api/v1/rules" || true)
  rules_ok=$(jq -r '[.data.groups[].rules[] | select(.health != "ok")] | length' <<<"$rules" 2>/dev/null || true)
  [ "$rules_ok" = 0 ] && break
  sleep 0.25
done
expect_eq "every alert rule evaluates cleanly in Prometheus" 0 "$rules_ok"
expect_eq "all the rules are loaded" "$(grep -c '^ *- alert:' "$TIDEWAY_SOURCE_DIR/deploy/prometheus/alerts.yml")" \
  "$(jq '[.data.groups[].rules[]] | length' <<<"$rules")"
expect_eq "no alert fires for a healthy streaming task" "[]" \
  "$(curl -fsS --max-time 5 "$PROM/api/v1/alerts" | jq -c '[.data.alerts[] | select(.state == "firing") | .labels.alertname]')"

# Paused, the task's positions hold still (a streaming task's checkpoint follows the
# source's WAL, which other databases move): Prometheus shows the API's checkpoint.
api POST /v1/tasks/ops/pause >/dev/null
wait_state ops paused 30
wait_value "the pause through prometheus" 'tideway_task_state{task="ops",state="paused"}' 1
api_checkpoint=$(api GET /v1/tasks/ops | jq -r .stream.checkpointed)
# The API writes the position as an LSN "X/Y"; the metric as the number X * 2^32 + Y.
hi=$((16#${api_checkpoint%/*})); lo=$((16#${api_checkpoint#*/}))
wait_value "the checkpoint is the API's LSN $api_checkpoint" 'tideway_checkpointed_position{task="ops"}' "$(( (hi << 32) + lo ))"

stop_prometheus
kill -0 "$prom_pid" 2>/dev/null && fail "prometheus is still running"
pass "prometheus stopped"
stop_daemon
expect_eq "daemon stops cleanly" 0 "$STOP_RC"
finish
