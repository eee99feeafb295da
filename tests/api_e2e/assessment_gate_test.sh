#!/usr/bin/env bash
# A task is assessed when it is created, and again before its first load: a blocker the
# operator has not acknowledged (here a table PostgreSQL cannot replicate updates of)
# fails the start with the finding named; acknowledged, the start passes the gate (and
# meets the load's own check of the same table); fixed, the task loads and streams.
source "$(dirname "$0")/pg_lib.sh"

make_databases
src -d "$DB" -c "CREATE TABLE t (id int PRIMARY KEY, v int)" \
    -c "CREATE TABLE keyless (v int)" \
    -c "INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g" \
    -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO $TIDEWAY_PG_SOURCE_USER" \
    -c "CREATE PUBLICATION tideway_gate FOR TABLE t, keyless"
daemon_with_task gate
for _ in $(seq 1 300); do
  [ "$(api GET /v1/tasks/gate | jq -r .assessment.status)" = done ] && break
  sleep 0.1
done
body=$(api GET /v1/tasks/gate)
expect_eq "the assessment ran at create" blocked "$(jq -r .assessment.verdict <<<"$body")"
expect_eq "it names the keyless table" "public.keyless" \
  "$(jq -r '.assessment.findings[] | select(.id == "pg.no_replica_identity") | .object' <<<"$body")"

api POST /v1/tasks/gate/start >/dev/null
expect_eq "start answers 200" 200 "$(code)"
wait_state gate failed
body=$(api GET /v1/tasks/gate)
expect_contains "the refusal names the blocker" "pg.no_replica_identity" "$(jq -r .last_error <<<"$body")"
expect_contains "and how to accept it" '"acknowledge"' "$(jq -r .last_error <<<"$body")"
expect_eq "nothing was loaded" 0 "$(dstv "SELECT count(*) FROM pg_tables WHERE tablename = 't'")"

api POST /v1/tasks/gate/start -d '{"acknowledge": 5}' >/dev/null
expect_eq "a malformed acknowledgement is a 400" 400 "$(code)"
api POST /v1/tasks/gate/start -d '{"acknowledge": ["pg.no_replica_identity:public.keyless"]}' >/dev/null
expect_eq "start with the blocker acknowledged answers 200" 200 "$(code)"
# Past the gate, the load's own prerequisite check still refuses a table whose updates
# PostgreSQL cannot publish: acknowledging a finding does not make it replicable.
wait_state gate failed
last=$(api GET /v1/tasks/gate | jq -r .last_error)
expect_contains "the gate let it through to the load's checks" "REPLICA IDENTITY FULL" "$last"
expect_eq "which no longer speak of unacknowledged blockers" 0 "$(grep -c unacknowledged <<<"$last" || true)"
expect_eq "the acknowledgement is kept" '["pg.no_replica_identity:public.keyless"]' \
  "$(api GET /v1/tasks/gate | jq -c .assessment.acknowledged)"
# The operator fixes the table; the next start assesses afresh and loads.
src -d "$DB" -c "ALTER TABLE keyless REPLICA IDENTITY FULL"
api POST /v1/tasks/gate/start >/dev/null
wait_state gate streaming
expect_eq "the fresh assessment found no blocker" 0 "$(api GET /v1/tasks/gate | jq -r .assessment.blockers)"
expect_eq "the table with a key was loaded" 1000 "$(dstv "SELECT count(*) FROM t")"
events=$(api GET "/v1/tasks/gate/events?limit=500")
expect_contains "the journal records the assessment" '"step":"assess"' "$events"
stop_daemon
finish
