# Shared helpers for the daemon's process tests: a scratch dir, a config, a running
# daemon on a free port, and assertions that print expected vs actual.
set -euo pipefail

: "${TIDEWAY_BIN:?run through ctest (TIDEWAY_BIN names the tideway binary)}"
SCRATCH=$(mktemp -d /tmp/tideway_proc_test.XXXXXX)
DAEMON_PID=""
cleanup() {
  if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -KILL "$DAEMON_PID" 2>/dev/null || true
  fi
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { checks=$((checks + 1)); echo "ok: $*"; }
expect_eq() {  # expect_eq WHAT EXPECTED ACTUAL
  [ "$2" = "$3" ] || fail "$1: expected [$2], got [$3]"
  pass "$1"
}
expect_contains() {  # expect_contains WHAT NEEDLE HAYSTACK
  case "$3" in *"$2"*) pass "$1" ;; *) fail "$1: expected to contain [$2], got [$3]" ;; esac
}

# A free loopback port: bind to port 0 via the daemon itself would need log parsing;
# probing with bash's /dev/tcp keeps this dependency-free. The range stays below Linux's
# ephemeral ports (32768 and up): there, the many client connections of parallel tests
# can take the port between the probe and the daemon's bind.
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return; fi
  done
  fail "no free port found"
}

# A TLS test sets SCHEME=https and CURL_TLS=(--cacert FILE) before start_daemon; start_daemon
# and call then speak HTTPS.
SCHEME=http
CURL_TLS=()

TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$TOKEN" > "$SCRATCH/token"
chmod 600 "$SCRATCH/token"

write_config() {  # write_config PORT [EXTRA_YAML]
  cat > "$SCRATCH/tideway.yaml" <<YAML
listen: 127.0.0.1:$1
data_dir: $SCRATCH/data
auth:
  token_file: $SCRATCH/token
shutdown_timeout_seconds: 10
${2:-}
YAML
}

start_daemon() {  # start_daemon: runs with $SCRATCH/tideway.yaml, waits for /healthz
  "$TIDEWAY_BIN" serve --config "$SCRATCH/tideway.yaml" 2>>"$SCRATCH/daemon.log" &
  DAEMON_PID=$!
  local port
  port=$(sed -n 's/^listen: 127.0.0.1:\([0-9]*\)$/\1/p' "$SCRATCH/tideway.yaml")
  BASE="$SCHEME://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    if curl -fsS "${CURL_TLS[@]}" "$BASE/healthz" >/dev/null 2>&1; then return 0; fi
    kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$SCRATCH/daemon.log" >&2; fail "daemon exited at start"; }
    sleep 0.1
  done
  cat "$SCRATCH/daemon.log" >&2
  fail "daemon did not answer /healthz within 10 s"
}

stop_daemon() {  # stop_daemon: SIGTERM and wait; sets STOP_RC
  kill -TERM "$DAEMON_PID"
  set +e
  wait "$DAEMON_PID"
  STOP_RC=$?
  set -e
  DAEMON_PID=""
}

# curl wrapper: prints "<status> <body>"
call() {  # call METHOD PATH [curl args...]
  local method=$1 path=$2
  shift 2
  curl -s -o "$SCRATCH/body" -w '%{http_code}' -X "$method" "${CURL_TLS[@]}" "$@" "$BASE$path" > "$SCRATCH/code"
  echo "$(cat "$SCRATCH/code") $(cat "$SCRATCH/body")"
}
# The Authorization header as curl arguments; call set_auth again after TOKEN changes.
set_auth() { AUTH=(-H "Authorization: Bearer $TOKEN"); }
set_auth

finish() { echo "$checks passed, 0 failed"; }
