#!/usr/bin/env bash
# MariaDB change apply: tideway's binlog stream (mode full_load_and_cdc) against MariaDB's
# own replication (a replica of the source with slave_parallel_mode=optimistic), on the
# same source, the same bursts of single-row transactions, and a target/replica with the
# same settings (the sandbox's: binlog on with log_slave_updates, flush at commit 2,
# sync_binlog 0, 256 MiB buffer pool).
#
# Table bench_events (BIGINT AUTO_INCREMENT key, INT, DECIMAL, VARCHAR, DATETIME(6)). A
# burst is BENCH_TXNS single-row INSERT transactions (autocommit) from BENCH_CLIENTS
# client sessions, each running a loop in a stored procedure of a database outside the
# migration, so the source generates at the server's own speed. Each applier sees two
# bursts, one after the other, never both appliers at once (2 cores):
#   - live:    the applier runs during the burst. `applied s` is from the burst's start
#              until the target holds a marker committed right after the burst;
#              `catch-up s` is how long after the burst's end that was (the time until
#              the lag is back to zero, which bounds the time until lag < 1 s).
#   - backlog: the applier is stopped during the burst (tideway: SIGTERM; native: STOP
#              SLAVE) and started after it; `applied s` is from the restart until the
#              marker is on the target: the pure apply rate.
# Peak RSS: tideway's VmHWM (each process; the larger), the replica's mariadbd VmHWM
# (which includes its buffer pool: not comparable, shown for completeness).
# After each applier's bursts its table must equal the source's (count and digest).
#
# Usage (Debian 12, as root): bench/my_cdc_apply.sh
#   BENCH_TXNS=100000 bench/my_cdc_apply.sh     # a quick look
# Settings: BENCH_TXNS (1000000), BENCH_CLIENTS (4), BENCH_PARALLEL (4: the replica's
# slave_parallel_threads), BENCH_SEED_ROWS (100000), BENCH_WAIT_LIMIT (1800 s),
# BENCH_REPLICA_PORT (source port + 10), and those in bench/lib.sh.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/my_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/my_lib.sh"

TXNS=${BENCH_TXNS:-1000000}
CLIENTS=${BENCH_CLIENTS:-4}
PARALLEL=${BENCH_PARALLEL:-4}
SEED=${BENCH_SEED_ROWS:-100000}
WAIT_LIMIT=${BENCH_WAIT_LIMIT:-1800}
for v in TXNS CLIENTS PARALLEL SEED WAIT_LIMIT; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_$v=${!v} is not a positive number"
done
readonly DB=bench_mycdc GEN_DB=bench_mycdc_gen TASK=bench-mycdc

bench_tools
bench_sandbox
bench_mariadb
REPLICA_PORT=${BENCH_REPLICA_PORT:-$((MY_SRC_PORT + 10))}

echo "== MariaDB change apply: tideway vs native replication (slave_parallel_mode=optimistic) =="
bench_print_mariadb
echo "bursts:    $TXNS single-row INSERT transactions from $CLIENTS sessions; replica: slave_parallel_threads=$PARALLEL"

# ---------------------------------------------------------------------------------------
# Source
# ---------------------------------------------------------------------------------------
my_create_source_db "$DB"
bench_on_exit "my_drop_target_db $DB"
bench_on_exit "my_forget_task $TASK"
my_src -e "DROP DATABASE IF EXISTS $GEN_DB; CREATE DATABASE $GEN_DB"
bench_on_exit "my_src -e 'DROP DATABASE IF EXISTS $GEN_DB'"
my_src "$DB" -e "
  CREATE TABLE bench_events (id BIGINT AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL,
    v DECIMAL(12,2) NOT NULL, note VARCHAR(64) NOT NULL, created DATETIME(6) NOT NULL) ENGINE=InnoDB;
  CREATE TABLE bench_marker (n INT PRIMARY KEY) ENGINE=InnoDB;
  INSERT INTO bench_events (k, v, note, created)
    SELECT seq % 1000, seq / 100, CONCAT('seed ', seq), NOW(6) FROM seq_1_to_$SEED;"
my_src "$GEN_DB" <<SQL
DELIMITER //
CREATE PROCEDURE burst(n INT, client INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  WHILE i < n DO
    INSERT INTO $DB.bench_events (k, v, note, created)
      VALUES (client, i / 100, CONCAT('event ', client, '-', i), NOW(6));
    SET i = i + 1;
  END WHILE;
END//
DELIMITER ;
SQL

MARKER=0
# burst: BENCH_TXNS transactions from CLIENTS sessions; sets B_START, B_END.
burst() {
  local per=$((TXNS / CLIENTS)) c pids=()
  B_START=$(now)
  for ((c = 0; c < CLIENTS; c++)); do
    local n=$per
    ((c == 0)) && n=$((TXNS - per * (CLIENTS - 1)))
    my_src "$GEN_DB" -e "SET SESSION autocommit = 1; CALL burst($n, $c)" &
    pids+=($!)
  done
  for c in "${pids[@]}"; do wait "$c" || die "a burst session failed"; done
  B_END=$(now)
  MARKER=$((MARKER + 1))
  my_src "$DB" -e "INSERT INTO bench_marker VALUES ($MARKER)"
}

# wait_marker CLIENT_FUNCTION [PID]: until the marker is on that side; sets W_DONE.
wait_marker() {
  local deadline=$((SECONDS + WAIT_LIMIT))
  while [[ $($1 "$DB" -e "SELECT COUNT(*) FROM bench_marker WHERE n = $MARKER" 2>/dev/null || echo 0) != 1 ]]; do
    ((SECONDS < deadline)) || die "$1 did not apply the burst within $WAIT_LIMIT s"
    [[ -z ${2:-} ]] || kill -0 "$2" 2>/dev/null || die "tideway ended while applying (log: $BENCH_TMP/tideway-*.log)"
    sleep 0.05
  done
  W_DONE=$(now)
}

hwm_kb() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

check_same() {  # LABEL CLIENT_FUNCTION
  local a b
  a=$(my_src "$DB" -e "$(my_digest_events)")
  b=$($2 "$DB" -e "$(my_digest_events)")
  [[ $a == "$b" ]] || die "$1: bench_events is [$b], the source's is [$a]"
  say "$1: bench_events identical to the source ($a)"
}
my_digest_events() { echo "SELECT CONCAT(COUNT(*), ':', BIT_XOR(CRC32(CONCAT_WS('|', id, k, v, note, created)))) FROM bench_events"; }

declare -A RES
# ---------------------------------------------------------------------------------------
# tideway
# ---------------------------------------------------------------------------------------
my_drop_target_db "$DB"
my_forget_task "$TASK"
my_write_task "$BENCH_TMP/task.yaml" "$TASK" "$DB" full_load_and_cdc 2
TW_PID=""
bench_on_exit '[[ -n $TW_PID ]] && kill -KILL $TW_PID'
start_tideway() {  # LOGNAME
  "$TIDEWAY_BIN" run --task "$BENCH_TMP/task.yaml" --data-dir "$BENCH_TMP/tideway-data" 2>"$BENCH_TMP/tideway-$1.log" &
  TW_PID=$!
  local deadline=$((SECONDS + WAIT_LIMIT))
  until grep -qs 'component=my.stream msg=streaming ' "$BENCH_TMP/tideway-$1.log"; do
    kill -0 "$TW_PID" 2>/dev/null || { tail -n 20 "$BENCH_TMP/tideway-$1.log" >&2; die "tideway ended before streaming"; }
    ((SECONDS < deadline)) || die "tideway not streaming after $WAIT_LIMIT s"
    sleep 0.05
  done
}
stop_tideway() {  # sets TW_HWM (KiB, the larger of all runs)
  local h
  h=$(hwm_kb "$TW_PID")
  ((h > ${TW_HWM:-0})) && TW_HWM=$h
  kill -TERM "$TW_PID"
  wait "$TW_PID" || die "tideway did not stop cleanly (log: $BENCH_TMP/tideway-*.log)"
  TW_PID=""
}

say "tideway: full load of the $SEED seed rows, then streaming"
start_tideway live
say "tideway: live burst"
burst
wait_marker my_dst "$TW_PID"
RES[tideway_live_burst]=$(elapsed "$B_START" "$B_END")
RES[tideway_live_applied]=$(elapsed "$B_START" "$W_DONE")
RES[tideway_live_catchup]=$(elapsed "$B_END" "$W_DONE")
stop_tideway
say "tideway: backlog burst (tideway stopped)"
burst
RES[tideway_backlog_burst]=$(elapsed "$B_START" "$B_END")
t0=$(now)
start_tideway backlog
wait_marker my_dst "$TW_PID"
RES[tideway_backlog_start]=$(elapsed "$t0" "$W_DONE")
stop_tideway
check_same tideway my_dst
RES[tideway_rss]=$TW_HWM

# ---------------------------------------------------------------------------------------
# Native replication: a private replica server, seeded with a dump of the source as it is
# now (no writes run), replicating from the GTID position of that moment.
# ---------------------------------------------------------------------------------------
REPLICA_DIR=$(mktemp -d /tmp/tideway-bench-replica.XXXXXX)
bench_on_exit "rm -rf '$REPLICA_DIR'"
os_user=$(id -un)
owner_args=()
if [[ $(id -u) == 0 ]]; then
  os_user=mysql
  chown mysql: "$REPLICA_DIR"
  owner_args=(--user=mysql)
fi
say "native: initialising a replica server on port $REPLICA_PORT"
mariadb-install-db --no-defaults --datadir="$REPLICA_DIR/data" "${owner_args[@]}" \
  --auth-root-socket-user="$(id -un)" --skip-test-db --skip-name-resolve >"$REPLICA_DIR/install.log" 2>&1 ||
  { tail -n 20 "$REPLICA_DIR/install.log" >&2; die "mariadb-install-db failed"; }
setsid mariadbd --no-defaults --datadir="$REPLICA_DIR/data" --port="$REPLICA_PORT" \
  --bind-address=127.0.0.1 --socket="$REPLICA_DIR/mariadbd.sock" --pid-file="$REPLICA_DIR/mariadbd.pid" \
  --log-error="$REPLICA_DIR/mariadbd.err" "${owner_args[@]}" \
  --server-id=4242 --log-bin=mariadb-bin --binlog-format=ROW --log-slave-updates=ON \
  --gtid-strict-mode=ON --skip-name-resolve --innodb-buffer-pool-size=256M \
  --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 --max-allowed-packet=64M \
  --character-set-server=utf8mb4 --replicate-do-db="$DB" \
  --slave-parallel-threads="$PARALLEL" --slave-parallel-mode=optimistic \
  </dev/null >/dev/null 2>&1 &
bench_on_exit "kill -TERM \$(cat '$REPLICA_DIR/mariadbd.pid'); for _ in \$(seq 1 300); do [ -e '$REPLICA_DIR/mariadbd.pid' ] || break; sleep 0.1; done"
my_rep() { mariadb -S "$REPLICA_DIR/mariadbd.sock" -u "$(id -un)" -N -B "$@"; }
for _ in $(seq 1 600); do my_rep -e "SELECT 1" >/dev/null 2>&1 && break; sleep 0.1; done
my_rep -e "SELECT 1" >/dev/null || { tail -n 20 "$REPLICA_DIR/mariadbd.err" >&2; die "the replica did not start"; }
REPLICA_PID=$(cat "$REPLICA_DIR/mariadbd.pid")

GTID=$(my_src -e "SELECT @@GLOBAL.gtid_binlog_pos")
mariadb-dump --defaults-file="$BENCH_TMP/my-src.cnf" --single-transaction --databases "$DB" >"$REPLICA_DIR/seed.sql"
my_rep -e "SET GLOBAL gtid_slave_pos = '$GTID'"
# Not in the replica's own binlog: its GTIDs would run ahead of the source's under
# gtid_strict_mode.
{ echo "SET SESSION sql_log_bin = 0;"; cat "$REPLICA_DIR/seed.sql"; } | my_rep
rm -f "$REPLICA_DIR/seed.sql"
{
  echo "CHANGE MASTER TO MASTER_HOST = '$BENCH_HOST', MASTER_PORT = $MY_SRC_PORT,"
  echo "  MASTER_USER = '$MY_MIGRATOR', MASTER_PASSWORD = '$(cat "$TIDEWAY_MARIADB_SOURCE_PASSWORD_FILE")',"
  echo "  MASTER_USE_GTID = slave_pos;"
  echo "START SLAVE;"
} | my_rep
check_same "native (seeded)" my_rep

say "native: live burst"
burst
wait_marker my_rep
RES[native_live_burst]=$(elapsed "$B_START" "$B_END")
RES[native_live_applied]=$(elapsed "$B_START" "$W_DONE")
RES[native_live_catchup]=$(elapsed "$B_END" "$W_DONE")
say "native: backlog burst (STOP SLAVE)"
my_rep -e "STOP SLAVE"
burst
RES[native_backlog_burst]=$(elapsed "$B_START" "$B_END")
t0=$(now)
my_rep -e "START SLAVE"
wait_marker my_rep
RES[native_backlog_start]=$(elapsed "$t0" "$W_DONE")
check_same native my_rep
RES[native_rss]=$(hwm_kb "$REPLICA_PID")
mariadb -S "$REPLICA_DIR/mariadbd.sock" -u "$(id -un)" -E -e "SHOW SLAVE STATUS" >"$BENCH_TMP/slave-status.txt"
grep -Eq '^ *Last_SQL_Errno: 0$' "$BENCH_TMP/slave-status.txt" || { cat "$BENCH_TMP/slave-status.txt" >&2; die "the replica reports an SQL error"; }

# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------
echo
printf '| %-10s | %-8s | %8s | %10s | %10s | %11s | %8s |\n' applier burst "burst s" "applied s" "txn/s" "catch-up s" "RSS MiB"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ------------ ---------- ---------- ------------ ------------ ------------- ----------
for who in tideway native; do
  printf '| %-10s | %-8s | %8s | %10s | %10s | %11s | %8s |\n' "$who" live "${RES[${who}_live_burst]}" \
    "${RES[${who}_live_applied]}" "$(per_second "$TXNS" "${RES[${who}_live_applied]}")" \
    "${RES[${who}_live_catchup]}" "$(mib "${RES[${who}_rss]}")"
  printf '| %-10s | %-8s | %8s | %10s | %10s | %11s | %8s |\n' "$who" backlog "${RES[${who}_backlog_burst]}" \
    "${RES[${who}_backlog_start]}" "$(per_second "$TXNS" "${RES[${who}_backlog_start]}")" "-" ""
done
echo
echo "ratios (tideway divided by native; txn/s above 1.00: tideway faster; catch-up below 1.00: tideway sooner):"
printf '  %-36s %s\n' \
  "backlog apply rate:" "$(div "$(per_second "$TXNS" "${RES[tideway_backlog_start]}")" "$(per_second "$TXNS" "${RES[native_backlog_start]}")")" \
  "live applied rate:" "$(div "$(per_second "$TXNS" "${RES[tideway_live_applied]}")" "$(per_second "$TXNS" "${RES[native_live_applied]}")")" \
  "live catch-up time:" "$(div "${RES[tideway_live_catchup]}" "${RES[native_live_catchup]}")" \
  "peak RSS (replica incl. buffer pool):" "$(div "${RES[tideway_rss]}" "${RES[native_rss]}")"
echo "load avg:  $(cut -d' ' -f1-3 /proc/loadavg) at the end"
