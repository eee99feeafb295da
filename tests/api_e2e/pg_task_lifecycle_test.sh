#!/usr/bin/env bash
# A PostgreSQL task driven only through the API: create -> full load -> stream -> pause
# (the application keeps writing) -> resume -> cutover with a read-only fence and final
# validation -> cut_over; every row identical. Then daemon restarts: a streaming task
# resumes, a paused one stays paused.
source "$(dirname "$0")/pg_lib.sh"

make_databases
src -d postgres -c "ALTER DATABASE $DB OWNER TO $TIDEWAY_PG_SOURCE_USER"
pgbench_src -i -q -s 1 -n >/dev/null 2>&1
src -d "$DB" -c "ALTER TABLE pgbench_history REPLICA IDENTITY FULL" \
    -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO $TIDEWAY_PG_SOURCE_USER" \
    -c "CREATE PUBLICATION tideway_life FOR TABLE pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history"

port=$(free_port)
write_config "$port"
start_daemon

task_json life > "$SCRATCH/task.json"
body=$(api POST /v1/tasks --data-binary @"$SCRATCH/task.json")
expect_eq "create answers 201" 201 "$(code)"
expect_eq "new task is created" created "$(jq -r .state <<<"$body")"
expect_eq "the response carries no password" "" "$(grep -o "$(cat "$TIDEWAY_PG_SOURCE_PASSWORD_FILE")" <<<"$body" || true)"

pgbench_src -n -c 2 -t 1500 >/dev/null 2>&1 &
bench=$!
api POST /v1/tasks/life/start >/dev/null
expect_eq "start answers 200" 200 "$(code)"
wait_state life streaming
body=$(api GET /v1/tasks/life)
expect_eq "full load progress for pgbench_accounts" "100000" \
  "$(jq -r '.full_load.tables[] | select(.table == "public.pgbench_accounts") | .rows_done' <<<"$body")"
expect_eq "a healthy stream is not reconnecting and has no interruption on record" \
  'false null null' "$(jq -r '.stream.interruption | "\(.reconnecting) \(.last_error) \(.last_error_at)"' <<<"$body")"

body=$(api POST /v1/tasks/life/pause)
expect_contains "pause answers with the new state" '"state":"paused"' "$body"
api POST /v1/tasks/life/pause >/dev/null
expect_eq "pause again is idempotent" 200 "$(code)"
api POST /v1/tasks/life/cutover >/dev/null
expect_eq "cutover while paused is refused" 409 "$(code)"
expect_eq "409 names the allowed actions" '["resume","stop","validate","delete"]' "$(jq -c .error.allowed_actions "$SCRATCH/resp")"
sleep 1  # the application writes while the task is paused
api POST /v1/tasks/life/resume >/dev/null
wait_state life streaming
wait "$bench"

body=$(api POST "/v1/tasks/life/cutover?dry_run=true")
expect_eq "dry run answers 200" 200 "$(code)"
expect_eq "dry run does not change the state" streaming "$(jq -r .state <<<"$body")"
body=$(api POST /v1/tasks/life/cutover -H 'Content-Type: application/json' \
       -d '{"fence": "read_only", "max_lag_seconds": 60, "timeout_seconds": 120}')
expect_eq "cutover answers 202" 202 "$(code)"
wait_state life cut_over 180
require_identical pgbench_accounts pgbench_branches pgbench_tellers pgbench_history
expect_eq "source left read-only behind the fence" on \
  "$(src -d "$DB" -At -c "SHOW default_transaction_read_only")"
body=$(api GET /v1/tasks/life)
expect_eq "every cutover step succeeded" "preconditions fence drain stop stream validation finish target" \
  "$(jq -r '[.cutover.steps[] | select(.ok) | .step] | join(" ")' <<<"$body")"
expect_contains "the fence step says what it did" "default_transaction_read_only = on" \
  "$(jq -r '.cutover.steps[] | select(.step == "fence") | .detail' <<<"$body")"
report=$(api GET /v1/tasks/life/report -H 'Accept: text/markdown')
expect_contains "markdown report" "## Cutover: cut_over" "$report"
events=$(api GET "/v1/tasks/life/events?limit=500")
expect_contains "journal records the pause" '"step":"pause"' "$events"
expect_contains "journal records the validation" "tables" "$(jq -r '.events[] | select(.step == "cutover") | .message' <<<"$events" | grep validation)"
curl -fsS "${AUTH[@]}" "$BASE/metrics" > "$SCRATCH/metrics.txt"
expect_contains "task state metric" 'tideway_task_state{task="life",state="cut_over"} 1' "$(cat "$SCRATCH/metrics.txt")"
expect_contains "cutover step durations" 'tideway_cutover_step_duration_seconds{task="life",step="validation"}' "$(cat "$SCRATCH/metrics.txt")"
promtool check metrics < "$SCRATCH/metrics.txt" >/dev/null 2>&1 || { promtool check metrics < "$SCRATCH/metrics.txt"; fail "promtool rejects the metrics with tasks"; }
pass "promtool accepts the metrics with tasks"
src -d postgres -c "ALTER DATABASE $DB SET default_transaction_read_only = off"

# Restarts: a streaming task resumes by itself, a paused one stays paused.
src -d "$DB" -c "CREATE TABLE restart_t (id int PRIMARY KEY, v int)" \
    -c "GRANT SELECT ON restart_t TO $TIDEWAY_PG_SOURCE_USER" \
    -c "CREATE PUBLICATION tideway_restart_a FOR TABLE restart_t" \
    -c "CREATE PUBLICATION tideway_restart_b FOR TABLE restart_t"
jq '.id = "restart-a" | .tables.include = ["public.restart_t"] | .target.database = "'"$DB"'"' "$SCRATCH/task.json" > "$SCRATCH/a.json"
jq '.id = "restart-b" | .tables.include = ["public.restart_t"] | .schema = {create: false}' "$SCRATCH/task.json" > "$SCRATCH/b.json"
api POST /v1/tasks --data-binary @"$SCRATCH/a.json" >/dev/null
api POST /v1/tasks/restart-a/start >/dev/null
wait_state restart-a streaming
api POST /v1/tasks --data-binary @"$SCRATCH/b.json" >/dev/null
api POST /v1/tasks/restart-b/start >/dev/null
wait_state restart-b streaming
api POST /v1/tasks/restart-b/pause >/dev/null
wait_state restart-b paused
stop_daemon
expect_eq "daemon stops cleanly with running tasks" 0 "$STOP_RC"
src -d "$DB" -c "INSERT INTO restart_t SELECT g, g FROM generate_series(1, 500) g"
start_daemon
wait_state restart-a streaming
expect_eq "paused task stays paused after a restart" paused "$(state_of restart-b)"
for _ in $(seq 1 600); do [ "$(dstv "SELECT count(*) FROM restart_t")" = 500 ] && break; sleep 0.1; done
require_identical restart_t
api DELETE /v1/tasks/restart-a >/dev/null
expect_eq "deleting a running task is refused" 409 "$(code)"
api POST /v1/tasks/restart-a/stop >/dev/null
api DELETE "/v1/tasks/restart-a?drop_source_objects=true" >/dev/null
expect_eq "delete a stopped task" 200 "$(code)"
expect_eq "its slot is gone" 0 "$(srcv "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'tideway_restart_a'")"
api GET /v1/tasks/restart-a >/dev/null
expect_eq "deleted task is unknown" 404 "$(code)"
stop_daemon
finish
