#!/usr/bin/env bash
# The main job, for a first look: installs dependencies, builds, starts the four sandbox
# database servers, runs the tideway daemon against a scratch data_dir and shows what an
# operator sees: health, readiness, version and metrics. Run as root on Debian 12:
#   ./deploy/demo.sh            (add --keep to leave the daemon and servers running)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${TIDEWAY_BUILD_DIR:-$root/build}
demo=${TIDEWAY_DEMO_DIR:-/tmp/tideway-demo}
port=${TIDEWAY_DEMO_PORT:-8432}
keep=0
[ "${1:-}" = "--keep" ] && keep=1

step() { printf '\n== %s\n' "$*"; }

step "installing dependencies"
"$root/deploy/install-deps.sh"

step "building"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --parallel "$(nproc)"
bin="$build/daemon/tideway"

step "starting the sandbox servers (PostgreSQL 15 and MariaDB 10.11, source and target)"
"$root/tests/sandbox.sh" start

step "starting the daemon"
mkdir -p "$demo"
chmod 700 "$demo"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$demo/token"
chmod 600 "$demo/token"
cat > "$demo/tideway.yaml" <<YAML
listen: 127.0.0.1:$port
data_dir: $demo/data
auth:
  token_file: $demo/token
log:
  level: info
YAML
"$bin" serve --config "$demo/tideway.yaml" 2>"$demo/daemon.log" &
pid=$!
stop_daemon() { kill -TERM "$pid" 2>/dev/null && wait "$pid" || true; }
[ "$keep" = 1 ] || trap stop_daemon EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$demo/daemon.log"; exit 1; }
  sleep 0.1
done
token=$(cat "$demo/token")
auth=(-H "Authorization: Bearer $token")

step "GET /healthz (public)"
curl -sS "http://127.0.0.1:$port/healthz"
step "GET /readyz without the token (refused)"
curl -sS "http://127.0.0.1:$port/readyz"
step "GET /readyz"
curl -sS "${auth[@]}" "http://127.0.0.1:$port/readyz"
step "GET /v1/version"
curl -sS "${auth[@]}" "http://127.0.0.1:$port/v1/version"
step "GET /metrics (process and build series)"
curl -sS "${auth[@]}" "http://127.0.0.1:$port/metrics" | grep -E '^(process_|tideway_build_info|tideway_ready)'
step "daemon log"
cat "$demo/daemon.log"

if [ "$keep" = 1 ]; then
  step "left running: daemon pid $pid on 127.0.0.1:$port (token in $demo/token); stop with: kill $pid; $root/tests/sandbox.sh stop"
else
  step "stopping the daemon and the sandbox servers"
  stop_daemon
  trap - EXIT
  "$root/tests/sandbox.sh" stop
  tail -n 1 "$demo/daemon.log"
fi
