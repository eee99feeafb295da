#!/usr/bin/env bash
# Cutovers that must not happen: one whose lag cannot drain in time aborts and the task
# keeps streaming; one with a target row changed behind tideway's back aborts at the
# final validation, naming the table and the chunk.
source "$(dirname "$0")/pg_lib.sh"

make_databases
src -d "$DB" -c "CREATE TABLE t (id int PRIMARY KEY, v int)" \
    -c "INSERT INTO t SELECT g, g FROM generate_series(1, 20000) g" \
    -c "CREATE PUBLICATION tideway_abort FOR TABLE t"
daemon_with_task abort
api POST /v1/tasks/abort/start >/dev/null
wait_state abort streaming

# 1. The target is blocked (a lock held elsewhere): the lag cannot drain in 2 s.
dst -d "$DB" -c "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT" >/dev/null 2>&1 &
locker=$!
for _ in $(seq 1 100); do [ "$(dstv "SELECT count(*) FROM pg_locks WHERE relation = 't'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] && break; sleep 0.1; done
src -d "$DB" -c "UPDATE t SET v = v + 1 WHERE id <= 100"
api POST /v1/tasks/abort/cutover -d '{"fence": "none", "timeout_seconds": 2, "max_lag_seconds": 3600}' >/dev/null
expect_eq "cutover accepted" 202 "$(code)"
for _ in $(seq 1 300); do
  outcome=$(api GET /v1/tasks/abort | jq -r .cutover.outcome)
  [ "$outcome" != running ] && break
  sleep 0.1
done
expect_eq "cutover aborted on the drain timeout" "aborted: lag did not drain in time" "$outcome"
expect_eq "the task keeps streaming" streaming "$(state_of abort)"
expect_contains "the abort is in the metrics" 'tideway_cutover_aborted{task="abort"} 1' "$(curl -s "${AUTH[@]}" "$BASE/metrics")"
dst -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$DB' AND query LIKE '%pg_sleep(60)%'" >/dev/null
wait "$locker" 2>/dev/null || true
for _ in $(seq 1 300); do [ "$(dstv "SELECT sum(v) FROM t")" = "$(srcv "SELECT sum(v) FROM t")" ] && break; sleep 0.1; done
require_identical t

# 2. A row changed on the target behind tideway's back: validation catches it.
dstv "UPDATE t SET v = -1 WHERE id = 12345" >/dev/null
api POST /v1/tasks/abort/cutover -d '{"fence": "none", "timeout_seconds": 60}' >/dev/null
for _ in $(seq 1 600); do
  outcome=$(api GET /v1/tasks/abort | jq -r .cutover.outcome)
  [ "$outcome" != running ] && break
  sleep 0.1
done
expect_contains "cutover aborted at validation, naming the table" "aborted: validation mismatch in public.t" "$outcome"
expect_contains "and the chunk holding the row" "chunks: id in [10003, 15004)" "$outcome"
wait_state abort streaming
expect_eq "the validation step failed" false \
  "$(api GET /v1/tasks/abort | jq -r '.cutover.steps[] | select(.step == "validation") | .ok')"
stop_daemon
finish
