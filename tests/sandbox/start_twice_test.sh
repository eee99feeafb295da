#!/usr/bin/env bash
# CTest fixture setup for every test that needs the sandbox servers. Starting twice proves
# a second start is harmless (several test runs and developers share the folder), and the
# final queries prove each server answers the migration user over TCP with the password
# from its file, exactly as the C++ tests will connect.
set -euo pipefail

: "${TIDEWAY_SOURCE_DIR:?run through ctest, or set TIDEWAY_SOURCE_DIR to the repository}"
sandbox=$TIDEWAY_SOURCE_DIR/tests/sandbox.sh
dir=${TIDEWAY_SANDBOX_DIR:-/tmp/tideway-sandbox}

fail() {
  echo "start_twice_test: FAIL: $*" >&2
  exit 1
}

echo "== first start"
"$sandbox" start || fail "first start exited with $?"

echo "== second start"
second=$("$sandbox" start) || fail "second start exited with $?"
echo "$second"
already=$(grep -c "already running" <<<"$second" || true)
[[ $already -eq 4 ]] || fail "second start: expected 4 'already running' lines, got $already"

# The env file is the contract with the C++ tests: read it the same way (KEY=VALUE).
setting() {
  local value
  value=$(sed -n "s/^$1=//p" "$dir/env" | tail -n 1)
  [[ -n $value ]] || fail "$dir/env has no $1"
  echo "$value"
}

pg_select_1() {
  local prefix=$1
  PGPASSWORD=$(<"$(setting "${prefix}_PASSWORD_FILE")") \
    psql -X -A -t -v ON_ERROR_STOP=1 -h "$(setting "${prefix}_HOST")" \
    -p "$(setting "${prefix}_PORT")" -U "$(setting "${prefix}_USER")" \
    -d "$(setting "${prefix}_DATABASE")" -c "SELECT 1"
}

mariadb_select_1() {
  local prefix=$1
  MYSQL_PWD=$(<"$(setting "${prefix}_PASSWORD_FILE")") \
    mariadb --no-defaults --batch --skip-column-names -h "$(setting "${prefix}_HOST")" \
    -P "$(setting "${prefix}_PORT")" -u "$(setting "${prefix}_USER")" \
    "$(setting "${prefix}_DATABASE")" -e "SELECT 1"
}

echo "== each server answers the migration user"
for prefix in TIDEWAY_PG_SOURCE TIDEWAY_PG_TARGET; do
  out=$(pg_select_1 "$prefix" 2>&1) || fail "$prefix: SELECT 1 as migrator failed: $out"
  [[ $out == 1 ]] || fail "$prefix: SELECT 1 returned '$out', expected '1'"
  echo "$prefix: ok"
done
for prefix in TIDEWAY_MARIADB_SOURCE TIDEWAY_MARIADB_TARGET; do
  out=$(mariadb_select_1 "$prefix" 2>&1) || fail "$prefix: SELECT 1 as migrator failed: $out"
  [[ $out == 1 ]] || fail "$prefix: SELECT 1 returned '$out', expected '1'"
  echo "$prefix: ok"
done
echo "start_twice_test: passed"
