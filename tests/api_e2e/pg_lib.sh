# Helpers for the task API tests: a database pair on the sandbox's PostgreSQL servers,
# a running daemon (tests/daemon/lib.sh), and JSON calls with jq.
source "$(dirname "${BASH_SOURCE[0]}")/../daemon/lib.sh"

eval "$("$TIDEWAY_SOURCE_DIR/tests/sandbox.sh" env)"
SRC_PW=$(cat "$TIDEWAY_PG_SOURCE_ADMIN_PASSWORD_FILE")
DST_PW=$(cat "$TIDEWAY_PG_TARGET_ADMIN_PASSWORD_FILE")
export PGOPTIONS='-c client_min_messages=warning'
DB="api_$(basename "$SCRATCH" | tr -cd 'a-z0-9' | tail -c 8)_$$"
src() { PGPASSWORD=$SRC_PW psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$TIDEWAY_PG_SOURCE_PORT" -U "$TIDEWAY_PG_SOURCE_ADMIN_USER" "$@"; }
dst() { PGPASSWORD=$DST_PW psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$TIDEWAY_PG_TARGET_PORT" -U "$TIDEWAY_PG_TARGET_ADMIN_USER" "$@"; }
srcv() { src -d "$DB" -At -c "$1"; }
dstv() { dst -d "$DB" -At -c "$1"; }

pg_cleanup() {
  src -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$DB' AND NOT active" >/dev/null 2>&1 || true
  src -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  dst -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap 'cleanup; pg_cleanup' EXIT

# The operator's preparation: databases, grants, and (for tests that fence) the source
# database owned by the migration user, which is what ALTER DATABASE needs.
make_databases() {
  src -d postgres -c "CREATE DATABASE $DB"
  dst -d postgres -c "CREATE DATABASE $DB OWNER $TIDEWAY_PG_TARGET_USER"
  src -d "$DB" -c "GRANT USAGE ON SCHEMA public TO $TIDEWAY_PG_SOURCE_USER" \
      -c "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO $TIDEWAY_PG_SOURCE_USER" \
      -c "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON SEQUENCES TO $TIDEWAY_PG_SOURCE_USER"
}

task_json() {  # task_json ID [MODE]
  jq -n --arg id "$1" --arg mode "${2:-full_load_and_cdc}" --arg db "$DB" \
    --arg sp "$TIDEWAY_PG_SOURCE_PASSWORD_FILE" --arg tp "$TIDEWAY_PG_TARGET_PASSWORD_FILE" \
    --argjson sport "$TIDEWAY_PG_SOURCE_PORT" --argjson tport "$TIDEWAY_PG_TARGET_PORT" \
    --arg user "$TIDEWAY_PG_SOURCE_USER" '{
      id: $id, mode: $mode, tables: {include: ["public.*"]},
      full_load: {workers: 2, chunk_rows: 5000},
      source: {engine: "postgresql", host: "127.0.0.1", port: $sport, database: $db, user: $user, password_file: $sp},
      target: {engine: "postgresql", host: "127.0.0.1", port: $tport, database: $db, user: $user, password_file: $tp}}'
}

# A daemon on a free port holding one new task ID (task_json ID [MODE]), not started.
daemon_with_task() {  # daemon_with_task ID [MODE]
  port=$(free_port)
  write_config "$port"
  start_daemon
  task_json "$@" > "$SCRATCH/task.json"
  api POST /v1/tasks --data-binary @"$SCRATCH/task.json" >/dev/null
  expect_eq "create of task $1 answers 201" 201 "$(code)"
}

# api METHOD PATH [curl args]: prints the body; `code` prints its status (api usually
# runs in a $(...) subshell, so the status is kept in a file, not a variable).
api() {
  local method=$1 path=$2
  shift 2
  curl -s -o "$SCRATCH/resp" -w '%{http_code}' -X "$method" "${AUTH[@]}" "$@" "$BASE$path" > "$SCRATCH/code"
  cat "$SCRATCH/resp"
}
code() { cat "$SCRATCH/code"; }
state_of() { api GET "/v1/tasks/$1" | jq -r .state; }
wait_state() {  # wait_state ID STATE [SECONDS]
  local s=""
  for _ in $(seq 1 $(( ${3:-120} * 10 ))); do
    s=$(state_of "$1")
    [ "$s" = "$2" ] && { pass "task $1 reached $2"; return 0; }
    case "$s" in failed) api GET "/v1/tasks/$1" | jq . >&2; fail "task $1 failed while waiting for $2";; esac
    sleep 0.1
  done
  api GET "/v1/tasks/$1" | jq . >&2
  fail "task $1 is $s, not $2, after ${3:-120} s"
}

# Every row of each table identical (count and a digest of all rows in order).
require_identical() {
  local t q a b
  for t in "$@"; do
    q="SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, E'\\n' ORDER BY x::text)), '-') FROM $t x"
    a=$(srcv "$q"); b=$(dstv "$q")
    expect_eq "table $t identical on the target" "$a" "$b"
  done
}

pgbench_src() { PGPASSWORD=$SRC_PW pgbench -h 127.0.0.1 -p "$TIDEWAY_PG_SOURCE_PORT" -U "$TIDEWAY_PG_SOURCE_ADMIN_USER" "$@" "$DB"; }
