# shellcheck shell=bash disable=SC2034  # sets variables for the scripts that source it
# MariaDB helpers for bench/my_*.sh, sourced after bench/lib.sh (which starts the private
# sandbox and owns cleanup and timing). Passwords reach the clients through MYSQL_PWD or
# a mode-600 defaults file in the run's private folder, never a command line.

# After bench_sandbox: ports, users and the admin defaults files of both MariaDB servers.
bench_mariadb() {
  MY_SRC_PORT=$TIDEWAY_MARIADB_SOURCE_PORT
  MY_DST_PORT=$TIDEWAY_MARIADB_TARGET_PORT
  MY_ADMIN=$TIDEWAY_MARIADB_SOURCE_ADMIN_USER
  MY_MIGRATOR=$TIDEWAY_MARIADB_SOURCE_USER
  [[ $TIDEWAY_MARIADB_TARGET_ADMIN_USER == "$MY_ADMIN" && $TIDEWAY_MARIADB_TARGET_USER == "$MY_MIGRATOR" ]] ||
    die "the sandbox's MariaDB source and target users differ; this script expects the same names"
  local side port file
  for side in src dst; do
    if [[ $side == src ]]; then
      port=$MY_SRC_PORT file=$TIDEWAY_MARIADB_SOURCE_ADMIN_PASSWORD_FILE
    else
      port=$MY_DST_PORT file=$TIDEWAY_MARIADB_TARGET_ADMIN_PASSWORD_FILE
    fi
    printf '[client]\nhost=%s\nport=%s\nuser=%s\npassword=%s\n' \
      "$BENCH_HOST" "$port" "$MY_ADMIN" "$(cat "$file")" >"$BENCH_TMP/my-$side.cnf"
    chmod 600 "$BENCH_TMP/my-$side.cnf"
  done
}

# my_src [DB] [-e SQL] / my_dst ...: the mariadb client as the admin.
my_src() { mariadb --defaults-file="$BENCH_TMP/my-src.cnf" -N -B "$@"; }
my_dst() { mariadb --defaults-file="$BENCH_TMP/my-dst.cnf" -N -B "$@"; }

# A database this run creates (on the source, or dropped on the target) and drops at exit.
# Names start with bench_ so nobody else's databases can ever match.
my_create_source_db() {
  [[ $1 == bench_* ]] || die "refusing to manage database $1 (not bench_*)"
  my_src -e "DROP DATABASE IF EXISTS $1; CREATE DATABASE $1;
    GRANT SHOW VIEW, TRIGGER ON $1.* TO '$MY_MIGRATOR'@'$BENCH_HOST'"
  bench_on_exit "my_src -e 'DROP DATABASE IF EXISTS $1'"
}
my_drop_target_db() {
  [[ $1 == bench_* ]] || die "refusing to manage database $1 (not bench_*)"
  my_dst -e "DROP DATABASE IF EXISTS $1"
}

# my_write_task FILE ID DB MODE WORKERS [CHUNK_ROWS]: a MariaDB -> MariaDB task spec as
# the migration user, all tables of DB, into the database of the same name.
my_write_task() {
  cat >"$1" <<EOF
id: $2
source: {engine: mariadb, host: $BENCH_HOST, port: $MY_SRC_PORT, database: $3, user: $MY_MIGRATOR, password_file: $TIDEWAY_MARIADB_SOURCE_PASSWORD_FILE}
target: {engine: mariadb, host: $BENCH_HOST, port: $MY_DST_PORT, database: $3, user: $MY_MIGRATOR, password_file: $TIDEWAY_MARIADB_TARGET_PASSWORD_FILE}
tables: {include: ["$3.*"]}
mode: $4
full_load: {workers: $5${6:+, chunk_rows: $6}}
EOF
}

# Removes what a tideway task left in the target's _tideway tables.
my_forget_task() {
  my_dst -e "DELETE FROM _tideway.apply_position WHERE task_id = '$1';
    DELETE FROM _tideway.load_chunks WHERE task_id = '$1';
    DELETE FROM _tideway.task_steps WHERE task_id = '$1'" 2>/dev/null || true
}

# An order-independent digest of a sysbench-shaped table: count and XOR of row CRCs.
my_digest_sql() { echo "SELECT CONCAT(COUNT(*), ':', BIT_XOR(CRC32(CONCAT_WS('|', id, k, c, pad)))) FROM $1"; }

bench_print_mariadb() {
  echo "machine:   $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr)"
  echo "mariadb:   $(my_src -e "SELECT VERSION()") (source :$MY_SRC_PORT, target :$MY_DST_PORT, sandbox settings: innodb_flush_log_at_trx_commit=2, sync_binlog=0, buffer pool $(my_src -e "SELECT @@innodb_buffer_pool_size DIV 1048576") MiB)"
  echo "tideway:   $("$TIDEWAY_BIN" --version) [$TIDEWAY_BIN]"
  echo "load avg:  $(cut -d' ' -f1-3 /proc/loadavg) at start (other work on the machine skews every figure)"
}
