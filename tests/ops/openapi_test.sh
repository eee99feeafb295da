#!/usr/bin/env bash
# deploy/openapi.yaml against the implementation: the document is structurally OpenAPI
# 3.0 (openapi_check, built with yaml-cpp), every route the daemon registers is
# documented, and every documented operation, called on a live daemon, answers with a
# status the document lists for it, from the operation itself (not the router's "no such
# endpoint" or 405), with the JSON properties its schema names. No database needed: task
# calls use an unknown task, or a task whose source cannot be reached.
source "$(dirname "$0")/../daemon/lib.sh"
: "${TIDEWAY_OPENAPI_CHECK:?run through ctest (TIDEWAY_OPENAPI_CHECK names the checker)}"
DOC="$TIDEWAY_SOURCE_DIR/deploy/openapi.yaml"

"$TIDEWAY_OPENAPI_CHECK" "$DOC" > "$SCRATCH/doc.txt" 2> "$SCRATCH/doc.err" || {
  cat "$SCRATCH/doc.err" >&2
  fail "openapi_check rejects deploy/openapi.yaml"
}
pass "openapi.yaml is structurally OpenAPI 3.0 (refs, parameters, operation ids, responses)"
grep '^OP ' "$SCRATCH/doc.txt" | cut -d' ' -f2,3 | sort > "$SCRATCH/documented"

# Routes as registered in the daemon's sources; {action} stands for the actions the task
# route accepts (its kActions list, plus cutover, which is handled before it).
grep -ho 'router\.add(verb::[a-z_]*, "[^"]*"' "$TIDEWAY_SOURCE_DIR"/daemon/*.cpp |
  sed -E 's/router\.add\(verb::([a-z]+)_?, "([^"]*)"/\1 \2/' |
  awk '{ print toupper($1), $2 }' > "$SCRATCH/routes.raw"
actions=$(sed -n 's/.*kActions\[\] = {\(.*\)};/\1/p' "$TIDEWAY_SOURCE_DIR/daemon/task_routes.cpp" | tr -d '"' | tr ',' ' ')
[ -n "$actions" ] || fail "could not read the action list from daemon/task_routes.cpp"
while read -r method route; do
  case "$route" in
    */\{action\})
      for a in $actions cutover; do echo "$method ${route%\{action\}}$a"; done ;;
    *) echo "$method $route" ;;
  esac
done < "$SCRATCH/routes.raw" | sort > "$SCRATCH/implemented"
expect_eq "routes found in the daemon's sources" 18 "$(wc -l < "$SCRATCH/implemented")"
expect_eq "every implemented route is documented, and nothing else" \
  "" "$(diff "$SCRATCH/implemented" "$SCRATCH/documented" || true)"

port=$(free_port)
write_config "$port"
start_daemon

# A task that exists but whose source is unreachable: create answers 201, start leads
# to failed; pause on it is a 409 with state and allowed_actions.
jq -n '{id: "doc", mode: "full_load_and_cdc",
  source: {engine: "postgresql", host: "127.0.0.1", port: 1, database: "d", user: "u", password_env: "NO_SUCH_PW"},
  target: {engine: "postgresql", host: "127.0.0.1", port: 1, database: "d", user: "u", password_env: "NO_SUCH_PW"}}' > "$SCRATCH/task.json"

documented_codes() {  # documented_codes METHOD PATH -> "200,401,..."
  awk -v m="$1" -v p="$2" '$1 == "OP" && $2 == m && $3 == p { print $5 }' "$SCRATCH/doc.txt"
}
auth_of() { awk -v m="$1" -v p="$2" '$1 == "OP" && $2 == m && $3 == p { print $4 }' "$SCRATCH/doc.txt"; }
schema_field() {  # schema_field NAME required|properties
  awk -v n="$1" -v f="$2" '$1 == "SCHEMA" && $2 == n { for (i = 3; i <= NF; i++) if (index($i, f "=") == 1) print substr($i, length(f) + 2) }' "$SCRATCH/doc.txt" | tr ',' ' '
}
# The JSON object's keys are all documented properties and include the required ones.
expect_schema() {  # expect_schema WHAT SCHEMA JSON
  local key props required
  props=" $(schema_field "$2" properties) "
  required=$(schema_field "$2" required)
  for key in $(jq -r 'keys[]' <<<"$3"); do
    case "$props" in *" $key "*) ;; *) fail "$1: property '$key' is not in schema $2 (documented: $props)";; esac
  done
  for key in $required; do
    [ "$key" = - ] && continue
    jq -e --arg k "$key" 'has($k)' <<<"$3" >/dev/null || fail "$1: required property '$key' of schema $2 is missing"
  done
  pass "$1 matches schema $2"
}
# Sends the request; asserts its status is documented and comes from the operation.
probe() {  # probe METHOD DOC_PATH URL_PATH [curl args...]
  local method=$1 doc_path=$2 path=$3
  shift 3
  local r status codes
  r=$(call "$method" "$path" "$@")
  status=${r%% *}
  codes=$(documented_codes "$method" "$doc_path")
  [ -n "$codes" ] || fail "$method $doc_path is not documented"
  case ",$codes," in *",$status,"*) ;; *) fail "$method $path answered $status, not one of the documented $codes: ${r#* }";; esac
  case "$r" in *"no such endpoint"*|*"no such action"*|*method_not_allowed*)
    fail "$method $path was not routed to its operation: $r";; esac
  pass "$method $path answers $status (documented: $codes)"
  BODY=${r#* }
}

probe GET /healthz /healthz
expect_schema "healthz body" Health "$BODY"
probe GET /readyz /readyz "${AUTH[@]}"
expect_schema "readyz body" Readiness "$BODY"
probe GET /metrics /metrics "${AUTH[@]}"
probe GET /v1/version /v1/version "${AUTH[@]}"
expect_schema "version body" Version "$BODY"
probe GET /v1/tasks /v1/tasks "${AUTH[@]}"
probe POST /v1/tasks /v1/tasks "${AUTH[@]}" -d '{}'
expect_eq "an empty spec is a 400 invalid_request" "400 invalid_request" "$(cat "$SCRATCH/code") $(jq -r .error.code "$SCRATCH/body")"
probe POST /v1/tasks /v1/tasks "${AUTH[@]}" --data-binary @"$SCRATCH/task.json"
expect_eq "create answers 201" 201 "$(cat "$SCRATCH/code")"
expect_schema "created task" Task "$BODY"
expect_schema "created task's stream" StreamStatus "$(jq .stream <<<"$BODY")"
expect_schema "created task's spec" TaskSpec "$(jq .spec <<<"$BODY")"
expect_schema "created task's source" Endpoint "$(jq .spec.source <<<"$BODY")"
probe GET /v1/tasks /v1/tasks "${AUTH[@]}"
expect_eq "the list holds the task" doc "$(jq -r '.tasks[0].id' <<<"$BODY")"
probe GET "/v1/tasks/{id}" /v1/tasks/doc "${AUTH[@]}"
expect_schema "task view" Task "$BODY"

for a in start pause resume stop validate cutover; do
  probe POST "/v1/tasks/{id}/$a" "/v1/tasks/no-such-task/$a" "${AUTH[@]}"
  expect_eq "$a on an unknown task names it" "no task no-such-task" "$(jq -r .error.message "$SCRATCH/body")"
done
probe POST "/v1/tasks/{id}/pause" /v1/tasks/doc/pause "${AUTH[@]}"
expect_eq "pause of a created task is a 409" 409 "$(cat "$SCRATCH/code")"
expect_schema "409 error" Error "$BODY"
expect_eq "409 names the state and the allowed actions" 'created ["start","stop","delete"]' \
  "$(jq -r .error.state <<<"$BODY") $(jq -c .error.allowed_actions <<<"$BODY")"
probe POST "/v1/tasks/{id}/cutover" "/v1/tasks/doc/cutover?dry_run=true" "${AUTH[@]}"
expect_eq "a dry run of a created task is a 409" 409 "$(cat "$SCRATCH/code")"
probe POST "/v1/tasks/{id}/cutover" /v1/tasks/doc/cutover "${AUTH[@]}" -d '{"fence": "none", "bogus": 1}'
expect_eq "an unknown cutover option is a 400" 400 "$(cat "$SCRATCH/code")"
probe POST "/v1/tasks/{id}/start" /v1/tasks/doc/start "${AUTH[@]}" -d '{"unexpected": true}'
expect_eq "an action with options it does not take is a 400" 400 "$(cat "$SCRATCH/code")"
probe POST "/v1/tasks/{id}/start" /v1/tasks/doc/start "${AUTH[@]}"
expect_eq "start answers 200" 200 "$(cat "$SCRATCH/code")"
for _ in $(seq 1 100); do
  [ "$(call GET /v1/tasks/doc "${AUTH[@]}" | cut -d' ' -f2- | jq -r .state)" = failed ] && break
  sleep 0.1
done
body=$(call GET /v1/tasks/doc "${AUTH[@]}" | cut -d' ' -f2-)
expect_eq "a task whose source is unreachable fails" failed "$(jq -r .state <<<"$body")"
expect_schema "failed task view" Task "$body"

probe GET "/v1/tasks/{id}/events" "/v1/tasks/doc/events?after=0&limit=2" "${AUTH[@]}"
expect_eq "events page holds at most limit entries" 2 "$(jq '.events | length' <<<"$BODY")"
expect_schema "journal entry" JournalEntry "$(jq '.events[0]' <<<"$BODY")"
next=$(jq .next_after <<<"$BODY")
probe GET "/v1/tasks/{id}/events" "/v1/tasks/doc/events?after=$next" "${AUTH[@]}"
expect_eq "the next page starts after next_after" "$((next + 1))" "$(jq '.events[0].seq' <<<"$BODY")"
probe GET "/v1/tasks/{id}/report" /v1/tasks/doc/report "${AUTH[@]}"
expect_schema "report" Report "$BODY"
r=$(call GET /v1/tasks/doc/report "${AUTH[@]}" -H 'Accept: text/markdown')
expect_contains "report as markdown" "# Migration report: doc" "$r"
probe GET "/v1/tasks/{id}/events" /v1/tasks/no-such-task/events "${AUTH[@]}"
probe GET "/v1/tasks/{id}/report" /v1/tasks/no-such-task/report "${AUTH[@]}"
probe DELETE "/v1/tasks/{id}" /v1/tasks/no-such-task "${AUTH[@]}"
probe DELETE "/v1/tasks/{id}" /v1/tasks/doc "${AUTH[@]}"
expect_eq "delete of a failed task answers 200" 200 "$(cat "$SCRATCH/code")"
expect_schema "delete answer" Deleted "$BODY"
probe GET "/v1/tasks/{id}" /v1/tasks/doc "${AUTH[@]}"
expect_eq "the deleted task is gone" 404 "$(cat "$SCRATCH/code")"

# Assessments: a request the daemon refuses, and one whose source cannot be reached,
# which is accepted and then fails with the reason.
probe POST /v1/assessments /v1/assessments "${AUTH[@]}" -d '{}'
expect_eq "an assessment without a source is a 400" "400 invalid_request" "$(cat "$SCRATCH/code") $(jq -r .error.code "$SCRATCH/body")"
probe POST /v1/assessments /v1/assessments "${AUTH[@]}" \
  -d '{"source": "postgresql://u@127.0.0.1:1/d", "source_password_env": "NO_SUCH_PW", "sample_seconds": 0}'
expect_eq "an assessment is accepted" 202 "$(cat "$SCRATCH/code")"
expect_schema "accepted assessment" Assessment "$BODY"
aid=$(jq -r .id <<<"$BODY")
for _ in $(seq 1 100); do
  [ "$(call GET "/v1/assessments/$aid" "${AUTH[@]}" | cut -d' ' -f2- | jq -r .state)" = failed ] && break
  sleep 0.1
done
probe GET "/v1/assessments/{id}" "/v1/assessments/$aid" "${AUTH[@]}"
expect_schema "failed assessment" Assessment "$BODY"
expect_eq "the assessment failed, naming the missing password" "failed NO_SUCH_PW" \
  "$(jq -r .state <<<"$BODY") $(jq -r .error.message <<<"$BODY" | grep -o NO_SUCH_PW | head -n 1)"
probe GET "/v1/assessments/{id}" "/v1/assessments/$aid?format=markdown" "${AUTH[@]}"
expect_eq "no markdown report for a failed assessment" 409 "$(cat "$SCRATCH/code")"
probe GET "/v1/assessments/{id}" /v1/assessments/no-such-assessment "${AUTH[@]}"
expect_eq "an unknown assessment is a 404" 404 "$(cat "$SCRATCH/code")"

# Without the token: 401 exactly where the document says a token is needed (or may be).
while read -r _ method path auth _; do
  url=${path//\{id\}/doc}
  r=$(call "$method" "$url")
  case "$auth" in
    token|optional) expect_eq "$method $path without a token is 401" 401 "${r%% *}" ;;
    none) [ "${r%% *}" != 401 ] || fail "$method $path is documented as public but answered 401"
          pass "$method $path is public" ;;
  esac
done < <(grep '^OP ' "$SCRATCH/doc.txt")

# Statuses every path can give, as the document's description says.
r=$(call PUT /v1/tasks "${AUTH[@]}")
expect_eq "a method a path does not have is 405 method_not_allowed" "405 method_not_allowed" "${r%% *} $(jq -r .error.code <<<"${r#* }")"
stop_daemon
expect_eq "daemon stops cleanly" 0 "$STOP_RC"
finish
