#!/usr/bin/env bash
# A throwaway MariaDB server that replicates the sandbox's MariaDB source by GTID, for the
# failover test (gtid_failover_test.cpp): it starts at the source's current GTID position
# (earlier binlogs may be purged), logs what it applies (log_slave_updates, as a replica
# that may be promoted must) and has the sandbox's accounts with the same passwords, so a
# task can be pointed at it by changing only the port.
#
#   mariadb_replica.sh start DIR PORT    create DIR, start the server, start replicating
#   mariadb_replica.sh stop DIR          stop the server and remove DIR
#
# Needs TIDEWAY_SANDBOX_DIR (the sandbox's settings) and a running sandbox.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
eval "$("$here/../sandbox.sh" env)"

die() {
  echo "mariadb_replica.sh: $*" >&2
  exit 1
}

if [[ $(id -u) == 0 ]]; then os_user=mysql; else os_user=$(id -un); fi

server_pid() {
  local pidfile=$1/mariadbd.pid
  [[ -s $pidfile ]] && kill -0 "$(<"$pidfile")" 2>/dev/null && cat "$pidfile"
  return 0
}

stop_server() {
  local dir=$1 pid
  pid=$(server_pid "$dir")
  if [[ -n $pid ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}

start_server() {
  local dir=$1 port=$2
  [[ $dir == /* && $port =~ ^[0-9]+$ ]] || die "start needs an absolute DIR and a PORT"
  [[ -e $dir ]] && stop_server "$dir"
  mkdir -p "$dir"
  chmod 750 "$dir"
  [[ $os_user == mysql ]] && chown mysql: "$dir"
  mariadb-install-db --no-defaults --datadir="$dir/data" --user="$os_user" \
    --auth-root-socket-user="$(id -un)" --skip-test-db --skip-name-resolve \
    >"$dir/install-db.log" 2>&1 || die "mariadb-install-db failed: $(tail -n 5 "$dir/install-db.log")"
  touch "$dir/mariadbd.err"
  [[ $os_user == mysql ]] && chown mysql: "$dir/mariadbd.err"
  setsid mariadbd --no-defaults --datadir="$dir/data" --port="$port" --bind-address=127.0.0.1 \
    --socket="$dir/mariadbd.sock" --pid-file="$dir/mariadbd.pid" --log-error="$dir/mariadbd.err" \
    --user="$os_user" --server-id=3 --log-bin=mariadb-bin --binlog-format=ROW \
    --binlog-row-image=FULL --binlog-row-metadata=FULL --binlog-checksum=CRC32 \
    --log-slave-updates=ON --gtid-strict-mode=ON --gtid-domain-id=0 --skip-name-resolve \
    --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 \
    --character-set-server=utf8mb4 </dev/null >>"$dir/mariadbd.err" 2>&1 9>&- &
  local up=0
  for _ in $(seq 1 600); do
    if mariadb-admin --no-defaults --socket="$dir/mariadbd.sock" -u "$(id -un)" \
      --connect-timeout=2 ping >/dev/null 2>&1; then
      up=1
      break
    fi
    sleep 0.1
  done
  ((up)) || die "the replica did not start: $(tail -n 5 "$dir/mariadbd.err")"

  local src_admin_pw migrator_pw gtid_pos
  src_admin_pw=$(<"$TIDEWAY_MARIADB_SOURCE_ADMIN_PASSWORD_FILE")
  migrator_pw=$(<"$TIDEWAY_MARIADB_SOURCE_PASSWORD_FILE")
  gtid_pos=$(MYSQL_PWD=$src_admin_pw mariadb --no-defaults -h "$TIDEWAY_MARIADB_SOURCE_HOST" \
    -P "$TIDEWAY_MARIADB_SOURCE_PORT" -u "$TIDEWAY_MARIADB_SOURCE_ADMIN_USER" -N -B \
    -e "SELECT @@global.gtid_binlog_pos")
  mariadb --no-defaults --socket="$dir/mariadbd.sock" -u "$(id -un)" --batch <<SQL
SET SESSION sql_log_bin = 0;
CREATE USER '$TIDEWAY_MARIADB_SOURCE_ADMIN_USER'@'127.0.0.1' IDENTIFIED BY '$src_admin_pw';
GRANT ALL PRIVILEGES ON *.* TO '$TIDEWAY_MARIADB_SOURCE_ADMIN_USER'@'127.0.0.1' WITH GRANT OPTION;
CREATE USER '$TIDEWAY_MARIADB_SOURCE_USER'@'127.0.0.1' IDENTIFIED BY '$migrator_pw';
GRANT SELECT, SHOW VIEW, TRIGGER, REPLICATION SLAVE, BINLOG MONITOR ON *.*
  TO '$TIDEWAY_MARIADB_SOURCE_USER'@'127.0.0.1';
SET GLOBAL gtid_slave_pos = '$gtid_pos';
CHANGE MASTER TO master_host = '$TIDEWAY_MARIADB_SOURCE_HOST',
  master_port = $TIDEWAY_MARIADB_SOURCE_PORT, master_user = '$TIDEWAY_MARIADB_SOURCE_ADMIN_USER',
  master_password = '$src_admin_pw', master_use_gtid = slave_pos;
START SLAVE;
SQL
}

case ${1:-} in
  start) start_server "${2:?DIR}" "${3:?PORT}" ;;
  stop) stop_server "${2:?DIR}" ;;
  *) die "usage: mariadb_replica.sh start DIR PORT | stop DIR" ;;
esac
