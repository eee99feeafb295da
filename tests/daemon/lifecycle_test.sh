#!/usr/bin/env bash
# Process lifecycle: SIGTERM exits 0 and closes the store so an immediate restart works;
# a second daemon on the same data_dir fails with a message naming the holder; SIGHUP
# reloads log level and token; a corrupt store fails with a clear message.
source "$(dirname "$0")/lib.sh"

port=$(free_port)
write_config "$port"
start_daemon
first_pid=$DAEMON_PID

# A keep-alive connection is open while we stop: it must not hold the shutdown up.
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >&3

# Second daemon, same data_dir, other port.
sed "s|listen: .*|listen: 127.0.0.1:$(free_port)|" "$SCRATCH/tideway.yaml" > "$SCRATCH/second.yaml"
set +e
OUT=$("$TIDEWAY_BIN" serve --config "$SCRATCH/second.yaml" 2>&1); RC=$?
set -e
expect_eq "second daemon exit code" 4 "$RC"
expect_eq "second daemon prints one line" 1 "$(printf '%s\n' "$OUT" | wc -l)"
expect_contains "second daemon names the holder" "data_dir $SCRATCH/data is in use by another tideway process (pid $first_pid)" "$OUT"

# SIGHUP: new token and log level take effect without a restart.
old_token=$TOKEN
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$TOKEN" > "$SCRATCH/token"
set_auth
printf 'log: {level: debug}\n' >> "$SCRATCH/tideway.yaml"
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 50); do grep -q 'msg=reloaded' "$SCRATCH/daemon.log" && break; sleep 0.1; done
expect_contains "reload logged" "msg=reloaded log_level=debug token_source=file" "$(cat "$SCRATCH/daemon.log")"
expect_eq "old token refused after reload" 401 "$(call GET /v1/version -H "Authorization: Bearer $old_token" | head -c 3)"
expect_eq "new token accepted after reload" 200 "$(call GET /v1/version "${AUTH[@]}" | head -c 3)"
expect_contains "reload counted" 'tideway_config_reloads_total{result="ok"} 1' "$(curl -s "${AUTH[@]}" "$BASE/metrics")"

# A broken reload keeps the daemon serving with its current settings.
printf 'bogus_key: 1\n' >> "$SCRATCH/tideway.yaml"
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 50); do grep -q 'reload failed' "$SCRATCH/daemon.log" && break; sleep 0.1; done
expect_contains "failed reload logged with the reason" "bogus_key: unknown key" "$(cat "$SCRATCH/daemon.log")"
expect_eq "still serving after a failed reload" 200 "$(call GET /v1/version "${AUTH[@]}" | head -c 3)"
sed -i '/bogus_key/d' "$SCRATCH/tideway.yaml"

stop_daemon
exec 3>&-
expect_eq "SIGTERM exit code" 0 "$STOP_RC"
expect_contains "stop logged" "msg=stopped" "$(tail -n 1 "$SCRATCH/daemon.log")"

# Immediate restart on the same data_dir.
start_daemon
expect_eq "restart serves" '200 {"status":"ok"}' "$(call GET /healthz)"
kill -INT "$DAEMON_PID"
set +e; wait "$DAEMON_PID"; rc=$?; set -e
DAEMON_PID=""
expect_eq "SIGINT exit code" 0 "$rc"

# Corrupt store: one clear line, exit 4, no crash.
printf 'garbage' > "$SCRATCH/data/state/CURRENT"
set +e
OUT=$("$TIDEWAY_BIN" serve --config "$SCRATCH/tideway.yaml" 2>&1); RC=$?
set -e
expect_eq "corrupt store exit code" 4 "$RC"
expect_eq "corrupt store prints one line" 1 "$(printf '%s\n' "$OUT" | wc -l)"
expect_contains "corrupt store message" "state store $SCRATCH/data/state is corrupt" "$OUT"
finish
