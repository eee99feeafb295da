#!/usr/bin/env bash
# On a terminal `tideway run` draws one bar per table while it loads (share, rows, rows/s,
# ETA), then one status line for the stream (position, transactions, lag), redrawn in
# place; in a pipe the same figures are log lines. script(1) gives it a pseudo-terminal,
# as an operator's ssh session would.
source "$(dirname "$0")/pg_lib.sh"

make_databases
src -d "$DB" -c "CREATE TABLE t (id int PRIMARY KEY, v int)" \
    -c "INSERT INTO t SELECT g, g FROM generate_series(1, 20000) g" \
    -c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO $TIDEWAY_PG_SOURCE_USER" \
    -c "CREATE PUBLICATION tideway_term FOR TABLE t"
task_json term > "$SCRATCH/task.yaml"

wait_for() {  # wait_for WHAT COMMAND...: polls for up to 60 s while the session lives
  local what=$1
  shift
  for _ in $(seq 1 600); do
    "$@" && return 0
    kill -0 "$session" 2>/dev/null || break
    sleep 0.1
  done
  cat "$SCRATCH/tty.log" >&2 || true
  fail "timed out waiting for $what"
}
target_rows_are() { [ "$(dstv "SELECT count(*) FROM t" 2>/dev/null || echo 0)" = "$1" ]; }
screen_shows() { grep -qaF "$1" "$SCRATCH/tty.log" 2>/dev/null; }

script -qfec "'$TIDEWAY_BIN' run --task '$SCRATCH/task.yaml' --data-dir '$SCRATCH/state'" \
  "$SCRATCH/tty.log" > /dev/null 2>&1 &
session=$!
wait_for "the full load" target_rows_are 20000
src -d "$DB" -c "INSERT INTO t VALUES (20001, 1)"
wait_for "the stream to apply a new row" target_rows_are 20001
# A first draw follows a log line on a fresh row; a redraw replaces the line in place
# (every 250 ms while streaming), so wait for one before stopping.
wait_for "the stream's status line, redrawn in place" \
  screen_shows $'\r\x1b[Jstreaming term: applied'

pkill -TERM -f "run --task $SCRATCH/task.yaml"
wait "$session" || fail "tideway run under a terminal did not exit 0 on SIGTERM"

screen=$(cat "$SCRATCH/tty.log")
expect_contains "a bar for the table, full once loaded" \
  "public.t    [########################] 100%  20.0k/20.0k rows" "$screen"
expect_contains "with its rate" "rows/s  done" "$screen"
expect_contains "the status line is redrawn in place" $'\r\x1b[Jstreaming term: applied' "$screen"
expect_contains "then the stream's line with transactions and lag" " txns " "$screen"
expect_contains "and the lag" "  lag " "$screen"
if grep -aqE 'lag [0-9.]+sts=' "$SCRATCH/tty.log"; then
  fail "a log line was written onto the stream's status line"
else
  pass "log lines clear the status line first, never share its row"
fi
expect_contains "the stop's log line starts on a cleared row" \
  $'\r\x1b[Jts=' "$screen"
case "$screen" in
  *'msg="full load progress"'*) fail "on a terminal the progress is drawn, not logged" ;;
  *) pass "on a terminal the progress is drawn, not logged" ;;
esac

# In a pipe the same run logs its progress instead (a second load into a fresh table).
dst -d "$DB" -c "DROP TABLE t"
task_json pipe full_load > "$SCRATCH/pipe.yaml"
"$TIDEWAY_BIN" run --task "$SCRATCH/pipe.yaml" --data-dir "$SCRATCH/pipe-state" \
  > "$SCRATCH/pipe.log" 2>&1 || { cat "$SCRATCH/pipe.log"; fail "the piped run failed"; }
piped=$(cat "$SCRATCH/pipe.log")
expect_contains "in a pipe, one log line per table" \
  'msg="full load progress" task=pipe table=public.t rows_done=20001' "$piped"
case "$piped" in
  *$'\x1b['*) fail "no terminal escapes in a pipe" ;;
  *) pass "no terminal escapes in a pipe" ;;
esac
finish
