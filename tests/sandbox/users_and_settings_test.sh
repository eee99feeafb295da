#!/usr/bin/env bash
# The sandbox must look like the servers tideway meets in production: logical decoding
# and row binlogs switched on, and a migration user holding only what an operator grants
# on a managed service (no superuser, no SUPER). Every check queries the live servers
# over TCP with the credentials from the env file; a failure names the check, the
# expected and the actual value.
set -euo pipefail

dir=${TIDEWAY_SANDBOX_DIR:-/tmp/tideway-sandbox}
[[ -f $dir/env ]] || {
  echo "users_and_settings_test: $dir/env missing; start the sandbox first" >&2
  exit 1
}
scratch=sandbox_check_$$ # name of every object this test creates

passed=0
failed=0
pass() {
  passed=$((passed + 1))
  echo "ok   $1"
}
fail() {
  failed=$((failed + 1))
  echo "FAIL $1: expected $2, actual: $3" >&2
}

expect_eq() { # name expected actual
  if [[ $3 == "$2" ]]; then pass "$1"; else fail "$1" "'$2'" "'$3'"; fi
}
expect_ge() { # name minimum actual
  if [[ $3 =~ ^[0-9]+$ ]] && (($3 >= $2)); then pass "$1"; else fail "$1" ">= $2" "'$3'"; fi
}
expect_contains() { # name needle haystack
  if [[ $3 == *"$2"* ]]; then pass "$1"; else fail "$1" "output containing '$2'" "'$3'"; fi
}
expect_lacks() { # name needle haystack
  if [[ $3 != *"$2"* ]]; then pass "$1"; else fail "$1" "no '$2'" "'$3'"; fi
}
# expect_error name pattern command...: the command must fail with a message matching
# the (case-insensitive) pattern; a failure for another reason is not a pass.
expect_error() {
  local name=$1 pattern=$2 out
  shift 2
  if out=$("$@" 2>&1); then
    fail "$name" "an error matching '$pattern'" "success: '$out'"
  elif grep -qiE -- "$pattern" <<<"$out"; then
    pass "$name"
  else
    fail "$name" "an error matching '$pattern'" "'$out'"
  fi
}

setting() { sed -n "s/^$1=//p" "$dir/env" | tail -n 1; }

# pg PREFIX migrator|admin SQL: output rows as a|b|c, errors included in the output (the
# check then shows them as the actual value); exit status of psql.
pg() {
  local prefix=$1 who=$2 sql=$3 user password_file
  if [[ $who == admin ]]; then
    user=$(setting "${prefix}_ADMIN_USER") password_file=$(setting "${prefix}_ADMIN_PASSWORD_FILE")
  else
    user=$(setting "${prefix}_USER") password_file=$(setting "${prefix}_PASSWORD_FILE")
  fi
  PGPASSWORD=$(<"$password_file") psql -X -A -t -q -v ON_ERROR_STOP=1 \
    -h "$(setting "${prefix}_HOST")" -p "$(setting "${prefix}_PORT")" -U "$user" \
    -d "$(setting "${prefix}_DATABASE")" -c "$sql" 2>&1
}

# A replication-protocol session (what tideway's CDC reader opens) as the migrator.
pg_replication() {
  local prefix=TIDEWAY_PG_SOURCE
  PGPASSWORD=$(<"$(setting "${prefix}_PASSWORD_FILE")") psql -X -A -t -q -v ON_ERROR_STOP=1 \
    "host=$(setting "${prefix}_HOST") port=$(setting "${prefix}_PORT") user=$(setting "${prefix}_USER") dbname=$(setting "${prefix}_DATABASE") replication=database" \
    -c "$1" 2>&1
}

# my PREFIX migrator|admin SQL: tab-separated rows, errors included in the output.
my() {
  local prefix=$1 who=$2 sql=$3 user password_file
  if [[ $who == admin ]]; then
    user=$(setting "${prefix}_ADMIN_USER") password_file=$(setting "${prefix}_ADMIN_PASSWORD_FILE")
  else
    user=$(setting "${prefix}_USER") password_file=$(setting "${prefix}_PASSWORD_FILE")
  fi
  MYSQL_PWD=$(<"$password_file") mariadb --no-defaults --batch --skip-column-names \
    -h "$(setting "${prefix}_HOST")" -P "$(setting "${prefix}_PORT")" -u "$user" \
    "$(setting "${prefix}_DATABASE")" -e "$sql" 2>&1
}

cleanup() {
  pg TIDEWAY_PG_SOURCE admin "DROP TABLE IF EXISTS public.$scratch" >/dev/null || true
  pg TIDEWAY_PG_TARGET admin "DROP TABLE IF EXISTS public.$scratch; DROP SCHEMA IF EXISTS $scratch" >/dev/null || true
  my TIDEWAY_MARIADB_SOURCE admin "DROP TABLE IF EXISTS $scratch" >/dev/null || true
  my TIDEWAY_MARIADB_TARGET admin "DROP TABLE IF EXISTS $scratch" >/dev/null || true
}
trap cleanup EXIT

echo "== PostgreSQL source"
PGS=TIDEWAY_PG_SOURCE
expect_eq "pg source: wal_level" logical "$(pg $PGS migrator 'SHOW wal_level' || true)"
expect_ge "pg source: max_replication_slots" 10 "$(pg $PGS migrator 'SHOW max_replication_slots' || true)"
expect_ge "pg source: max_wal_senders" 10 "$(pg $PGS migrator 'SHOW max_wal_senders' || true)"
expect_ge "pg source: max_connections" 200 "$(pg $PGS migrator 'SHOW max_connections' || true)"
expect_eq "pg source: migrator rolreplication|rolsuper" "t|f" \
  "$(pg $PGS migrator 'SELECT rolreplication, rolsuper FROM pg_roles WHERE rolname = current_user' || true)"
# Tables and sequences the admin creates later are readable thanks to default privileges.
if out=$(pg $PGS admin "CREATE TABLE public.$scratch (id serial PRIMARY KEY, v text); INSERT INTO public.$scratch (v) VALUES ('x')"); then
  pass "pg source: admin creates a table"
else
  fail "pg source: admin creates a table" "success" "'$out'"
fi
expect_eq "pg source: migrator reads a table the admin created afterwards" 1 \
  "$(pg $PGS migrator "SELECT count(*) FROM public.$scratch" || true)"
expect_eq "pg source: migrator reads a sequence the admin created afterwards" 1 \
  "$(pg $PGS migrator "SELECT last_value FROM public.${scratch}_id_seq" || true)"
expect_error "pg source: migrator cannot create a table in public" "permission denied" \
  pg $PGS migrator "CREATE TABLE public.${scratch}_denied (id int)"
expect_error "pg source: migrator cannot write" "permission denied" \
  pg $PGS migrator "INSERT INTO public.$scratch (v) VALUES ('y')"
expect_contains "pg source: replication connection IDENTIFY_SYSTEM" "|$(setting ${PGS}_DATABASE)" \
  "$(pg_replication IDENTIFY_SYSTEM || true)"
# A temporary slot is dropped when the session ends, so nothing is left behind.
expect_contains "pg source: migrator creates a logical slot (pgoutput)" "$scratch|" \
  "$(pg_replication "CREATE_REPLICATION_SLOT $scratch TEMPORARY LOGICAL pgoutput" || true)"

echo "== PostgreSQL target"
PGT=TIDEWAY_PG_TARGET
expect_eq "pg target: migrator rolsuper|rolcreaterole" "f|f" \
  "$(pg $PGT migrator 'SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user' || true)"
expect_eq "pg target: migrator creates, fills and drops a table" 1 \
  "$(pg $PGT migrator "CREATE TABLE public.$scratch (id int); INSERT INTO public.$scratch VALUES (1); SELECT count(*) FROM public.$scratch; DROP TABLE public.$scratch" || true)"
expect_eq "pg target: migrator creates and drops a schema" "" \
  "$(pg $PGT migrator "CREATE SCHEMA $scratch; DROP SCHEMA $scratch" || true)"
expect_error "pg target: migrator cannot create roles" "permission denied" \
  pg $PGT migrator "CREATE ROLE $scratch"

echo "== MariaDB source"
MYS=TIDEWAY_MARIADB_SOURCE
expect_eq "mariadb source: log_bin, binlog_format, binlog_row_image, server_id, gtid_strict_mode" \
  "$(printf '1\tROW\tFULL\t1\t1')" \
  "$(my $MYS migrator 'SELECT @@log_bin, @@binlog_format, @@binlog_row_image, @@server_id, @@gtid_strict_mode' || true)"
expect_eq "mariadb source: binlog_checksum, log_slave_updates, gtid_domain_id" \
  "$(printf 'CRC32\t1\t0')" \
  "$(my $MYS migrator 'SELECT @@binlog_checksum, @@log_slave_updates, @@gtid_domain_id' || true)"
grants=$(my $MYS migrator 'SHOW GRANTS' || true)
expect_contains "mariadb source: migrator has REPLICATION SLAVE" "REPLICATION SLAVE" "$grants"
expect_contains "mariadb source: migrator has BINLOG MONITOR" "BINLOG MONITOR" "$grants"
expect_lacks "mariadb source: migrator has no SUPER" "SUPER" "$grants"
expect_lacks "mariadb source: migrator has no ALL PRIVILEGES" "ALL PRIVILEGES" "$grants"
expect_contains "mariadb source: migrator runs SHOW MASTER STATUS" "mariadb-bin." \
  "$(my $MYS migrator 'SHOW MASTER STATUS' || true)"
expect_contains "mariadb source: migrator runs SHOW BINLOG EVENTS" "Format_desc" \
  "$(my $MYS migrator 'SHOW BINLOG EVENTS LIMIT 1' || true)"
if out=$(my $MYS admin "CREATE TABLE $scratch (id int PRIMARY KEY); INSERT INTO $scratch VALUES (1)"); then
  pass "mariadb source: admin creates a table"
else
  fail "mariadb source: admin creates a table" "success" "'$out'"
fi
expect_eq "mariadb source: migrator reads a table the admin created" 1 \
  "$(my $MYS migrator "SELECT count(*) FROM $scratch" || true)"
expect_error "mariadb source: migrator cannot create a table" "denied" \
  my $MYS migrator "CREATE TABLE ${scratch}_denied (id int)"
expect_error "mariadb source: migrator cannot write" "denied" \
  my $MYS migrator "INSERT INTO $scratch VALUES (2)"

echo "== MariaDB target"
MYT=TIDEWAY_MARIADB_TARGET
expect_eq "mariadb target: server_id, log_bin" "$(printf '2\t1')" \
  "$(my $MYT migrator 'SELECT @@server_id, @@log_bin' || true)"
expect_eq "mariadb target: migrator creates, fills and drops a table" 1 \
  "$(my $MYT migrator "CREATE TABLE $scratch (id int PRIMARY KEY); INSERT INTO $scratch VALUES (1); SELECT count(*) FROM $scratch; DROP TABLE $scratch" || true)"
grants=$(my $MYT migrator 'SHOW GRANTS' || true)
expect_contains "mariadb target: migrator has CREATE" "CREATE" "$grants"
expect_lacks "mariadb target: migrator has no SUPER" "SUPER" "$grants"
expect_lacks "mariadb target: migrator has no ALL PRIVILEGES" "ALL PRIVILEGES" "$grants"

echo "users_and_settings_test: $passed passed, $failed failed"
((failed == 0))
