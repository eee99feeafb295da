#!/usr/bin/env bash
# A MariaDB task driven only through the API: create -> full load -> stream -> pause
# (the application keeps writing) -> resume -> cutover with a read_only fence and final
# validation -> cut_over; every row identical, the trigger held back during the stream
# created at cutover, AUTO_INCREMENT counters carried over. Then a cutover that must not
# happen: a target row changed behind tideway's back aborts at validation.
source "$(dirname "$0")/my_lib.sh"

make_mariadb_database
msrc "$MDB" <<'SQL'
CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, balance DECIMAL(12,2) NOT NULL);
CREATE TABLE orders (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL,
  placed DATETIME(6) NOT NULL, note TEXT, FOREIGN KEY (customer_id) REFERENCES customers(id));
CREATE TABLE items (order_id BIGINT UNSIGNED, line INT, sku VARCHAR(32), qty INT,
  PRIMARY KEY (order_id, line), FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE);
CREATE TABLE order_audit (id INT AUTO_INCREMENT PRIMARY KEY, order_id BIGINT UNSIGNED);
CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW
  INSERT INTO order_audit (order_id) VALUES (NEW.id);
INSERT INTO customers SELECT seq, CONCAT('customer ', seq), seq % 1000 FROM seq_1_to_2000;
INSERT INTO orders (customer_id, placed, note) SELECT 1 + seq % 2000, NOW(6), CONCAT('order ', seq) FROM seq_1_to_12000;
INSERT INTO items SELECT o.id, l.seq, CONCAT('sku-', l.seq), 1 FROM orders o JOIN seq_1_to_2 l;
SQL
# The fence needs SET GLOBAL read_only: READ_ONLY ADMIN on MariaDB (an operator's grant;
# the runbook says so).
msrc -e "GRANT READ_ONLY ADMIN ON *.* TO '$TIDEWAY_MARIADB_SOURCE_USER'@'127.0.0.1'"
# The target logs a binlog and the migration user has no SUPER: creating the trigger at
# cutover needs this (the task's start check says so when it is missing).
mdst -e "SET GLOBAL log_bin_trust_function_creators = 1"
writer=""
trap '[ -z "$writer" ] || kill "$writer" 2>/dev/null || true; cleanup; pg_cleanup; my_cleanup
      msrc -e "REVOKE READ_ONLY ADMIN ON *.* FROM '"'$TIDEWAY_MARIADB_SOURCE_USER'"'@'"'127.0.0.1'"'" >/dev/null 2>&1 || true' EXIT

port=$(free_port)
write_config "$port"
start_daemon

# Task ids unique to this run: the target's _tideway bookkeeping outlives a failed run.
T="shop-$$"
G="guard-$$"
my_task_json "$T" > "$SCRATCH/task.json"
body=$(api POST /v1/tasks --data-binary @"$SCRATCH/task.json")
expect_eq "create answers 201" 201 "$(code)"
expect_eq "new task is created" created "$(jq -r .state <<<"$body")"

# The application: orders with items, balance updates, deleted orders (whose items the
# target must cascade itself), as an unprivileged user, until killed.
(
  i=0
  while true; do
    i=$((i + 1))
    mapp -e "START TRANSACTION;
      INSERT INTO orders (customer_id, placed, note) VALUES (1 + $i % 2000, NOW(6), 'live $i');
      INSERT INTO items VALUES (LAST_INSERT_ID(), 1, 'sku-live', $i);
      UPDATE customers SET balance = balance + 1 WHERE id = 1 + $i % 2000;
      DELETE FROM orders WHERE id = $i;
      COMMIT;" 2>/dev/null || sleep 0.05
  done
) &
writer=$!
api POST /v1/tasks/$T/start >/dev/null
expect_eq "start answers 200" 200 "$(code)"
wait_state "$T" streaming 180
body=$(api GET /v1/tasks/$T)
expect_eq "full load progress for customers" "2000" \
  "$(jq -r --arg t "$MDB.customers" '.full_load.tables[] | select(.table == $t) | .rows_done' <<<"$body")"
expect_contains "stream positions are binlog positions" ":" "$(jq -r .stream.checkpointed <<<"$body")"

body=$(api POST /v1/tasks/$T/pause)
expect_contains "pause answers with the new state" '"state":"paused"' "$body"
before=$(msrcv "SELECT MAX(id) FROM orders")
sleep 1  # the application writes while the task is paused
expect_eq "the application kept writing while paused" 1 "$(( $(msrcv "SELECT COUNT(*) FROM order_audit") > 0 ))"
api POST /v1/tasks/$T/resume >/dev/null
expect_eq "resume answers 200" 200 "$(code)"
wait_state "$T" streaming
expect_eq "no trigger on the target while streaming" 0 \
  "$(mdstv "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '$MDB'")"

body=$(api POST "/v1/tasks/$T/cutover?dry_run=true")
expect_eq "dry run answers 200" 200 "$(code)"
expect_eq "dry run does not change the state" streaming "$(jq -r .state <<<"$body")"
# The application is still writing: the fence stops it, the drain catches up.
body=$(api POST /v1/tasks/$T/cutover -H 'Content-Type: application/json' \
       -d '{"fence": "read_only", "max_lag_seconds": 60, "timeout_seconds": 120}')
expect_eq "cutover answers 202" 202 "$(code)"
wait_state "$T" cut_over 180
kill "$writer" 2>/dev/null || true
wait "$writer" 2>/dev/null || true
expect_eq "source left read-only behind the fence" 1 "$(msrcv "SELECT @@GLOBAL.read_only")"
expect_eq "the application's writes are refused by the fence" 1 \
  "$(mapp -e "INSERT INTO customers VALUES (999999, 'late', 0)" 2>&1 | grep -c -i "read-only\|read_only")"
after=$(msrcv "SELECT MAX(id) FROM orders")
expect_eq "the application wrote after the pause" 1 "$(( after > before ))"
my_require_identical customers orders items order_audit
body=$(api GET /v1/tasks/$T)
expect_eq "every cutover step succeeded" "preconditions fence drain stop stream validation finish target" \
  "$(jq -r '[.cutover.steps[] | select(.ok) | .step] | join(" ")' <<<"$body")"
expect_contains "the fence step says what it did" "SET GLOBAL read_only = ON" \
  "$(jq -r '.cutover.steps[] | select(.step == "fence") | .detail' <<<"$body")"
expect_eq "the trigger exists on the target after cutover" 1 \
  "$(mdstv "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '$MDB' AND TRIGGER_NAME = 'orders_audit'")"
src_ai=$(msrcv "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$MDB' AND TABLE_NAME = 'orders'")
dst_ai=$(mdstv "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$MDB' AND TABLE_NAME = 'orders'")
expect_eq "target AUTO_INCREMENT at least the source's" 1 "$(( dst_ai >= src_ai ))"
expect_contains "validation counted every table" "4 tables" \
  "$(jq -r '.cutover.steps[] | select(.step == "validation") | .detail' <<<"$body")"
report=$(api GET /v1/tasks/$T/report -H 'Accept: text/markdown')
expect_contains "markdown report" "## Cutover: cut_over" "$report"
curl -fsS "${AUTH[@]}" "$BASE/metrics" > "$SCRATCH/metrics.txt"
expect_contains "task state metric" "tideway_task_state{task=\"$T\",state=\"cut_over\"} 1" "$(cat "$SCRATCH/metrics.txt")"
streamed_inserts=$(awk -v k="tideway_table_changes_applied_total{task=\"$T\",table=\"$MDB.orders\",op=\"insert\"}" '$1 == k && $2 + 0 > 0 {print "yes"}' "$SCRATCH/metrics.txt")
expect_eq "orders inserted by the application are counted per table and operation" yes "$streamed_inserts"
expect_contains "apply batch histogram" "tideway_apply_batch_duration_seconds_count{task=\"$T\"}" "$(cat "$SCRATCH/metrics.txt")"
expect_eq "the report counts the streamed changes of orders" "$(jq -r --arg t "$MDB.orders" '[.stream.changes_by_table[] | select(.table == $t) | .changes] | add' <<<"$body")" \
  "$(api GET /v1/tasks/$T/report | jq -r --arg t "$MDB.orders" '.tables[] | select(.table == $t) | .changes_streamed')"
promtool check metrics < "$SCRATCH/metrics.txt" >/dev/null 2>&1 || { promtool check metrics < "$SCRATCH/metrics.txt"; fail "promtool rejects the metrics"; }
pass "promtool accepts the metrics of a MariaDB task"
msrc -e "SET GLOBAL read_only = OFF"

# A second task on the same database, streaming; a target row changed behind its back
# makes the cutover abort at validation, naming the table and the key range.
mdst -e "DROP DATABASE $MDB"
jq --arg g "$G" '.id = $g' "$SCRATCH/task.json" > "$SCRATCH/guard.json"
api POST /v1/tasks --data-binary @"$SCRATCH/guard.json" >/dev/null
api POST /v1/tasks/$G/start >/dev/null
wait_state "$G" streaming 180
mdst "$MDB" -e "UPDATE customers SET name = 'tampered' WHERE id = 1500"
api POST /v1/tasks/$G/cutover -d '{"fence": "none", "timeout_seconds": 60}' >/dev/null
for _ in $(seq 1 600); do
  outcome=$(api GET /v1/tasks/$G | jq -r .cutover.outcome)
  [ "$outcome" != running ] && break
  sleep 0.1
done
expect_contains "cutover aborted at validation, naming the table" "aborted: validation mismatch in $MDB.customers" "$outcome"
wait_state "$G" streaming
api POST /v1/tasks/$G/stop >/dev/null
wait_state "$G" stopped
api DELETE "/v1/tasks/$G?drop_source_objects=true" >/dev/null
expect_eq "delete a stopped MariaDB task" 200 "$(code)"
stop_daemon
finish
