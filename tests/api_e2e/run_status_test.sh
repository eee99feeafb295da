#!/usr/bin/env bash
# `tideway status --data-dir DIR` reads a task's phase, position and per-table progress
# from the state store, as text and as JSON, with the rows the load really copied.
source "$(dirname "$0")/pg_lib.sh"

make_databases
src -d "$DB" -c "CREATE TABLE t (id int PRIMARY KEY, v int)" \
    -c "CREATE TABLE notes (body text)" \
    -c "INSERT INTO t SELECT g, g FROM generate_series(1, 12000) g" \
    -c "INSERT INTO notes SELECT 'n' || g FROM generate_series(1, 25) g" \
    -c "ANALYZE t" \
    -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO $TIDEWAY_PG_SOURCE_USER"

out=$("$TIDEWAY_BIN" status --data-dir "$SCRATCH/none" 2>&1 || true)
expect_contains "a missing data dir is named" "$SCRATCH/none" "$out"

task_json status-demo full_load > "$SCRATCH/task.yaml"
"$TIDEWAY_BIN" run --task "$SCRATCH/task.yaml" --data-dir "$SCRATCH/state" > "$SCRATCH/run.out" 2>&1 ||
  { cat "$SCRATCH/run.out"; fail "the full load failed"; }

json=$("$TIDEWAY_BIN" status --data-dir "$SCRATCH/state" --json)
expect_eq "one task" 1 "$(jq length <<<"$json")"
expect_eq "its id" status-demo "$(jq -r '.[0].task' <<<"$json")"
expect_eq "its phase" loaded "$(jq -r '.[0].phase' <<<"$json")"
expect_eq "rows copied of t" 12000 "$(jq -r '.[0].tables[] | select(.table == "public.t") | .rows_done' <<<"$json")"
expect_eq "chunks of t: 5000 rows each" "3/3" \
  "$(jq -r '.[0].tables[] | select(.table == "public.t") | "\(.chunks_done)/\(.chunks_total)"' <<<"$json")"
expect_eq "rows copied of the keyless table" 25 \
  "$(jq -r '.[0].tables[] | select(.table == "public.notes") | .rows_done' <<<"$json")"
expect_eq "read by ctid" ctid "$(jq -r '.[0].tables[] | select(.table == "public.notes") | .method' <<<"$json")"

text=$("$TIDEWAY_BIN" status --data-dir "$SCRATCH/state")
expect_contains "text: task and phase" "task status-demo  phase loaded" "$text"
expect_contains "text: a finished table's exact count" "3/3    chunks  12000 rows, all copied  (integer_key)" "$text"
expect_contains "text: the never-analyzed table shows its count, not 25/0" \
  "1/1    chunks  25 rows, all copied  (ctid)" "$text"
finish
