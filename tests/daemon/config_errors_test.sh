#!/usr/bin/env bash
# Bad configurations exit 2 with exactly one line naming file, line, column, key and
# what was expected; --check-config accepts a good one.
source "$(dirname "$0")/lib.sh"

run_check() {  # run_check: runs --check-config, sets RC and OUT (stderr+stdout)
  set +e
  OUT=$("$TIDEWAY_BIN" serve --config "$SCRATCH/tideway.yaml" --check-config 2>&1)
  RC=$?
  set -e
}
cfg="$SCRATCH/tideway.yaml"

write_config 18999
run_check
expect_eq "valid config exit code" 0 "$RC"
expect_eq "valid config message" "config $cfg is valid" "$OUT"

write_config 18999 "listn: 1"
run_check
expect_eq "unknown key exit code" 2 "$RC"
expect_eq "unknown key is one line" 1 "$(printf '%s\n' "$OUT" | wc -l)"
expect_eq "unknown key message" "tideway: config error: $cfg:6:1: listn: unknown key; expected one of: listen, api, data_dir, auth, log, metrics, http, shutdown_timeout_seconds, tasks" "$OUT"

write_config 18999 "http: {threads: lots}"
run_check
expect_eq "bad type exit code" 2 "$RC"
expect_eq "bad type message" "tideway: config error: $cfg:6:17: http.threads: 'lots' is not valid; expected an integer from 1 to 64" "$OUT"

set +e
OUT=$("$TIDEWAY_BIN" serve --config "$SCRATCH/missing.yaml" 2>&1); RC=$?
set -e
expect_eq "missing file exit code" 2 "$RC"
expect_eq "missing file message" "tideway: config error: $SCRATCH/missing.yaml: cannot read: No such file or directory" "$OUT"

write_config 18999
sed -i "s|token_file: .*|token_file: $SCRATCH/no-such-token|" "$cfg"
run_check
expect_eq "unreadable token exit code" 2 "$RC"
expect_eq "unreadable token message" "tideway: config error: $cfg:4:15: auth.token_file: cannot read secret file $SCRATCH/no-such-token: No such file or directory; expected a readable, non-empty token" "$OUT"

# A directory cannot be read as a token even by root (permission bits do not stop root).
write_config 18999
sed -i "s|token_file: .*|token_file: $SCRATCH|" "$cfg"
run_check
expect_eq "token path is a directory exit code" 2 "$RC"
expect_contains "token path is a directory message" "auth.token_file: " "$OUT"

# Port in use: a listener holds the port, the daemon must exit 2 naming the address.
port=$(free_port)
write_config "$port"
"$TIDEWAY_BIN" serve --config "$cfg" 2>"$SCRATCH/first.log" &
first=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
sed -i "s|data_dir: .*|data_dir: $SCRATCH/data2|" "$cfg"
set +e
OUT=$("$TIDEWAY_BIN" serve --config "$cfg" 2>&1); RC=$?
set -e
kill -TERM "$first"; wait "$first" || true
expect_eq "port in use exit code" 2 "$RC"
expect_contains "port in use names the address" "cannot listen on 127.0.0.1:$port: Address already in use" "$OUT"
expect_contains "port in use names the config key" "key=listen" "$OUT"

set +e
OUT=$("$TIDEWAY_BIN" serve 2>&1); RC=$?
set -e
expect_eq "serve without --config exit code" 2 "$RC"
expect_eq "serve without --config message" "tideway: serve needs --config FILE; see 'tideway --help'" "$OUT"

set +e
OUT=$("$TIDEWAY_BIN" frobnicate 2>&1); RC=$?
set -e
expect_eq "unknown command exit code" 2 "$RC"

OUT=$("$TIDEWAY_BIN" --version)
expect_contains "--version prints the version" "tideway 0.1.0 (commit " "$OUT"
OUT=$("$TIDEWAY_BIN" --help)
expect_contains "--help documents serve" "tideway serve --config FILE" "$OUT"
finish
