#!/usr/bin/env bash
# HTTP behaviour of a real daemon: auth, JSON errors with the right status for each
# kind of bad request, keep-alive, idle timeout, and /metrics that promtool accepts.
source "$(dirname "$0")/lib.sh"

port=$(free_port)
write_config "$port" "http: {max_body_bytes: 4096, max_header_bytes: 2048, idle_timeout_seconds: 1}"
start_daemon

expect_eq "healthz is public" '200 {"status":"ok"}' "$(call GET /healthz)"
expect_eq "readyz without token" '401 {"error":{"code":"unauthorized","message":"missing bearer token: send '"'"'Authorization: Bearer <token>'"'"'"}}' "$(call GET /readyz)"
expect_eq "wrong token" '401 {"error":{"code":"unauthorized","message":"invalid bearer token"}}' \
  "$(call GET /readyz -H 'Authorization: Bearer wrong')"
expect_eq "readyz with token" '200 {"checks":{"lifecycle":"serving","state_store":"open"},"status":"ready"}' "$(call GET /readyz "${AUTH[@]}")"
expect_contains "version" '"version":"0.1.0"' "$(call GET /v1/version "${AUTH[@]}")"
expect_eq "unknown path" '404 {"error":{"code":"not_found","message":"no such endpoint: /v1/nothing"}}' "$(call GET /v1/nothing "${AUTH[@]}")"
expect_eq "unknown path without token is 401, not 404" "401" "$(call GET /v1/nothing | head -c 3)"
expect_eq "wrong method" '405 {"error":{"code":"method_not_allowed","message":"POST is not allowed here; use GET"}}' "$(call POST /v1/version "${AUTH[@]}")"
allow=$(curl -s -D - -o /dev/null -X DELETE "${AUTH[@]}" "$BASE/v1/version" | tr -d '\r' | sed -n 's/^Allow: //p')
expect_eq "405 carries Allow" "GET" "$allow"

head -c 10000 /dev/zero > "$SCRATCH/big"
expect_eq "oversized body" '413 {"error":{"code":"payload_too_large","message":"request body exceeds 4096 bytes"}}' \
  "$(call POST /v1/version "${AUTH[@]}" --data-binary @"$SCRATCH/big")"
expect_eq "oversized headers" '431 {"error":{"code":"header_fields_too_large","message":"request headers exceed 2048 bytes"}}' \
  "$(call GET /v1/version "${AUTH[@]}" -H "X-Big: $(head -c 3000 /dev/zero | tr '\0' a)")"

# Raw bytes that are not HTTP: 400 JSON, connection closed, daemon unharmed.
raw() {  # raw BYTES: send on a fresh connection, print the response
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf '%b' "$1" >&3
  timeout 5 cat <&3 | tr -d '\r' || true
  exec 3>&-
}
resp=$(raw 'GARBAGE\r\n\r\n')
expect_contains "malformed request line status" "HTTP/1.1 400 Bad Request" "$resp"
expect_contains "malformed request line body" '{"error":{"code":"bad_request","message":"malformed HTTP request: bad method"}}' "$resp"
resp=$(raw 'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n')
expect_contains "bad Content-Length" "HTTP/1.1 400 Bad Request" "$resp"
resp=$(raw 'GET /healthz HTTP/1.1\r\nHost x\r\n\r\n')
expect_contains "malformed header line" "HTTP/1.1 400 Bad Request" "$resp"
resp=$(raw '\x00\x01\x02\x03\xff\r\n\r\n')
expect_contains "binary junk" "HTTP/1.1 400 Bad Request" "$resp"

# Keep-alive: two requests, one connection.
conns=$(curl -s -o /dev/null -o /dev/null -w '%{num_connects}\n' "$BASE/healthz" "$BASE/healthz" | awk '{s += $1} END {print s}')
expect_eq "keep-alive reuses the connection" 1 "$conns"

# Idle timeout: a connection that sends nothing is closed by the server (1 s here).
exec 3<>"/dev/tcp/127.0.0.1/$port"
if timeout 10 cat <&3 >/dev/null; then pass "idle connection closed by the server"; else fail "idle connection still open after 10 s"; fi
exec 3>&-

expect_eq "daemon still healthy after bad requests" '200 {"status":"ok"}' "$(call GET /healthz)"

# Metrics: token required by default; the exposition passes promtool.
expect_eq "metrics need the token" "401" "$(call GET /metrics | head -c 3)"
curl -fsS "${AUTH[@]}" "$BASE/metrics" > "$SCRATCH/metrics.txt"
if promtool check metrics < "$SCRATCH/metrics.txt" > "$SCRATCH/promtool.out" 2>&1; then
  pass "promtool check metrics"
else
  cat "$SCRATCH/promtool.out" >&2; fail "promtool check metrics rejected the exposition"
fi
for series in process_cpu_seconds_total process_resident_memory_bytes process_open_fds \
              process_max_fds process_start_time_seconds process_virtual_memory_bytes; do
  grep -Eq "^$series [0-9.e+]+$" "$SCRATCH/metrics.txt" || fail "missing or non-numeric $series"
  pass "metric $series"
done
expect_contains "build info" 'tideway_build_info{commit="' "$(cat "$SCRATCH/metrics.txt")"
expect_contains "request counter by route" 'tideway_http_requests_total{code="413",method="unknown",route="unmatched"} 1' "$(cat "$SCRATCH/metrics.txt")"
expect_contains "ready gauge" 'tideway_ready 1' "$(cat "$SCRATCH/metrics.txt")"
if grep -q "$TOKEN" "$SCRATCH/metrics.txt" "$SCRATCH/daemon.log"; then fail "token leaked into metrics or log"; fi
pass "token appears in neither metrics nor log"

stop_daemon
write_config "$port" "metrics: {auth: false}"
start_daemon
expect_eq "metrics.auth false makes /metrics public" "200" "$(call GET /metrics | head -c 3)"
expect_eq "and the rest still needs the token" "401" "$(call GET /v1/version | head -c 3)"
stop_daemon
finish
