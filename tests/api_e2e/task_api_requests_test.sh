#!/usr/bin/env bash
# Bad requests to the task API each get their status and a JSON error, none crashes or
# blocks the server; 200 concurrent status requests during a full load are all answered.
source "$(dirname "$0")/pg_lib.sh"

make_databases
src -d "$DB" -c "CREATE TABLE big (id int PRIMARY KEY, pad text)" \
    -c "INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 400000) g" -c "ANALYZE"
port=$(free_port)
write_config "$port"
start_daemon
task_json req full_load > "$SCRATCH/task.json"

check() {  # check NAME STATUS CODE_IN_BODY
  expect_eq "$1: status" "$2" "$(code)"
  expect_eq "$1: error code" "$3" "$(jq -r .error.code "$SCRATCH/resp")"
}

api POST /v1/tasks -d '{"id": "x", "source": {' >/dev/null
check "malformed JSON" 400 invalid_request
expect_contains "malformed JSON names the place" "request body:1:" "$(jq -r .error.message "$SCRATCH/resp")"
api POST /v1/tasks --data-binary "$(jq '.bogus = 1' "$SCRATCH/task.json")" >/dev/null
check "unknown field" 400 invalid_request
expect_contains "unknown field is named" "bogus: unknown key" "$(jq -r .error.message "$SCRATCH/resp")"
api POST /v1/tasks --data-binary "$(jq '.source.port = "abc"' "$SCRATCH/task.json")" >/dev/null
check "wrong type" 400 invalid_request
expect_contains "wrong type names the path and what was expected" "source.port: 'abc' is not valid; expected an integer from 1 to 65535" "$(jq -r .error.message "$SCRATCH/resp")"
api POST /v1/tasks --data-binary "$(jq '.source.password = "s3cret"' "$SCRATCH/task.json")" >/dev/null
check "inline password" 400 invalid_request
expect_eq "the password is not echoed" "" "$(grep -o s3cret "$SCRATCH/resp" || true)"
head -c 2000000 /dev/zero | tr '\0' ' ' > "$SCRATCH/huge"
api POST /v1/tasks --data-binary @"$SCRATCH/huge" >/dev/null
check "oversized body" 413 payload_too_large
curl -s -o "$SCRATCH/resp" -w '%{http_code}' -X POST --data-binary @"$SCRATCH/task.json" "$BASE/v1/tasks" > "$SCRATCH/code"
check "missing token" 401 unauthorized
api GET /v1/tasks/nope >/dev/null
check "unknown task" 404 not_found
api POST /v1/tasks --data-binary @"$SCRATCH/task.json" >/dev/null
expect_eq "valid create" 201 "$(code)"
api POST /v1/tasks --data-binary @"$SCRATCH/task.json" >/dev/null
check "duplicate id" 409 already_exists
api POST /v1/tasks/req/pause >/dev/null
check "wrong state" 409 conflict
expect_eq "409 carries the state" created "$(jq -r .error.state "$SCRATCH/resp")"
api GET "/v1/tasks/req/events?after=abc" >/dev/null
check "non-numeric event cursor" 400 invalid_request
expect_contains "the bad parameter is named" "query parameter after" "$(jq -r .error.message "$SCRATCH/resp")"
api GET "/v1/tasks/req/events?limit=-5" >/dev/null
check "negative page size" 400 invalid_request
api POST /v1/tasks --data-binary "$(jq '.id = "mixed" | .target.engine = "mariadb"' "$SCRATCH/task.json")" >/dev/null
check "an engine pair this build does not run" 400 invalid_request
expect_contains "the pair is named" "postgresql -> mariadb" "$(jq -r .error.message "$SCRATCH/resp")"
api POST /v1/tasks/req/frobnicate >/dev/null
check "unknown action" 404 not_found
api POST /v1/tasks/req/cutover -d '{"fence": "none", "bogus": true}' >/dev/null
check "unknown cutover option" 400 invalid_request
api POST /v1/tasks/req/cutover -d '{"timeout_seconds": "soon"}' >/dev/null
check "wrong cutover option type" 400 invalid_request

# 200 concurrent status requests while the full load runs.
api POST /v1/tasks/req/start >/dev/null
expect_eq "start" 200 "$(code)"
for _ in $(seq 1 200); do printf 'url = "%s/v1/tasks/req"\n' "$BASE"; done > "$SCRATCH/urls"
# The assessment runs first; the burst goes out once the copy has begun.
for _ in $(seq 1 300); do [ "$(state_of req)" = loading ] && break; sleep 0.1; done
state_now=$(state_of req)
curl -s --parallel --parallel-max 200 -K "$SCRATCH/urls" "${AUTH[@]}" -o /dev/null -w '%{http_code}\n' > "$SCRATCH/codes" 2>/dev/null || true
expect_eq "the load was running during the burst" loading "$state_now"
expect_eq "200 concurrent status requests answered" 200 "$(grep -c '^200$' "$SCRATCH/codes")"
wait_state req loaded 180
require_identical big
expect_eq "daemon healthy after all that" '200 {"status":"ok"}' "$(call GET /healthz)"
stop_daemon
finish
