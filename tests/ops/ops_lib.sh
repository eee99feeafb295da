# shellcheck shell=bash
# Shared by the ops tests that need live task series: a daemon (tests/daemon/lib.sh)
# with one PostgreSQL task, "ops", streaming on a fresh database pair of the sandbox
# servers (tests/api_e2e/pg_lib.sh), and changes applied through its stream.
source "$(dirname "${BASH_SOURCE[0]}")/../api_e2e/pg_lib.sh"

metrics() { curl -fsS "${AUTH[@]}" "$BASE/metrics"; }

# Sets up the databases and the task, starts the daemon and the task, waits for the
# stream, then writes OPS_CHANGES rows on the source and waits until they are applied.
OPS_CHANGES=250
start_streaming_task() {
  make_databases
  src -d "$DB" -c "CREATE TABLE items (id int PRIMARY KEY, name text, qty int)" \
      -c "INSERT INTO items SELECT g, 'item ' || g, g % 10 FROM generate_series(1, 2000) g" \
      -c "ANALYZE items" \
      -c "CREATE PUBLICATION tideway_ops FOR TABLE items"
  local port
  port=$(free_port)
  write_config "$port"
  start_daemon
  # Its own slot name: the two ops tests may run at once on the same source server.
  task_json ops | jq --arg slot "tideway_ops_$$" '.postgresql = {slot_name: $slot, publication_name: "tideway_ops"}' > "$SCRATCH/task.json"
  api POST /v1/tasks --data-binary @"$SCRATCH/task.json" >/dev/null
  expect_eq "task ops created" 201 "$(code)"
  api POST /v1/tasks/ops/start >/dev/null
  expect_eq "task ops started" 200 "$(code)"
  wait_state ops streaming 120
  # One source transaction of OPS_CHANGES row changes through the stream.
  src -d "$DB" -c "UPDATE items SET qty = qty + 1 WHERE id <= $OPS_CHANGES"
  local applied=""
  for _ in $(seq 1 300); do
    applied=$(api GET /v1/tasks/ops | jq -r .stream.changes_applied)
    [ "$applied" = "$OPS_CHANGES" ] && break
    sleep 0.1
  done
  expect_eq "the stream applied the source's changes" "$OPS_CHANGES" "$applied"
}
