#!/usr/bin/env bash
# sysbench oltp_read_write on the sandbox's MariaDB source while `tideway run` takes its
# snapshot, loads the target and streams the binlog (mode full_load_and_cdc). Once
# sysbench stops and the stream has caught up (a marker row committed after sysbench's
# last transaction is on the target), every sysbench table must be identical on the
# target, row by row: full dumps of both sides in key order, compared byte for byte.
#
# Small on purpose (CI has 2 cores): 4 tables of 10,000 rows and 20 s of 2 threads.
source "$(dirname "${BASH_SOURCE[0]}")/../daemon/lib.sh"

command -v sysbench >/dev/null || fail "sysbench is not installed (deploy/install-deps.sh installs it)"
eval "$("$TIDEWAY_SOURCE_DIR/tests/sandbox.sh" env)"
SRC_PW=$(cat "$TIDEWAY_MARIADB_SOURCE_ADMIN_PASSWORD_FILE")
DST_PW=$(cat "$TIDEWAY_MARIADB_TARGET_ADMIN_PASSWORD_FILE")
TABLES=4
TABLE_SIZE=10000
SECONDS_OF_LOAD=20
DB="sbtest_$$_$((RANDOM % 1000))"
TASK="sysbench-$$-$((RANDOM % 1000))"
TIDEWAY_PID=""
SYSBENCH_PID=""

# Passwords go through MYSQL_PWD, never on a command line other processes can read.
src() { MYSQL_PWD=$SRC_PW mariadb -h "$TIDEWAY_MARIADB_SOURCE_HOST" -P "$TIDEWAY_MARIADB_SOURCE_PORT" -u "$TIDEWAY_MARIADB_SOURCE_ADMIN_USER" "$@"; }
dst() { MYSQL_PWD=$DST_PW mariadb -h "$TIDEWAY_MARIADB_TARGET_HOST" -P "$TIDEWAY_MARIADB_TARGET_PORT" -u "$TIDEWAY_MARIADB_TARGET_ADMIN_USER" "$@"; }

my_cleanup() {
  [ -n "$SYSBENCH_PID" ] && kill "$SYSBENCH_PID" 2>/dev/null || true
  if [ -n "$TIDEWAY_PID" ] && kill -0 "$TIDEWAY_PID" 2>/dev/null; then
    kill -KILL "$TIDEWAY_PID" 2>/dev/null || true
  fi
  src -e "DROP DATABASE IF EXISTS $DB; REVOKE SHOW VIEW, TRIGGER ON $DB.* FROM '$TIDEWAY_MARIADB_SOURCE_USER'@'$TIDEWAY_MARIADB_SOURCE_HOST'" >/dev/null 2>&1 || true
  dst -e "DROP DATABASE IF EXISTS $DB; DELETE FROM _tideway.apply_position WHERE task_id = '$TASK'; DELETE FROM _tideway.load_chunks WHERE task_id = '$TASK'; DELETE FROM _tideway.task_steps WHERE task_id = '$TASK'" >/dev/null 2>&1 || true
  cleanup
}
trap my_cleanup EXIT

sysbench_src() {
  MYSQL_PWD=$SRC_PW sysbench oltp_read_write --db-driver=mysql \
    --mysql-host="$TIDEWAY_MARIADB_SOURCE_HOST" --mysql-port="$TIDEWAY_MARIADB_SOURCE_PORT" \
    --mysql-user="$TIDEWAY_MARIADB_SOURCE_ADMIN_USER" \
    --mysql-db="$DB" --tables=$TABLES --table-size=$TABLE_SIZE "$@"
}

# ---- the operator's preparation and the application's data ----------------------------
src -e "CREATE DATABASE $DB; GRANT SHOW VIEW, TRIGGER ON $DB.* TO '$TIDEWAY_MARIADB_SOURCE_USER'@'$TIDEWAY_MARIADB_SOURCE_HOST'"
src "$DB" -e "CREATE TABLE tw_marker (n INT PRIMARY KEY)"
sysbench_src --threads=2 prepare > "$SCRATCH/prepare.log" 2>&1 || { cat "$SCRATCH/prepare.log"; fail "sysbench prepare"; }
expect_eq "sysbench prepared its rows" "$((TABLES * TABLE_SIZE))" \
  "$(src -N "$DB" -e "SELECT $(for i in $(seq 1 $TABLES); do printf '(SELECT COUNT(*) FROM sbtest%d)+' "$i"; done)0")"

cat > "$SCRATCH/task.yaml" <<YAML
id: $TASK
source: {engine: mariadb, host: $TIDEWAY_MARIADB_SOURCE_HOST, port: $TIDEWAY_MARIADB_SOURCE_PORT, database: $DB, user: $TIDEWAY_MARIADB_SOURCE_USER, password_file: $TIDEWAY_MARIADB_SOURCE_PASSWORD_FILE}
target: {engine: mariadb, host: $TIDEWAY_MARIADB_TARGET_HOST, port: $TIDEWAY_MARIADB_TARGET_PORT, database: $DB, user: $TIDEWAY_MARIADB_TARGET_USER, password_file: $TIDEWAY_MARIADB_TARGET_PASSWORD_FILE}
tables: {include: ["$DB.*"]}
mode: full_load_and_cdc
full_load: {workers: 2, chunk_rows: 2500}
YAML

# ---- sysbench writes through the snapshot, the load and the stream --------------------
sysbench_src --threads=2 --time=$SECONDS_OF_LOAD --report-interval=0 run > "$SCRATCH/run.log" 2>&1 &
SYSBENCH_PID=$!
sleep 2  # sysbench is writing before the snapshot is taken
"$TIDEWAY_BIN" run --task "$SCRATCH/task.yaml" --data-dir "$SCRATCH/data" 2> "$SCRATCH/tideway.log" &
TIDEWAY_PID=$!

for _ in $(seq 1 1200); do
  grep -q 'component=my.stream msg=streaming ' "$SCRATCH/tideway.log" && break
  kill -0 "$TIDEWAY_PID" 2>/dev/null || { cat "$SCRATCH/tideway.log" >&2; fail "tideway ended before streaming"; }
  sleep 0.1
done
grep -q 'component=my.stream msg=streaming ' "$SCRATCH/tideway.log" || { cat "$SCRATCH/tideway.log" >&2; fail "tideway not streaming after 120 s"; }
kill -0 "$SYSBENCH_PID" 2>/dev/null && pass "the load finished while sysbench was still writing" \
  || echo "note: sysbench ended before the stream started (slow machine); the stream still had its backlog to apply"

wait "$SYSBENCH_PID" || { cat "$SCRATCH/run.log"; fail "sysbench run failed"; }
SYSBENCH_PID=""
txns=$(sed -n 's/^ *transactions: *\([0-9]*\).*/\1/p' "$SCRATCH/run.log")
[ "${txns:-0}" -gt 0 ] || { cat "$SCRATCH/run.log"; fail "sysbench committed no transaction"; }
pass "sysbench committed $txns read/write transactions"

# Every sysbench transaction is before the marker in the binlog; the stream applies in
# commit order.
src "$DB" -e "INSERT INTO tw_marker VALUES (1)"
for _ in $(seq 1 1800); do
  [ "$(dst -N "$DB" -e "SELECT COUNT(*) FROM tw_marker" 2>/dev/null || echo 0)" = 1 ] && break
  kill -0 "$TIDEWAY_PID" 2>/dev/null || { cat "$SCRATCH/tideway.log" >&2; fail "tideway ended while catching up"; }
  sleep 0.1
done
expect_eq "the stream caught up with sysbench's last transaction" 1 \
  "$(dst -N "$DB" -e "SELECT COUNT(*) FROM tw_marker")"
kill -TERM "$TIDEWAY_PID"
wait "$TIDEWAY_PID" && rc=0 || rc=$?
TIDEWAY_PID=""
expect_eq "tideway stops cleanly on SIGTERM" 0 "$rc"

# ---- row by row ------------------------------------------------------------------------
# Every column as hex (strings) or as the server prints it (integers), in key order.
for i in $(seq 1 $TABLES); do
  q="SELECT id, k, HEX(c), HEX(pad) FROM sbtest$i ORDER BY id"
  src -N "$DB" -e "$q" > "$SCRATCH/src$i.tsv"
  dst -N "$DB" -e "$q" > "$SCRATCH/dst$i.tsv"
  rows=$(wc -l < "$SCRATCH/src$i.tsv")
  [ "$rows" -gt 0 ] || fail "sbtest$i is empty on the source"
  if ! cmp -s "$SCRATCH/src$i.tsv" "$SCRATCH/dst$i.tsv"; then
    diff "$SCRATCH/src$i.tsv" "$SCRATCH/dst$i.tsv" | head -20 >&2
    fail "sbtest$i differs between source ($rows rows) and target ($(wc -l < "$SCRATCH/dst$i.tsv") rows)"
  fi
  pass "sbtest$i identical row by row ($rows rows)"
done
# The same schema (sysbench's secondary index k_N included).
for i in $(seq 1 $TABLES); do
  q="SELECT INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '$DB' AND TABLE_NAME = 'sbtest$i' ORDER BY 1, 2"
  expect_eq "sbtest$i has the source's indexes" "$(src -N -e "$q")" "$(dst -N -e "$q")"
done
echo "passed: $checks checks"
