#!/usr/bin/env bash
# A daemon task whose source cuts the replication connection: the stream reconnects by
# itself, and the outage is explained where an operator looks first: the task view's
# stream.interruption (error, time, reconnecting), the journal (/events), and the
# migration report's problems. Rows written across the outage all arrive.
source "$(dirname "$0")/pg_lib.sh"

make_databases
src -d "$DB" -c "CREATE TABLE t (id int PRIMARY KEY, v int)" \
    -c "INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g" \
    -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO $TIDEWAY_PG_SOURCE_USER" \
    -c "CREATE PUBLICATION tideway_cut FOR TABLE t"
daemon_with_task cut
api POST /v1/tasks/cut/start >/dev/null
wait_state cut streaming

wait_until() {  # wait_until WHAT COMMAND...: up to 60 s
  local what=$1
  shift
  for _ in $(seq 1 600); do
    "$@" && { pass "$what"; return 0; }
    sleep 0.1
  done
  api GET /v1/tasks/cut | jq . >&2
  fail "timed out: $what"
}
rows_on_target() { [ "$(dstv "SELECT count(*) FROM t" 2>/dev/null || echo 0)" = "$1" ]; }
wait_until "the full load arrived" rows_on_target 1000

expect_ne_zero() { [ "$2" != "0" ] || fail "$1"; pass "$1"; }
expect_ne_zero "the source ended tideway's walsender" \
  "$(srcv "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'tideway-stream' AND datname = current_database()")"
src -d "$DB" -c "INSERT INTO t SELECT g, g FROM generate_series(1001, 1500) g"
wait_until "rows written across the outage arrive" rows_on_target 1500

body=$(api GET /v1/tasks/cut)
expect_eq "the task is still streaming" streaming "$(jq -r .state <<<"$body")"
expect_eq "it counted the reconnect" 1 "$(jq -r .stream.reconnects <<<"$body")"
expect_eq "and is no longer reconnecting" false "$(jq -r .stream.interruption.reconnecting <<<"$body")"
expect_contains "the view names the error" "administrator command" \
  "$(jq -r .stream.interruption.last_error <<<"$body")"
at=$(jq -r .stream.interruption.last_error_at <<<"$body")
[[ $at =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] ||
  fail "last_error_at is not a UTC time: [$at]"
pass "and when it happened ($at)"

events=$(api GET "/v1/tasks/cut/events?limit=500")
expect_contains "the journal records the interruption" \
  "change stream interrupted; reconnecting from the last checkpoint" "$events"
expect_contains "with the error" "administrator command" \
  "$(jq -r '.events[] | select(.message | startswith("change stream interrupted")) | .context.error' <<<"$events")"
expect_eq "at warn level" warn \
  "$(jq -r '.events[] | select(.message | startswith("change stream interrupted")) | .level' <<<"$events")"
expect_contains "and the recovery" "change stream resumed after an interruption" "$events"
report=$(api GET /v1/tasks/cut/report)
expect_contains "the migration report lists it among the problems" \
  "change stream interrupted" "$(jq -c .problems <<<"$report")"

api POST /v1/tasks/cut/stop >/dev/null
stop_daemon
finish
