#!/usr/bin/env bash
# `tideway run` assesses a task before its first load, as the daemon does: a blocker
# nobody acknowledged stops it (exit 3) before any data moves, naming the finding and
# the --acknowledge that accepts it; acknowledged, the run passes the gate and meets the
# load's own check of the same table. A full_load task is not blocked by what only the
# change stream needs, and a task that has loaded before is not assessed again.
source "$(dirname "$0")/pg_lib.sh"

make_databases
src -d "$DB" -c "CREATE TABLE t (id int PRIMARY KEY, v int)" \
    -c "CREATE TABLE keyless (v int)" \
    -c "INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g" \
    -c "INSERT INTO keyless SELECT g FROM generate_series(1, 10) g" \
    -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO $TIDEWAY_PG_SOURCE_USER"

run_task() {  # run_task NAME [args]: runs `tideway run`, output in $SCRATCH/NAME.out, sets RC
  local name=$1
  shift
  set +e
  "$TIDEWAY_BIN" run "$@" > "$SCRATCH/$name.out" 2>&1
  RC=$?
  set -e
}

task_json gate > "$SCRATCH/cdc.yaml"
run_task refused --task "$SCRATCH/cdc.yaml" --data-dir "$SCRATCH/cdc.state"
expect_eq "an unacknowledged blocker ends the run with exit 3" 3 "$RC"
out=$(cat "$SCRATCH/refused.out")
expect_contains "the refusal names the blocker and its table" \
  "pg.no_replica_identity on public.keyless" "$out"
expect_contains "and the option that accepts it" "--acknowledge pg.no_replica_identity" "$out"
expect_eq "nothing was created on the target" 0 \
  "$(dstv "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
expect_eq "no slot was created on the source" 0 \
  "$(srcv "SELECT count(*) FROM pg_replication_slots WHERE database = '$DB'")"

run_task bad --task "$SCRATCH/cdc.yaml" --data-dir "$SCRATCH/cdc.state" --acknowledge ""
expect_eq "an empty acknowledgement is a usage error" 2 "$RC"

run_task acknowledged --task "$SCRATCH/cdc.yaml" --data-dir "$SCRATCH/cdc.state" \
  --acknowledge pg.no_replica_identity:public.keyless
out=$(cat "$SCRATCH/acknowledged.out")
expect_contains "acknowledged, the gate lets the run go on" "assessment before the load" "$out"
expect_contains "and the load's own check stops it with the fix" \
  "ALTER TABLE public.keyless REPLICA IDENTITY FULL" "$out"
expect_eq "which is a bad-input exit" 2 "$RC"

task_json gate-full full_load > "$SCRATCH/full.yaml"
run_task full --task "$SCRATCH/full.yaml" --data-dir "$SCRATCH/full.state"
expect_eq "a full_load task is not blocked by the stream's prerequisites" 0 "$RC"
expect_contains "its run notes the assessment" "assessment before the load" \
  "$(cat "$SCRATCH/full.out")"
expect_eq "both tables were loaded" "1000 10" \
  "$(dstv "SELECT (SELECT count(*) FROM t) || ' ' || (SELECT count(*) FROM keyless)")"

run_task again --task "$SCRATCH/full.yaml" --data-dir "$SCRATCH/full.state"
expect_eq "a second run of the finished task succeeds" 0 "$RC"
out=$(cat "$SCRATCH/again.out")
expect_contains "finding the load done" "full load was finished by an earlier run" "$out"
case "$out" in
  *"assessment before the load"*) fail "a task that has loaded before was assessed again" ;;
  *) pass "a task that has loaded before is not assessed again" ;;
esac
finish
