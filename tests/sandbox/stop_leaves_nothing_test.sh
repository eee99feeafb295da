#!/usr/bin/env bash
# CTest fixture cleanup: stopping the sandbox must leave no server process and no open
# port behind, or the next run (and other people's work on this machine) trips over it.
set -euo pipefail

: "${TIDEWAY_SOURCE_DIR:?run through ctest, or set TIDEWAY_SOURCE_DIR to the repository}"
sandbox=$TIDEWAY_SOURCE_DIR/tests/sandbox.sh
dir=$(realpath -m -- "${TIDEWAY_SANDBOX_DIR:-/tmp/tideway-sandbox}")

failures=0
fail() {
  echo "stop_leaves_nothing_test: FAIL: $*" >&2
  failures=$((failures + 1))
}

"$sandbox" stop || fail "sandbox.sh stop exited with $?"

# Processes naming the sandbox folder, except this script and its callers (a shell that
# started the test may mention the folder in its own command line).
ancestors=" "
pid=$$
while [[ $pid =~ ^[0-9]+$ ]] && ((pid > 1)); do
  ancestors+="$pid "
  pid=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null || true)
done
pattern="$(sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"$dir")(/| |$)"
for p in $(pgrep -f -- "$pattern" || true); do
  [[ $ancestors == *" $p "* ]] && continue
  fail "process still running: $(ps -o pid=,user=,args= -p "$p" || echo "$p")"
done

# Ports the servers last used (from the env file), else the defaults.
port_setting() {
  local value=""
  [[ -f $dir/env ]] && value=$(sed -n "s/^$1=//p" "$dir/env" | tail -n 1)
  echo "${value:-$2}"
}
for entry in TIDEWAY_PG_SOURCE_PORT:15432 TIDEWAY_PG_TARGET_PORT:15433 \
  TIDEWAY_MARIADB_SOURCE_PORT:13306 TIDEWAY_MARIADB_TARGET_PORT:13307; do
  port=$(port_setting "${entry%%:*}" "${entry##*:}")
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "port $port (${entry%%:*}) still accepts connections"
  fi
done

if ((failures > 0)); then
  echo "stop_leaves_nothing_test: $failures check(s) failed" >&2
  exit 1
fi
echo "stop_leaves_nothing_test: passed"
