#!/usr/bin/env bash
# MariaDB -> MariaDB full load: tideway against the tools a user would otherwise pick, in
# one run on the same data (one sysbench table, `sysbench oltp_read_write prepare`,
# 5,000,000 rows by default), each into a freshly dropped target database:
#   - tideway run (mode full_load, workers N): snapshot, schema, chunked parallel copy,
#     secondary index;
#   - mydumper --threads N --rows (chunked, --trx-consistency-only) into a folder, then
#     myloader --threads N from it (both times added: the data goes through the disk);
#   - mariadb-dump --single-transaction | mariadb (one stream, the classic way);
#   - diagnostic: myloader -e from the same dump, with the target's binlog on, as tideway's
#     migration user (no SUPER/BINLOG ADMIN) must load.
# Every run is timed with /usr/bin/time -v (wall time, peak RSS of the largest process,
# plus the sampled sum over the process tree) and the target table is checked against
# the source (row count and a digest of all rows): a wrong copy fails the script.
#
# Usage (Debian 12, as root, from anywhere):
#   bench/my_full_load.sh                          # 5,000,000 rows, 2 threads, 1 run
#   BENCH_ROWS=500000 bench/my_full_load.sh        # a quick look
# Settings: BENCH_ROWS (5000000), BENCH_THREADS (2: tideway workers = mydumper/myloader
# threads), BENCH_RUNS (1), and those in bench/lib.sh (sandbox folder, tideway binary).
# Everything it creates (databases, folders, a sandbox it started) is removed at exit.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/my_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/my_lib.sh"

ROWS=${BENCH_ROWS:-5000000}
THREADS=${BENCH_THREADS:-2}
RUNS=${BENCH_RUNS:-1}
[[ $ROWS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROWS=$ROWS is not a positive number"
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "BENCH_THREADS=$THREADS is not a positive number"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS=$RUNS is not a positive number"
readonly DB=bench_myfl

bench_tools
bench_require sysbench sysbench
bench_require mydumper mydumper
bench_sandbox
bench_mariadb

echo "== MariaDB full load: tideway vs mydumper+myloader vs mariadb-dump | mariadb =="
bench_print_mariadb
echo "mydumper:  $(mydumper --version 2>&1 | head -n 1)"
echo "data:      sysbench oltp prepare, 1 table of $ROWS rows; $THREADS threads; $RUNS run(s), medians"

# ---------------------------------------------------------------------------------------
# Source data
# ---------------------------------------------------------------------------------------
my_create_source_db "$DB"
bench_on_exit "my_drop_target_db $DB"
say "generating $ROWS sysbench rows"
MYSQL_PWD=$(cat "$TIDEWAY_MARIADB_SOURCE_ADMIN_PASSWORD_FILE") sysbench oltp_read_write \
  --db-driver=mysql --mysql-host="$BENCH_HOST" --mysql-port="$MY_SRC_PORT" \
  --mysql-user="$MY_ADMIN" --mysql-db="$DB" --tables=1 --table-size="$ROWS" --threads=1 \
  prepare >"$BENCH_TMP/prepare.log" 2>&1 || { tail -n 20 "$BENCH_TMP/prepare.log" >&2; die "sysbench prepare failed"; }
SRC_DIGEST=$(my_src "$DB" -e "$(my_digest_sql sbtest1)")
[[ ${SRC_DIGEST%%:*} == "$ROWS" ]] || die "the source holds ${SRC_DIGEST%%:*} rows, not $ROWS"
SIZE_MIB=$(my_src -e "SELECT ROUND((DATA_LENGTH + INDEX_LENGTH) / 1048576) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DB' AND TABLE_NAME = 'sbtest1'")
echo "source:    sbtest1 $ROWS rows, $SIZE_MIB MiB on disk (data + index)"

check_target() {  # TOOL: the target's table must equal the source's
  local got
  got=$(my_dst "$DB" -e "$(my_digest_sql sbtest1)" 2>/dev/null || echo "missing")
  [[ $got == "$SRC_DIGEST" ]] || die "$1 left sbtest1 as [$got] on the target, source is [$SRC_DIGEST]"
  my_dst -e "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '$DB' AND TABLE_NAME = 'sbtest1' AND INDEX_NAME = 'k_1'" | grep -qx 1 ||
    die "$1 did not build the secondary index k_1"
}

declare -A WALL RSS TREE
record() {  # KEY
  WALL[$1]+="$T_WALL "
  RSS[$1]+="$T_RSS_KB "
  TREE[$1]+="$T_TREE_KB "
}

run_tideway() {
  local id="bench-myfl-$1"
  my_drop_target_db "$DB"
  my_forget_task "$id"
  my_write_task "$BENCH_TMP/task.yaml" "$id" "$DB" full_load "$THREADS"
  rm -rf "$BENCH_TMP/tideway-data"
  timed "$BENCH_TMP/tideway.log" "$TIDEWAY_BIN" run --task "$BENCH_TMP/task.yaml" --data-dir "$BENCH_TMP/tideway-data"
  check_target tideway
  my_forget_task "$id"
  record tideway
}

run_mydumper() {
  my_drop_target_db "$DB"
  rm -rf "$BENCH_TMP/dump"
  local dump_wall dump_rss dump_tree
  # --rows splits the table into chunks so the threads share it, as tideway's chunks.
  timed "$BENCH_TMP/mydumper.log" mydumper --defaults-file="$BENCH_TMP/my-src.cnf" \
    -h "$BENCH_HOST" -P "$MY_SRC_PORT" -u "$MY_ADMIN" \
    -B "$DB" --threads "$THREADS" --rows 100000 --trx-consistency-only \
    -o "$BENCH_TMP/dump" -v 1
  dump_wall=$T_WALL dump_rss=$T_RSS_KB dump_tree=$T_TREE_KB
  my_dst -e "CREATE DATABASE $DB"
  timed "$BENCH_TMP/myloader.log" myloader --defaults-file="$BENCH_TMP/my-dst.cnf" \
    -h "$BENCH_HOST" -P "$MY_DST_PORT" -u "$MY_ADMIN" \
    -d "$BENCH_TMP/dump" -B "$DB" --threads "$THREADS" -o -v 1
  check_target mydumper+myloader
  WALL[dump]+="$dump_wall "
  WALL[load]+="$T_WALL "
  local load_wall=$T_WALL load_rss=$T_RSS_KB load_tree=$T_TREE_KB
  # Diagnostic: the same load with the target's binlog on (-e), as tideway's migration
  # user, which may not turn it off (no SUPER/BINLOG ADMIN), has to load.
  my_drop_target_db "$DB"
  my_dst -e "CREATE DATABASE $DB"
  timed "$BENCH_TMP/myloader-binlog.log" myloader --defaults-file="$BENCH_TMP/my-dst.cnf" \
    -h "$BENCH_HOST" -P "$MY_DST_PORT" -u "$MY_ADMIN" \
    -d "$BENCH_TMP/dump" -B "$DB" --threads "$THREADS" -o -e -v 1
  check_target "myloader -e"
  WALL[binlog]+="$(awk -v a="$dump_wall" -v b="$T_WALL" 'BEGIN { printf "%.3f", a + b }') "
  RSS[binlog]+="$T_RSS_KB "
  TREE[binlog]+="$T_TREE_KB "
  T_WALL=$load_wall T_RSS_KB=$load_rss T_TREE_KB=$load_tree
  T_WALL=$(awk -v a="$dump_wall" -v b="$T_WALL" 'BEGIN { printf "%.3f", a + b }')
  ((dump_rss > T_RSS_KB)) && T_RSS_KB=$dump_rss
  ((dump_tree > T_TREE_KB)) && T_TREE_KB=$dump_tree
  record mydumper
  rm -rf "$BENCH_TMP/dump"
}

run_mysqldump() {
  my_drop_target_db "$DB"
  my_dst -e "CREATE DATABASE $DB"
  timed "$BENCH_TMP/mysqldump.log" bash -o pipefail -c "$(printf '%q ' mariadb-dump \
    --defaults-file="$BENCH_TMP/my-src.cnf" --single-transaction --quick "$DB" sbtest1) |
    $(printf '%q ' mariadb --defaults-file="$BENCH_TMP/my-dst.cnf" "$DB")"
  check_target "mariadb-dump | mariadb"
  record mysqldump
}

ORDER=(tideway mydumper mysqldump)
for ((run = 1; run <= RUNS; run++)); do
  for tool in "${ORDER[@]}"; do
    my_src -e "FLUSH TABLES" >/dev/null
    say "run $run/$RUNS: $tool"
    "run_$tool" "$run"
  done
  ORDER=("${ORDER[@]:1}" "${ORDER[0]}")  # rotate so no tool always runs first
done

# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------
declare -A RATE
echo
printf '| %-44s | %9s | %10s | %8s | %9s |\n' tool "wall s" "rows/s" "RSS MiB" "tree MiB"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" -----------  ------------ ---------- -----------
row() {  # KEY LABEL
  local w r t
  # shellcheck disable=SC2086
  w=$(median ${WALL[$1]}) r=$(median ${RSS[$1]}) t=$(median ${TREE[$1]})
  RATE[$1]=$(per_second "$ROWS" "$w")
  printf '| %-44s | %9s | %10s | %8s | %9s |\n' "$2" "$w" "${RATE[$1]}" "$(mib "$r")" "$(mib "$t")"
}
row tideway "tideway run full_load, workers $THREADS"
row mydumper "mydumper + myloader, threads $THREADS"
# shellcheck disable=SC2086
echo "|   (mydumper $(median ${WALL[dump]}) s + myloader $(median ${WALL[load]}) s)"
row binlog "mydumper + myloader -e (target binlog on)"
row mysqldump "mariadb-dump | mariadb"
echo
echo "ratios (tideway rows/s divided by the peer's; above 1.00 tideway is faster):"
printf '  %-40s %s\n' \
  "tideway / mydumper+myloader:" "$(div "${RATE[tideway]}" "${RATE[mydumper]}")" \
  "tideway / mydumper+myloader -e:" "$(div "${RATE[tideway]}" "${RATE[binlog]}")" \
  "tideway / mariadb-dump | mariadb:" "$(div "${RATE[tideway]}" "${RATE[mysqldump]}")"
# shellcheck disable=SC2086
echo "peak RSS ratio (tideway / mydumper+myloader largest process): $(div "$(median ${RSS[tideway]})" "$(median ${RSS[mydumper]})")"
echo "load avg:  $(cut -d' ' -f1-3 /proc/loadavg) at the end"
