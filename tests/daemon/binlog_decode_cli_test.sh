#!/usr/bin/env bash
# `tideway binlog decode` on real MySQL binlogs: one JSON line per event (303 events in
# mysql-bin.checksum-crc32, as the upstream reader counts them), typed row values, and a
# truncated file ending with an error that names the file and the offset.
source "$(dirname "$0")/lib.sh"
: "${TIDEWAY_FIXTURES_DIR:?run through ctest}"
f="$TIDEWAY_FIXTURES_DIR/mysql/mysql-binlog-connector-java/mysql-bin.checksum-crc32"

"$TIDEWAY_BIN" binlog decode "$f" > "$SCRATCH/events.jsonl"
expect_eq "one line per event" 303 "$(wc -l < "$SCRATCH/events.jsonl")"
expect_eq "every line is JSON with a type" 303 "$(jq -r .type "$SCRATCH/events.jsonl" | grep -vc '^null$')"
expect_eq "first event is the format description" FORMAT_DESCRIPTION "$(head -n 1 "$SCRATCH/events.jsonl" | jq -r .type)"
expect_eq "CRC32 checksums are verified" crc32 "$(head -n 1 "$SCRATCH/events.jsonl" | jq -r .checksum)"

t="$TIDEWAY_FIXTURES_DIR/mysql/rust_mysql_common/binlog_truncated_event.000001"
set +e
OUT=$("$TIDEWAY_BIN" binlog decode "$t" 2>&1 >/dev/null); RC=$?
set -e
expect_eq "truncated file exit code" 1 "$RC"
expect_eq "truncated file message" "tideway: $t: offset 4: truncated event header: 10 bytes left, a header needs 19" "$OUT"

set +e
OUT=$("$TIDEWAY_BIN" binlog decode 2>&1); RC=$?
set -e
expect_eq "usage error exit code" 2 "$RC"
finish
