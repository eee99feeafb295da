# Helpers for the MariaDB task API tests: a database on the sandbox's MariaDB source, an
# application user that is not privileged (so a read_only fence stops its writes), a
# running daemon (tests/daemon/lib.sh) and JSON calls (pg_lib.sh's api/wait_state).
source "$(dirname "${BASH_SOURCE[0]}")/pg_lib.sh"

MS_PW=$(cat "$TIDEWAY_MARIADB_SOURCE_ADMIN_PASSWORD_FILE")
MT_PW=$(cat "$TIDEWAY_MARIADB_TARGET_ADMIN_PASSWORD_FILE")
MDB="my$(basename "$SCRATCH" | tr -cd 'a-z0-9' | tail -c 8)_$$"
APP_USER="app_$$"
APP_PW="app-$$-$RANDOM"
msrc() { mariadb -h 127.0.0.1 -P "$TIDEWAY_MARIADB_SOURCE_PORT" -u "$TIDEWAY_MARIADB_SOURCE_ADMIN_USER" -p"$MS_PW" "$@"; }
mdst() { mariadb -h 127.0.0.1 -P "$TIDEWAY_MARIADB_TARGET_PORT" -u "$TIDEWAY_MARIADB_TARGET_ADMIN_USER" -p"$MT_PW" "$@"; }
mapp() { mariadb -h 127.0.0.1 -P "$TIDEWAY_MARIADB_SOURCE_PORT" -u "$APP_USER" -p"$APP_PW" "$MDB" "$@"; }
msrcv() { msrc -N "$MDB" -e "$1"; }
mdstv() { mdst -N "$MDB" -e "$1"; }

my_cleanup() {
  msrc -e "SET GLOBAL read_only = OFF" >/dev/null 2>&1 || true
  msrc -e "DROP DATABASE IF EXISTS $MDB; DROP USER IF EXISTS '$APP_USER'@'127.0.0.1'" >/dev/null 2>&1 || true
  msrc -e "REVOKE SHOW VIEW, TRIGGER ON $MDB.* FROM '$TIDEWAY_MARIADB_SOURCE_USER'@'127.0.0.1'" >/dev/null 2>&1 || true
  mdst -e "DROP DATABASE IF EXISTS $MDB" >/dev/null 2>&1 || true
  # The target's bookkeeping of this run's tasks (ids end in this shell's pid).
  for t in load_chunks task_steps apply_position; do
    mdst -e "DELETE FROM _tideway.$t WHERE task_id LIKE '%-$$'" >/dev/null 2>&1 || true
  done
}
trap 'cleanup; pg_cleanup; my_cleanup' EXIT

# The operator's preparation on the source: the application's database and user, and
# the grants the migration user needs for this database's views and triggers.
make_mariadb_database() {
  msrc -e "CREATE DATABASE $MDB; CREATE USER '$APP_USER'@'127.0.0.1' IDENTIFIED BY '$APP_PW';
           GRANT ALL ON $MDB.* TO '$APP_USER'@'127.0.0.1';
           GRANT SHOW VIEW, TRIGGER ON $MDB.* TO '$TIDEWAY_MARIADB_SOURCE_USER'@'127.0.0.1'"
}

my_task_json() {  # my_task_json ID [MODE]
  jq -n --arg id "$1" --arg mode "${2:-full_load_and_cdc}" --arg db "$MDB" \
    --arg sp "$TIDEWAY_MARIADB_SOURCE_PASSWORD_FILE" --arg tp "$TIDEWAY_MARIADB_TARGET_PASSWORD_FILE" \
    --argjson sport "$TIDEWAY_MARIADB_SOURCE_PORT" --argjson tport "$TIDEWAY_MARIADB_TARGET_PORT" \
    --arg user "$TIDEWAY_MARIADB_SOURCE_USER" '{
      id: $id, mode: $mode, tables: {include: [($db + ".*")]},
      full_load: {workers: 2, chunk_rows: 5000},
      source: {engine: "mariadb", host: "127.0.0.1", port: $sport, database: $db, user: $user, password_file: $sp},
      target: {engine: "mariadb", host: "127.0.0.1", port: $tport, database: $db, user: $user, password_file: $tp}}'
}

# Every row of each table identical: count and an MD5 over all rows, each row as the
# HEX of every column (so NULL, '' and binary bytes all compare exactly).
my_require_identical() {
  local t cols q a b
  for t in "$@"; do
    cols=$(msrc -N -e "SELECT GROUP_CONCAT(CONCAT('COALESCE(HEX(\`', COLUMN_NAME, '\`), ''N'')') ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '$MDB' AND TABLE_NAME = '$t'")
    q="SET SESSION group_concat_max_len = 1073741824; SELECT CONCAT(COUNT(*), ' ', COALESCE(MD5(GROUP_CONCAT(r ORDER BY r SEPARATOR '\n')), '-')) FROM (SELECT CONCAT_WS(',', $cols) AS r FROM \`$t\`) x"
    a=$(msrc -N "$MDB" -e "$q"); b=$(mdst -N "$MDB" -e "$q")
    expect_eq "table $t identical on the target" "$a" "$b"
  done
}
