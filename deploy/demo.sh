#!/usr/bin/env bash
# The main job: live migrations on local sandbox servers, PostgreSQL -> PostgreSQL and
# MariaDB -> MariaDB, each with an application writing to the source throughout.
#   1. installs dependencies (Debian packages) and builds tideway;
#   2. starts the sandbox servers and creates a sample database (pgbench, scale 5) on
#      the source, with an application writing to it the whole time;
#   3. `tideway run` takes a consistent snapshot, loads the target in parallel and then
#      follows the change stream while the writes go on;
#   4. when the writes stop, waits until the target has caught up, stops tideway, and
#      compares every table row by row;
#   5. the same for a MariaDB shop database (orders, items with ON DELETE CASCADE) through
#      the binlog.
# Run as root on Debian 12:  ./deploy/demo.sh        (--keep leaves the servers running)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${TIDEWAY_BUILD_DIR:-$root/build}
work=${TIDEWAY_DEMO_DIR:-/tmp/tideway-demo}
keep=0
[ "${1:-}" = "--keep" ] && keep=1
db=demo_shop
tables=(pgbench_accounts pgbench_branches pgbench_tellers pgbench_history demo_marker)

step() { printf '\n== %s\n' "$*"; }

step "installing dependencies and building"
"$root/deploy/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --parallel "$(nproc)" --target tideway | tail -n 1
bin="$build/daemon/tideway"

step "starting the sandbox servers"
"$root/tests/sandbox.sh" start >/dev/null
eval "$("$root/tests/sandbox.sh" env)"
src_admin=(psql -X -q -v ON_ERROR_STOP=1 -h "$TIDEWAY_PG_SOURCE_HOST" -p "$TIDEWAY_PG_SOURCE_PORT" -U "$TIDEWAY_PG_SOURCE_ADMIN_USER")
dst_admin=(psql -X -q -v ON_ERROR_STOP=1 -h "$TIDEWAY_PG_TARGET_HOST" -p "$TIDEWAY_PG_TARGET_PORT" -U "$TIDEWAY_PG_TARGET_ADMIN_USER")
src_pw=$(cat "$TIDEWAY_PG_SOURCE_ADMIN_PASSWORD_FILE")
dst_pw=$(cat "$TIDEWAY_PG_TARGET_ADMIN_PASSWORD_FILE")
export PGOPTIONS='-c client_min_messages=warning'
src() { PGPASSWORD=$src_pw "${src_admin[@]}" "$@"; }
dst() { PGPASSWORD=$dst_pw "${dst_admin[@]}" "$@"; }

step "creating the sample database '$db' on the source (pgbench, scale 5: 500,000 accounts)"
src -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
    -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'tideway_demo'" >/dev/null
dst -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db OWNER $TIDEWAY_PG_TARGET_USER"
src -d postgres -c "CREATE DATABASE $db"
PGPASSWORD=$src_pw pgbench -q -i -s 5 -h "$TIDEWAY_PG_SOURCE_HOST" -p "$TIDEWAY_PG_SOURCE_PORT" -U "$TIDEWAY_PG_SOURCE_ADMIN_USER" "$db" 2>&1 | tail -n 1
# What an operator does once on a real source: give the keyless history table a replica
# identity, let the migration user read, and publish the tables.
src -d "$db" <<SQL
ALTER TABLE pgbench_history REPLICA IDENTITY FULL;
CREATE TABLE demo_marker (n int PRIMARY KEY);
GRANT CONNECT ON DATABASE $db TO $TIDEWAY_PG_SOURCE_USER;
GRANT USAGE ON SCHEMA public TO $TIDEWAY_PG_SOURCE_USER;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO $TIDEWAY_PG_SOURCE_USER;
CREATE PUBLICATION tideway_demo FOR TABLE $(IFS=,; echo "${tables[*]}");
SQL

rm -rf "$work"
mkdir -p "$work"
chmod 700 "$work"
cat > "$work/task.yaml" <<YAML
id: demo
source: {engine: postgresql, host: $TIDEWAY_PG_SOURCE_HOST, port: $TIDEWAY_PG_SOURCE_PORT, database: $db, user: $TIDEWAY_PG_SOURCE_USER, password_file: $TIDEWAY_PG_SOURCE_PASSWORD_FILE}
target: {engine: postgresql, host: $TIDEWAY_PG_TARGET_HOST, port: $TIDEWAY_PG_TARGET_PORT, database: $db, user: $TIDEWAY_PG_TARGET_USER, password_file: $TIDEWAY_PG_TARGET_PASSWORD_FILE}
tables: {include: ["public.*"]}
mode: full_load_and_cdc
full_load: {workers: 2, chunk_rows: 50000}
YAML
echo "task spec: $work/task.yaml"

step "the application writes to the source (pgbench TPC-B, 2 clients, 20 s)"
PGPASSWORD=$src_pw pgbench -n -c 2 -j 2 -T 20 -h "$TIDEWAY_PG_SOURCE_HOST" -p "$TIDEWAY_PG_SOURCE_PORT" -U "$TIDEWAY_PG_SOURCE_ADMIN_USER" "$db" > "$work/pgbench.log" 2>&1 &
bench=$!

step "tideway run: assessment, snapshot, parallel full load, then the change stream (log: $work/tideway.log)"
"$bin" run --task "$work/task.yaml" --data-dir "$work/data" 2> "$work/tideway.log" &
tw=$!
trap 'kill -TERM $tw 2>/dev/null || true; kill $bench 2>/dev/null || true' EXIT
wait "$bench"
echo "application done: $(grep -E '^number of transactions actually processed' "$work/pgbench.log")"

step "waiting for the target to catch up"
src -d "$db" -c "INSERT INTO demo_marker VALUES (1)"
for _ in $(seq 1 600); do
  [ "$(dst -d "$db" -At -c "SELECT count(*) FROM demo_marker" 2>/dev/null || echo 0)" = 1 ] && break
  kill -0 "$tw" 2>/dev/null || { cat "$work/tideway.log"; echo "tideway stopped unexpectedly" >&2; exit 1; }
  sleep 0.2
done
kill -TERM "$tw"
wait "$tw"
trap - EXIT
grep -E 'msg="(assessment[^"]*|snapshot taken|full load finished|streaming|task stopped[^"]*)"' "$work/tideway.log" | sed 's/^/  /'
echo
"$bin" status --data-dir "$work/data"

step "row-by-row comparison of source and target"
printf '%-20s %12s %12s  %s\n' table source target result
all_ok=1
for t in "${tables[@]}"; do
  q="SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, E'\\n' ORDER BY x::text)), '-') FROM $t x"
  read -r sc sh <<<"$(src -d "$db" -At -c "$q")"
  read -r dc dh <<<"$(dst -d "$db" -At -c "$q")"
  if [ "$sc" = "$dc" ] && [ "$sh" = "$dh" ]; then r="identical"; else r="DIFFERENT"; all_ok=0; fi
  printf '%-20s %12s %12s  %s\n' "$t" "$sc" "$dc" "$r"
done

# ---- MariaDB -> MariaDB: the same, through the binlog ----------------------------------
mdb=demo_store
ms_pw=$(cat "$TIDEWAY_MARIADB_SOURCE_ADMIN_PASSWORD_FILE")
mt_pw=$(cat "$TIDEWAY_MARIADB_TARGET_ADMIN_PASSWORD_FILE")
msrc() { mariadb -h "$TIDEWAY_MARIADB_SOURCE_HOST" -P "$TIDEWAY_MARIADB_SOURCE_PORT" -u "$TIDEWAY_MARIADB_SOURCE_ADMIN_USER" -p"$ms_pw" "$@"; }
mdst() { mariadb -h "$TIDEWAY_MARIADB_TARGET_HOST" -P "$TIDEWAY_MARIADB_TARGET_PORT" -u "$TIDEWAY_MARIADB_TARGET_ADMIN_USER" -p"$mt_pw" "$@"; }

step "creating the sample database '$mdb' on the MariaDB source (orders with items, ON DELETE CASCADE)"
mdst -e "DROP DATABASE IF EXISTS $mdb; DROP DATABASE IF EXISTS _tideway"
msrc <<SQL
DROP DATABASE IF EXISTS $mdb;
CREATE DATABASE $mdb;
USE $mdb;
CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, balance DECIMAL(12,2) NOT NULL);
CREATE TABLE orders (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL,
  placed DATETIME(6) NOT NULL, note TEXT, FOREIGN KEY (customer_id) REFERENCES customers(id));
CREATE TABLE items (order_id BIGINT UNSIGNED, line INT, sku VARCHAR(32), qty INT,
  PRIMARY KEY (order_id, line), FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE);
CREATE TABLE demo_marker (n INT PRIMARY KEY);
INSERT INTO customers SELECT seq, CONCAT('customer ', seq), seq % 1000 FROM seq_1_to_20000;
INSERT INTO orders (customer_id, placed, note) SELECT 1 + seq % 20000, NOW(6), CONCAT('order ', seq) FROM seq_1_to_100000;
INSERT INTO items SELECT o.id, l.seq, CONCAT('sku-', l.seq), 1 FROM orders o JOIN seq_1_to_3 l;
GRANT SHOW VIEW, TRIGGER ON $mdb.* TO '$TIDEWAY_MARIADB_SOURCE_USER'@'127.0.0.1';
SQL
cat > "$work/mariadb-task.yaml" <<YAML
id: demo-mariadb
source: {engine: mariadb, host: $TIDEWAY_MARIADB_SOURCE_HOST, port: $TIDEWAY_MARIADB_SOURCE_PORT, database: $mdb, user: $TIDEWAY_MARIADB_SOURCE_USER, password_file: $TIDEWAY_MARIADB_SOURCE_PASSWORD_FILE}
target: {engine: mariadb, host: $TIDEWAY_MARIADB_TARGET_HOST, port: $TIDEWAY_MARIADB_TARGET_PORT, database: $mdb, user: $TIDEWAY_MARIADB_TARGET_USER, password_file: $TIDEWAY_MARIADB_TARGET_PASSWORD_FILE}
tables: {include: ["$mdb.*"]}
mode: full_load_and_cdc
full_load: {workers: 2, chunk_rows: 20000}
YAML

step "the application writes to the MariaDB source while tideway loads and follows it (15 s)"
(
  end=$((SECONDS + 15)); i=0
  while [ $SECONDS -lt $end ]; do
    i=$((i + 1))
    msrc "$mdb" -e "START TRANSACTION;
      INSERT INTO orders (customer_id, placed, note) VALUES (1 + $i % 20000, NOW(6), 'live $i');
      INSERT INTO items VALUES (LAST_INSERT_ID(), 1, 'sku-live', $i);
      UPDATE customers SET balance = balance + 1 WHERE id = 1 + $i % 20000;
      DELETE FROM orders WHERE id = $i;
      COMMIT;"
  done
) > "$work/mariadb-writer.log" 2>&1 &
writer=$!
"$bin" run --task "$work/mariadb-task.yaml" --data-dir "$work/mariadb-data" 2> "$work/tideway-mariadb.log" &
mtw=$!
trap 'kill -TERM $mtw 2>/dev/null || true; kill $writer 2>/dev/null || true' EXIT
wait "$writer"
msrc "$mdb" -e "INSERT INTO demo_marker VALUES (1)"
for _ in $(seq 1 600); do
  [ "$(mdst -N "$mdb" -e "SELECT COUNT(*) FROM demo_marker" 2>/dev/null || echo 0)" = 1 ] && break
  kill -0 "$mtw" 2>/dev/null || { cat "$work/tideway-mariadb.log"; echo "tideway stopped unexpectedly" >&2; exit 1; }
  sleep 0.2
done
kill -TERM "$mtw"
wait "$mtw"
trap - EXIT
grep -E 'msg="(assessment[^"]*|full load finished|streaming|task stopped[^"]*)"' "$work/tideway-mariadb.log" | sed 's/^/  /'

step "row-by-row comparison of the MariaDB source and target"
printf '%-20s %12s %12s  %s\n' table source target result
for t in customers orders items demo_marker; do
  cols=$(msrc -N -e "SELECT GROUP_CONCAT(CONCAT('HEX(', COLUMN_NAME, ')') ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '$mdb' AND TABLE_NAME = '$t'")
  q="SELECT CONCAT(COUNT(*), ' ', COALESCE(MD5(GROUP_CONCAT(r ORDER BY r SEPARATOR '\n')), '-')) FROM (SELECT CONCAT_WS(',', $cols) AS r FROM $t) x"
  read -r sc sh <<<"$(msrc -N "$mdb" -e "SET SESSION group_concat_max_len = 1073741824; $q")"
  read -r dc dh <<<"$(mdst -N "$mdb" -e "SET SESSION group_concat_max_len = 1073741824; $q")"
  if [ "$sc" = "$dc" ] && [ "$sh" = "$dh" ]; then r="identical"; else r="DIFFERENT"; all_ok=0; fi
  printf '%-20s %12s %12s  %s\n' "$t" "$sc" "$dc" "$r"
done

if [ "$keep" = 0 ]; then
  step "stopping the sandbox servers"
  "$root/tests/sandbox.sh" stop >/dev/null
else
  step "left running: the sandbox servers (stop: $root/tests/sandbox.sh stop); database $db on both"
fi
[ "$all_ok" = 1 ] && echo "demo: every table identical" || { echo "demo: tables differ" >&2; exit 1; }
