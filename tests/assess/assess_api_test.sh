#!/usr/bin/env bash
# The assessment API on a live daemon against the sandbox's MariaDB source: POST answers
# 202 at once, the assessment runs in the background, GET shows it running and then its
# report (JSON, Markdown, HTML); bad requests are 400s that name the field, and a
# password in the URL is refused.
source "$(dirname "$0")/../daemon/lib.sh"
eval "$("$TIDEWAY_SOURCE_DIR/tests/sandbox.sh" env)"
MY_ADMIN_PW=$(cat "$TIDEWAY_MARIADB_SOURCE_ADMIN_PASSWORD_FILE")
DB="aapi_$$"
my() { MYSQL_PWD=$MY_ADMIN_PW mariadb --no-defaults -h 127.0.0.1 -P "$TIDEWAY_MARIADB_SOURCE_PORT" -u "$TIDEWAY_MARIADB_SOURCE_ADMIN_USER" "$@"; }
trap 'cleanup; my -e "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true' EXIT
my -e "CREATE DATABASE $DB; SET SESSION sql_mode = ''; CREATE TABLE $DB.t (id INT PRIMARY KEY, d DATE NOT NULL DEFAULT '0000-00-00', big BIGINT UNSIGNED)"

port=$(free_port)
write_config "$port"
start_daemon
URL="mariadb://$TIDEWAY_MARIADB_SOURCE_USER@127.0.0.1:$TIDEWAY_MARIADB_SOURCE_PORT/$DB"

r=$(call POST /v1/assessments "${AUTH[@]}" -d "{\"source\": \"mariadb://u:pw@127.0.0.1:1/x\", \"source_password_env\": \"X\"}")
expect_eq "a password in the URL is refused" 400 "${r%% *}"
expect_contains "the refusal names the alternative" "source_password_file" "${r#* }"
r=$(call POST /v1/assessments "${AUTH[@]}" -d "{\"source\": \"$URL\"}")
expect_eq "a source without a password source is refused" 400 "${r%% *}"
r=$(call POST /v1/assessments "${AUTH[@]}" -d "{\"source\": \"$URL\", \"source_password_env\": \"X\", \"sample_seconds\": 9999}")
expect_contains "sample_seconds out of range names the field" '$.sample_seconds' "${r#* }"
r=$(call POST /v1/assessments -d "{\"source\": \"$URL\"}")
expect_eq "no token: 401" 401 "${r%% *}"

body=$(jq -n --arg url "$URL" --arg pw "$TIDEWAY_MARIADB_SOURCE_PASSWORD_FILE" \
  '{source: $url, source_password_file: $pw, target_engine: "postgresql:16", sample_seconds: 2}')
r=$(call POST /v1/assessments "${AUTH[@]}" -d "$body")
expect_eq "POST answers 202" 202 "${r%% *}"
expect_eq "it is running" running "$(jq -r .state <<<"${r#* }")"
id=$(jq -r .id <<<"${r#* }")
state=running
for _ in $(seq 1 200); do
  r=$(call GET "/v1/assessments/$id" "${AUTH[@]}")
  state=$(jq -r .state <<<"${r#* }")
  [ "$state" = running ] || break
  sleep 0.1
done
expect_eq "the assessment is done" done "$state"
expect_eq "its verdict" blocked "$(jq -r .verdict <<<"${r#* }")"
expect_eq "the report's blockers" "mysql_pg.zero_date_default $DB.t.d" \
  "$(jq -r '.report.findings[] | select(.severity == "blocker") | "\(.id) \(.object)"' <<<"${r#* }")"
expect_eq "the report sampled 2 s" 2 "$(jq -r '.report.activity.sample_seconds | floor' <<<"${r#* }")"
r=$(call GET "/v1/assessments/$id?format=markdown" "${AUTH[@]}")
expect_contains "markdown report" "**Verdict: Blocked**" "$r"
r=$(call GET "/v1/assessments/$id" "${AUTH[@]}" -H 'Accept: text/html')
expect_contains "html report by Accept" "<svg" "$r"
r=$(call GET "/v1/assessments/$id?format=pdf" "${AUTH[@]}")
expect_eq "an unknown format is a 400" 400 "${r%% *}"
case "$(cat "$SCRATCH/daemon.log")" in *"$(cat "$TIDEWAY_MARIADB_SOURCE_PASSWORD_FILE")"*) fail "the password is in the daemon's log" ;; esac
pass "the password is not in the daemon's log"
stop_daemon
expect_eq "daemon stops cleanly" 0 "$STOP_RC"
finish
