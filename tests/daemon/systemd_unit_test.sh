#!/usr/bin/env bash
# deploy/tideway.service passes systemd-analyze verify with no warning, and keeps the
# settings operators rely on (notify, watchdog, state dir, hardening, restart policy).
source "$(dirname "$0")/lib.sh"
unit="$TIDEWAY_SOURCE_DIR/deploy/tideway.service"

# verify checks that ExecStart's binary exists; point it at the binary under test.
sed "s|/usr/local/bin/tideway|$TIDEWAY_BIN|" "$unit" > "$SCRATCH/tideway.service"
set +e
OUT=$(systemd-analyze verify "$SCRATCH/tideway.service" 2>&1); RC=$?
set -e
expect_eq "systemd-analyze verify exit code" 0 "$RC"
expect_eq "systemd-analyze verify output" "" "$OUT"

for line in Type=notify WatchdogSec=30s StateDirectory=tideway NoNewPrivileges=yes \
            ProtectSystem=strict PrivateTmp=yes Restart=on-failure "RestartPreventExitStatus=2 4" \
            User=tideway "ExecReload=/bin/kill -HUP \$MAINPID"; do
  grep -qxF "$line" "$unit" || fail "unit lacks '$line'"
  pass "unit has $line"
done
finish
