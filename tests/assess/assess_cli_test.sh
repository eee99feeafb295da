#!/usr/bin/env bash
# `tideway assess` as an operator runs it, against the sandbox's MariaDB and PostgreSQL
# sources: exit code 0 for a clean database, 3 with blockers, 2 for usage and connection
# errors (with one clear line, never the password); JSON, Markdown and HTML output, to
# stdout or a file.
source "$(dirname "$0")/../daemon/lib.sh"
eval "$("$TIDEWAY_SOURCE_DIR/tests/sandbox.sh" env)"
MY_ADMIN_PW=$(cat "$TIDEWAY_MARIADB_SOURCE_ADMIN_PASSWORD_FILE")
PG_ADMIN_PW=$(cat "$TIDEWAY_PG_SOURCE_ADMIN_PASSWORD_FILE")
DB="acli_$$"
my() { MYSQL_PWD=$MY_ADMIN_PW mariadb --no-defaults -h 127.0.0.1 -P "$TIDEWAY_MARIADB_SOURCE_PORT" -u "$TIDEWAY_MARIADB_SOURCE_ADMIN_USER" "$@"; }
pg() { PGPASSWORD=$PG_ADMIN_PW psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$TIDEWAY_PG_SOURCE_PORT" -U "$TIDEWAY_PG_SOURCE_ADMIN_USER" "$@"; }
cli_cleanup() {
  my -e "DROP DATABASE IF EXISTS $DB; DROP DATABASE IF EXISTS ${DB}_bad" >/dev/null 2>&1 || true
  pg -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap 'cleanup; cli_cleanup' EXIT

MY_URL="mariadb://$TIDEWAY_MARIADB_SOURCE_USER@127.0.0.1:$TIDEWAY_MARIADB_SOURCE_PORT"
MY_PW=(--source-password-file "$TIDEWAY_MARIADB_SOURCE_PASSWORD_FILE")
run() {  # run ARGS...: sets RC, OUT (stdout), ERR (stderr)
  set +e
  "$TIDEWAY_BIN" assess "$@" > "$SCRATCH/out" 2> "$SCRATCH/err"
  RC=$?
  set -e
  OUT=$(cat "$SCRATCH/out")
  ERR=$(cat "$SCRATCH/err")
}

# Usage errors: 2, one line naming the problem.
run
expect_eq "no source is a usage error" 2 "$RC"
expect_contains "no source: message" "give exactly one of --source URL and --source-task FILE" "$ERR"
run --source "$MY_URL/x" --format pdf
expect_eq "unknown format" 2 "$RC"
expect_contains "unknown format: message" "expected json, markdown or html" "$ERR"
run --source "ftp://u@h/db"
expect_eq "bad URL scheme" 2 "$RC"
run --source "$MY_URL/x" --target-engine oracle:19
expect_eq "unknown target engine" 2 "$RC"
expect_contains "unknown target engine: message" "expected postgresql:N" "$ERR"
run --source "$MY_URL/x" --sample-seconds -1
expect_eq "negative sample" 2 "$RC"

# Connection errors: 2, naming the server, never the password.
run --source "mariadb://u:SecretPw123@127.0.0.1:1/db" --sample-seconds 0
expect_eq "unreachable server" 2 "$RC"
expect_contains "unreachable: names the server" "127.0.0.1:1" "$ERR"
run --source "mariadb://$TIDEWAY_MARIADB_SOURCE_USER:WrongPw7781@127.0.0.1:$TIDEWAY_MARIADB_SOURCE_PORT/sandbox" --sample-seconds 0
expect_eq "wrong password" 2 "$RC"
case "$ERR$OUT" in *WrongPw7781*) fail "the password appears in the output: $ERR" ;; esac
pass "the wrong password is not echoed"
run --source "$MY_URL/sandbox" --sample-seconds 0   # no file, no TIDEWAY_SOURCE_PASSWORD
expect_eq "no password anywhere" 2 "$RC"
expect_contains "no password: names the variable" "TIDEWAY_SOURCE_PASSWORD" "$ERR"

# A clean database: ready, exit 0, in every format.
my -e "CREATE DATABASE $DB; CREATE TABLE $DB.orders (id INT PRIMARY KEY, note VARCHAR(20)); INSERT INTO $DB.orders VALUES (1, 'a')"
run --source "$MY_URL/$DB" "${MY_PW[@]}" --sample-seconds 1 --format json
expect_eq "clean source exits 0" 0 "$RC"
expect_eq "clean source: verdict ready" ready "$(jq -r .verdict <<<"$OUT")"
expect_eq "JSON names its schema version" 1 "$(jq -r .schema_version <<<"$OUT")"
expect_eq "JSON inventory holds the table" orders "$(jq -r '.inventory.schemas[0].tables[0].name' <<<"$OUT")"
expect_contains "stderr summary" "verdict ready (0 blockers" "$ERR"
TIDEWAY_SOURCE_PASSWORD=$(cat "$TIDEWAY_MARIADB_SOURCE_PASSWORD_FILE") run --source "$MY_URL/$DB" --sample-seconds 0 --format markdown
expect_eq "password from the environment" 0 "$RC"
expect_contains "markdown verdict" "**Verdict: Ready**" "$OUT"
run --source "$MY_URL/$DB" "${MY_PW[@]}" --sample-seconds 0 --format html --output "$SCRATCH/report.html"
expect_eq "html to a file exits 0" 0 "$RC"
expect_eq "nothing on stdout with --output" "" "$OUT"
html=$(cat "$SCRATCH/report.html")
expect_contains "html has the severity summary" 'id="severity-summary"' "$html"
expect_contains "html has an inline SVG chart" "<svg" "$html"
case "$html" in *"<script"*|*"<link"*|*" src="*) fail "the HTML report loads something" ;; esac
pass "html is self-contained"

# Blockers: exit 3 (a zero-date default and NUL bytes in text, for a PostgreSQL target).
my -e "CREATE DATABASE ${DB}_bad; SET SESSION sql_mode = ''; CREATE TABLE ${DB}_bad.t (id INT PRIMARY KEY, d DATE NOT NULL DEFAULT '0000-00-00', s TEXT); INSERT INTO ${DB}_bad.t VALUES (1, '2020-01-01', X'410042')"
run --source "$MY_URL/${DB}_bad" "${MY_PW[@]}" --sample-seconds 0 --target-engine postgresql:16 --format json
expect_eq "blockers exit 3" 3 "$RC"
expect_eq "verdict blocked" blocked "$(jq -r .verdict <<<"$OUT")"
expect_eq "the blockers by id" "mysql_pg.nul_bytes mysql_pg.zero_date_default" \
  "$(jq -r '[.findings[] | select(.severity == "blocker") | .id] | sort | join(" ")' <<<"$OUT")"
run --source "$MY_URL/${DB}_bad" "${MY_PW[@]}" --sample-seconds 0 --format json
expect_eq "same source, no target: nothing blocks" 0 "$RC"

# PostgreSQL source through a task spec file.
pg -d postgres -c "CREATE DATABASE $DB"
pg -d "$DB" -c "CREATE TABLE keyless (a int)" -c "GRANT SELECT ON keyless TO $TIDEWAY_PG_SOURCE_USER"
cat > "$SCRATCH/task.yaml" <<YAML
id: assess-cli
source: {engine: postgresql, host: 127.0.0.1, port: $TIDEWAY_PG_SOURCE_PORT, database: $DB, user: $TIDEWAY_PG_SOURCE_USER, password_file: $TIDEWAY_PG_SOURCE_PASSWORD_FILE}
target: {engine: postgresql, host: 127.0.0.1, port: $TIDEWAY_PG_TARGET_PORT, database: $TIDEWAY_PG_TARGET_DATABASE, user: $TIDEWAY_PG_TARGET_USER, password_file: $TIDEWAY_PG_TARGET_PASSWORD_FILE}
YAML
run --source-task "$SCRATCH/task.yaml" --sample-seconds 0 --format json
expect_eq "task spec source with a keyless table: blockers" 3 "$RC"
expect_eq "the keyless table is the blocker" "pg.no_replica_identity public.keyless" \
  "$(jq -r '.findings[] | select(.severity == "blocker") | "\(.id) \(.object)"' <<<"$OUT")"
expect_eq "the task's target was connected" true "$(jq -r .target.reachable <<<"$OUT")"
finish
