#!/usr/bin/env bash
# Sandbox database servers for tideway's integration tests and demo: PostgreSQL 15 and
# MariaDB 10.11, each once as a migration source and once as a target, listening on
# 127.0.0.1 only, with all their files under one folder this script owns:
#
#   ${TIDEWAY_SANDBOX_DIR:-/tmp/tideway-sandbox}/
#     env                 KEY=VALUE connection settings (read by the C++ tests)
#     secrets/            generated passwords, one file per user and server (mode 600)
#     pg-source/          data/, postgres.log, the unix socket, `initialized` marker
#     pg-target/          (same)
#     mariadb-source/     data/ (with the binlogs), mariadbd.err, .sock, .pid, marker
#     mariadb-target/     (same)
#
# Usage: tests/sandbox.sh start | stop | status | env | destroy
#   start    initialise what is missing, start what is stopped, print the settings
#   stop     stop all four servers; fails if a process of the sandbox survives
#   status   one line per server; exit 0 when all four run, 3 otherwise
#   env      print the settings as `export KEY=VALUE`, for eval "$(tests/sandbox.sh env)"
#   destroy  stop, then delete the folder
#
# Ports: TIDEWAY_PG_SOURCE_PORT (15432), TIDEWAY_PG_TARGET_PORT (15433),
# TIDEWAY_MARIADB_SOURCE_PORT (13306), TIDEWAY_MARIADB_TARGET_PORT (13307). A port given
# once is remembered in the env file, so later commands need not repeat it.
#
# The users mirror what an operator grants a migration tool on a managed service (no
# superuser, no SUPER), so tests catch a missing privilege before a customer does.
set -euo pipefail

readonly PG_BIN=/usr/lib/postgresql/15/bin
readonly SERVERS=(pg-source pg-target mariadb-source mariadb-target)
readonly ADMIN_USER=sandbox_admin
readonly MIGRATOR_USER=tideway_migrator
readonly DATABASE=sandbox
readonly START_TIMEOUT=60  # seconds a server may take to accept connections
readonly STOP_TIMEOUT=30   # seconds before a server that ignores SIGTERM gets SIGKILL

SCRIPT=$(realpath -- "$0")
readonly SCRIPT

# Every path below is absolute. Working from / avoids "could not change directory"
# failures when a command runs as postgres or mysql and the caller's cwd is /root.
cd /

# Admin connections use peer/unix_socket authentication; a password the caller exported
# for other servers would only get in the way.
unset PGPASSWORD MYSQL_PWD

say() { echo "sandbox: $*"; }
die() {
  echo "sandbox: error: $*" >&2
  exit 1
}

# ---------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------

# Sets DIR: the sandbox folder, absolute and normalised. Its path is written unquoted into
# the env file and server configs, and unix socket paths are limited to 107 bytes, so
# exotic or long paths are refused up front rather than failing deep inside a server.
resolve_dir() {
  DIR=$(realpath -m -- "${TIDEWAY_SANDBOX_DIR:-/tmp/tideway-sandbox}")
  [[ $DIR =~ ^/[A-Za-z0-9._/-]+$ ]] ||
    die "TIDEWAY_SANDBOX_DIR=$DIR: use only letters, digits and . _ - / in the path"
  [[ $DIR != / ]] || die "TIDEWAY_SANDBOX_DIR must not be /"
  ((${#DIR} <= 70)) || die "TIDEWAY_SANDBOX_DIR=$DIR is too long for unix socket paths (max 70 chars)"
}

# TIDEWAY_PG_SOURCE for pg-source, TIDEWAY_MARIADB_TARGET for mariadb-target, ...
prefix_of() {
  local name=${1^^}
  echo "TIDEWAY_${name//-/_}"
}

# Value of KEY in the env file written by the last start, or nothing.
saved_setting() {
  [[ -f $DIR/env ]] || return 0
  sed -n "s/^$1=//p" "$DIR/env" | tail -n 1
}

default_port() {
  case $1 in
    pg-source) echo 15432 ;;
    pg-target) echo 15433 ;;
    mariadb-source) echo 13306 ;;
    mariadb-target) echo 13307 ;;
  esac
}

# Fills PORT[server]: the environment wins, then the port the server last ran on, then
# the default.
declare -A PORT
resolve_ports() {
  local s var port seen=" "
  for s in "${SERVERS[@]}"; do
    var=$(prefix_of "$s")_PORT
    port=${!var:-$(saved_setting "$var")}
    port=${port:-$(default_port "$s")}
    if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
      die "$var=$port is not a port number"
    fi
    [[ $seen != *" $port "* ]] || die "$var=$port: two servers cannot share a port"
    seen+="$port "
    PORT[$s]=$port
  done
}

# PostgreSQL refuses to run as root and MariaDB should not, so as root the servers run as
# the postgres and mysql system users; otherwise everything runs as the caller.
if [[ $(id -u) -eq 0 ]]; then
  readonly AS_ROOT=1 PG_OS_USER=postgres MARIADB_OS_USER=mysql
else
  AS_ROOT=0 PG_OS_USER=$(id -un) MARIADB_OS_USER=$(id -un)
  readonly AS_ROOT PG_OS_USER MARIADB_OS_USER
fi

as_pg_user() {
  if ((AS_ROOT)); then runuser -u "$PG_OS_USER" -- "$@"; else "$@"; fi
}

# ---------------------------------------------------------------------------------------
# Paths and process checks
# ---------------------------------------------------------------------------------------

server_dir() { echo "$DIR/$1"; }
data_dir() { echo "$DIR/$1/data"; }
marker_file() { echo "$DIR/$1/initialized"; }
log_file() {
  case $1 in
    pg-*) echo "$DIR/$1/postgres.log" ;;
    mariadb-*) echo "$DIR/$1/mariadbd.err" ;;
  esac
}
mariadb_socket() { echo "$DIR/$1/mariadbd.sock"; }
mariadb_pid_file() { echo "$DIR/$1/mariadbd.pid"; }
secret_file() { echo "$DIR/secrets/$1-$2.password"; } # server, admin|migrator

# True when PID is a live process whose command line contains NEEDLE. Checking the
# command line, not just `kill -0`, guards against a recycled pid from a stale pid file
# and against zombies (their command line is empty).
pid_runs() {
  local pid=$1 needle=$2 cmdline
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$needle"* ]]
}

# Escapes a path for use as a pgrep (extended regex) pattern.
regex_escape() { sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"$1"; }

# Pids of processes whose command line matches the extended regex PATTERN, except this
# script and its callers: a shell command that merely mentions a sandbox path must never
# be taken for a server (and killed).
pids_matching() {
  local pattern=$1 ancestors=" " pid=$$ p
  while [[ $pid =~ ^[0-9]+$ ]] && ((pid > 1)); do
    ancestors+="$pid "
    pid=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null || true)
  done
  for p in $(pgrep -f -- "$pattern" || true); do
    [[ $ancestors == *" $p "* ]] || echo "$p"
  done
}

# Pid of the server's main process, or nothing. The pid file is the normal source; the
# command-line search finds a server whose pid file is missing (killed start-up).
server_pid() {
  local s=$1 data pid pattern
  data=$(data_dir "$s")
  case $s in
    pg-*)
      pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
      pattern="bin/postgres -D $(regex_escape "$data")( |$)"
      ;;
    mariadb-*)
      pid=$(cat "$(mariadb_pid_file "$s")" 2>/dev/null || true)
      pattern="mariadbd .*--datadir=$(regex_escape "$data")( |$)"
      ;;
  esac
  if pid_runs "$pid" "$data"; then
    echo "$pid"
  else
    pids_matching "$pattern" | head -n 1
  fi
}

server_running() { [[ -n $(server_pid "$1") ]]; }

# True when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True when the server answers its protocol on its TCP port.
server_answers() {
  local s=$1
  case $s in
    pg-*) "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "${PORT[$s]}" -t 2 ;;
    # A TCP ping is refused until provisioning has created the @127.0.0.1 accounts
    # (skip-name-resolve), so ask over the unix socket with the admin account, and check
    # that the port accepts connections.
    mariadb-*)
      mariadb-admin --no-defaults --socket="$(mariadb_socket "$s")" -u "$(id -un)" \
        --connect-timeout=2 ping >/dev/null 2>&1 && port_open "${PORT[$s]}"
      ;;
  esac
}

# Pids of processes whose command line names the sandbox folder: after stop, none.
sandbox_pids() { pids_matching "$(regex_escape "$DIR")(/| |$)"; }

show_log_tail() {
  local log
  log=$(log_file "$1")
  echo "sandbox: last 30 lines of $log:" >&2
  tail -n 30 "$log" >&2 2>/dev/null || echo "  (no log)" >&2
}

# Waits until the server answers on its port. Fails fast if its process dies, and after
# START_TIMEOUT seconds otherwise; either way the log says why.
wait_until_answers() {
  local s=$1 deadline=$((SECONDS + START_TIMEOUT))
  until server_answers "$s"; do
    if ! server_running "$s"; then
      show_log_tail "$s"
      die "$s: server exited during start-up"
    fi
    if ((SECONDS >= deadline)); then
      show_log_tail "$s"
      die "$s: no answer on 127.0.0.1:${PORT[$s]} after ${START_TIMEOUT}s"
    fi
    sleep 0.3
  done
}

# Waits up to SECONDS (second argument) for the server's process to be gone.
wait_until_gone() {
  local s=$1 seconds=$2 deadline
  deadline=$((SECONDS + seconds))
  while server_running "$s"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# ---------------------------------------------------------------------------------------
# Folder, lock and secrets
# ---------------------------------------------------------------------------------------

# Creates the folder. As root it must be traversable by postgres and mysql, which rules
# out places like /root; that is checked here because the servers' own errors are cryptic.
make_sandbox_dir() {
  if [[ -e $DIR && ! -w $DIR ]]; then
    die "$DIR belongs to another user; choose another TIDEWAY_SANDBOX_DIR"
  fi
  if [[ -e $DIR && ! -f $DIR/.tideway-sandbox ]] && [[ -n $(ls -A "$DIR") ]]; then
    die "$DIR exists, is not empty and was not created by this script; choose another TIDEWAY_SANDBOX_DIR"
  fi
  local created=0 u
  [[ -e $DIR ]] || created=1
  mkdir -p "$DIR" "$DIR/secrets"
  touch "$DIR/.tideway-sandbox"
  chmod 755 "$DIR"
  chmod 700 "$DIR/secrets"
  if ((AS_ROOT)); then
    for u in "$PG_OS_USER" "$MARIADB_OS_USER"; do
      if ! runuser -u "$u" -- test -x "$DIR"; then
        if ((created)); then rm -rf "$DIR"; fi
        die "user $u cannot enter $DIR (a parent folder is private); choose a TIDEWAY_SANDBOX_DIR under /tmp or /var/tmp"
      fi
    done
  fi
}

# Serialises start/stop/destroy: several test runs may share the default folder. The
# lock is on fd 9, which servers must not inherit (they would hold the lock forever), so
# every server launch closes it with 9>&-.
take_lock() {
  exec 9>"$DIR/.lock"
  if ! flock -n 9; then
    say "another sandbox.sh is working on $DIR; waiting for it"
    flock -w 300 9 || die "gave up waiting for the lock on $DIR/.lock"
  fi
}

# Writes a random password to FILE unless it already exists: passwords survive restarts
# and re-initialisation, so settings read earlier stay valid. Hex only, so the value can
# be pasted into SQL and connection strings without quoting.
ensure_secret() {
  local file=$1
  [[ -s $file ]] && return
  (
    umask 077
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$file.tmp"
  )
  mv "$file.tmp" "$file"
}

# ---------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------

pg_init() {
  local s=$1 sdir data
  sdir=$(server_dir "$s")
  data=$(data_dir "$s")
  mkdir -p "$sdir"
  chmod 700 "$sdir"
  if ((AS_ROOT)); then chown "$PG_OS_USER:" "$sdir"; fi
  # --no-sync: the sandbox is disposable, waiting for fsync only slows a cold start.
  if ! as_pg_user "$PG_BIN/initdb" -D "$data" --auth-local=peer --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$sdir/initdb.log" 2>&1; then
    tail -n 30 "$sdir/initdb.log" >&2
    die "$s: initdb failed (full output in $sdir/initdb.log)"
  fi
  cat >>"$data/postgresql.conf" <<EOF

# ---- tideway sandbox (written by tests/sandbox.sh; the port is given at start) ----
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sdir'
wal_level = logical
max_replication_slots = 16
max_wal_senders = 16
# Load tests open 200 concurrent sessions.
max_connections = 200
# A throwaway sandbox: crash safety only costs time here. Never copy these three
# settings to a server whose data matters.
fsync = off
full_page_writes = off
synchronous_commit = off
log_line_prefix = '%m [%p] %q%u@%d '
EOF
  # Passwords (SCRAM) over TCP for everyone, replication included; the unix socket only
  # for the bootstrap superuser, i.e. this script.
  cat >"$data/pg_hba.conf" <<EOF
# TYPE  DATABASE     USER  ADDRESS       METHOD
local   all          $PG_OS_USER         peer
host    all          all   127.0.0.1/32  scram-sha-256
host    replication  all   127.0.0.1/32  scram-sha-256
EOF
}

pg_start() {
  local s=$1
  # pg_ctl -w waits until the server accepts connections and detaches it from our
  # session; -l keeps the server's output out of the caller's terminal or pipe.
  if ! as_pg_user "$PG_BIN/pg_ctl" start -D "$(data_dir "$s")" -l "$(log_file "$s")" -w \
    -t "$START_TIMEOUT" -o "-p ${PORT[$s]}" >/dev/null 9>&-; then
    show_log_tail "$s"
    die "$s: pg_ctl start failed"
  fi
}

# Runs SQL from stdin as the bootstrap superuser over the unix socket.
pg_admin_sql() {
  local s=$1 db=$2
  as_pg_user "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$(server_dir "$s")" \
    -p "${PORT[$s]}" -U "$PG_OS_USER" -d "$db" >/dev/null
}

# Source: the migrator may read everything and stream WAL, as on RDS/Aurora after
# GRANT rds_replication; it owns nothing and cannot write.
pg_provision_source() {
  local s=$1 admin_pw migrator_pw
  admin_pw=$(<"$(secret_file "$s" admin)")
  migrator_pw=$(<"$(secret_file "$s" migrator)")
  pg_admin_sql "$s" postgres <<EOF
CREATE ROLE $ADMIN_USER LOGIN SUPERUSER PASSWORD '$admin_pw';
CREATE ROLE $MIGRATOR_USER LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$migrator_pw';
CREATE DATABASE $DATABASE OWNER $ADMIN_USER;
GRANT CONNECT ON DATABASE $DATABASE TO $MIGRATOR_USER;
EOF
  pg_admin_sql "$s" "$DATABASE" <<EOF
GRANT USAGE ON SCHEMA public TO $MIGRATOR_USER;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO $MIGRATOR_USER;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO $MIGRATOR_USER;
ALTER DEFAULT PRIVILEGES FOR ROLE $ADMIN_USER IN SCHEMA public GRANT SELECT ON TABLES TO $MIGRATOR_USER;
ALTER DEFAULT PRIVILEGES FOR ROLE $ADMIN_USER IN SCHEMA public GRANT SELECT ON SEQUENCES TO $MIGRATOR_USER;
EOF
}

# Target: the migrator owns the database, so it can create schemas and tables in it,
# but it cannot touch roles or other databases.
pg_provision_target() {
  local s=$1 admin_pw migrator_pw
  admin_pw=$(<"$(secret_file "$s" admin)")
  migrator_pw=$(<"$(secret_file "$s" migrator)")
  pg_admin_sql "$s" postgres <<EOF
CREATE ROLE $ADMIN_USER LOGIN SUPERUSER PASSWORD '$admin_pw';
CREATE ROLE $MIGRATOR_USER LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '$migrator_pw';
CREATE DATABASE $DATABASE OWNER $MIGRATOR_USER;
EOF
}

pg_stop() {
  local s=$1 data pid
  data=$(data_dir "$s")
  # Fast: roll back open transactions and disconnect clients, then a clean shutdown.
  as_pg_user "$PG_BIN/pg_ctl" stop -D "$data" -m fast -w -t "$STOP_TIMEOUT" >/dev/null 2>&1 ||
    as_pg_user "$PG_BIN/pg_ctl" stop -D "$data" -m immediate -w -t 10 >/dev/null 2>&1 || true
  pid=$(server_pid "$s")
  if [[ -n $pid ]]; then
    say "$s: did not stop in time; killing pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
    wait_until_gone "$s" 10 || true
  fi
}

# ---------------------------------------------------------------------------------------
# MariaDB
# ---------------------------------------------------------------------------------------

mariadb_init() {
  local s=$1 sdir owner_args=()
  sdir=$(server_dir "$s")
  mkdir -p "$sdir"
  chmod 750 "$sdir"
  if ((AS_ROOT)); then
    chown "$MARIADB_OS_USER:" "$sdir"
    owner_args=(--user="$MARIADB_OS_USER")
  fi
  # The unix_socket-authenticated admin account is named after the OS user running this
  # script (root, or the caller), which is how provisioning logs in without a password.
  if ! mariadb-install-db --no-defaults --datadir="$(data_dir "$s")" "${owner_args[@]}" \
    --auth-root-socket-user="$(id -un)" --skip-test-db --skip-name-resolve \
    >"$sdir/install-db.log" 2>&1; then
    tail -n 30 "$sdir/install-db.log" >&2
    die "$s: mariadb-install-db failed (full output in $sdir/install-db.log)"
  fi
}

mariadb_server_id() {
  case $1 in
    mariadb-source) echo 1 ;;
    mariadb-target) echo 2 ;;
  esac
}

mariadb_start() {
  local s=$1 log
  log=$(log_file "$s")
  # Both servers log binlogs: the target may later act as a source (reverse replication,
  # native-replication benchmark).
  local args=(
    --no-defaults
    --datadir="$(data_dir "$s")"
    --port="${PORT[$s]}"
    --bind-address=127.0.0.1
    --socket="$(mariadb_socket "$s")"
    --pid-file="$(mariadb_pid_file "$s")"
    --log-error="$log"
    --server-id="$(mariadb_server_id "$s")"
    --log-bin=mariadb-bin # relative: the binlogs live in the datadir
    --binlog-format=ROW
    --binlog-row-image=FULL
    --binlog-row-metadata=FULL
    --binlog-checksum=CRC32
    --log-slave-updates=ON
    --gtid-strict-mode=ON
    --gtid-domain-id=0
    --expire-logs-days=1
    --skip-name-resolve
    --innodb-buffer-pool-size=256M
    # Durability traded for speed, as with fsync=off on PostgreSQL: throwaway data.
    --innodb-flush-log-at-trx-commit=2
    --sync-binlog=0
    --max-allowed-packet=64M
    --local-infile=ON
    --character-set-server=utf8mb4
    # Load tests open 200 concurrent sessions (the default is 151), plus headroom for
    # the tests' own admin connections.
    --max-connections=250
  )
  if ((AS_ROOT)); then args+=(--user="$MARIADB_OS_USER"); fi
  # The server reopens its log as mysql, so the file must exist with that owner; early
  # start-up errors written to stderr end up in the same file.
  touch "$log"
  if ((AS_ROOT)); then chown "$MARIADB_OS_USER:" "$log"; fi
  # setsid: a Ctrl-C in the caller's terminal must not reach the server.
  setsid mariadbd "${args[@]}" </dev/null >>"$log" 2>&1 9>&- &
}

# Runs SQL from stdin as the unix_socket admin account.
mariadb_admin_sql() {
  local s=$1
  mariadb --no-defaults --socket="$(mariadb_socket "$s")" -u "$(id -un)" --batch >/dev/null
}

# Source: read everything and stream the binlog; on MariaDB 10.5+ BINLOG MONITOR is what
# REPLICATION CLIENT used to be (SHOW MASTER STATUS, SHOW BINARY LOGS). SHOW VIEW and
# TRIGGER are needed to see view definitions and triggers, which tideway recreates.
# Target: the schema and data privileges an operator gives an application that manages
# its own schema; no SUPER, which managed services do not grant.
mariadb_provision() {
  local s=$1 admin_pw migrator_pw migrator_grants
  admin_pw=$(<"$(secret_file "$s" admin)")
  migrator_pw=$(<"$(secret_file "$s" migrator)")
  case $s in
    mariadb-source) migrator_grants="SELECT, SHOW VIEW, TRIGGER, REPLICATION SLAVE, BINLOG MONITOR" ;;
    mariadb-target) migrator_grants="SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX,
      REFERENCES, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, TRIGGER, EVENT,
      EXECUTE, CREATE TEMPORARY TABLES, LOCK TABLES" ;;
  esac
  # sql_log_bin=0 keeps these statements (and password hashes) out of the binlog, so a
  # server replicating from this one does not replay them and the first binlog event a
  # test sees is its own.
  mariadb_admin_sql "$s" <<EOF
SET SESSION sql_log_bin = 0;
CREATE USER '$ADMIN_USER'@'127.0.0.1' IDENTIFIED BY '$admin_pw';
GRANT ALL PRIVILEGES ON *.* TO '$ADMIN_USER'@'127.0.0.1' WITH GRANT OPTION;
CREATE USER '$MIGRATOR_USER'@'127.0.0.1' IDENTIFIED BY '$migrator_pw';
GRANT $migrator_grants ON *.* TO '$MIGRATOR_USER'@'127.0.0.1';
CREATE DATABASE $DATABASE CHARACTER SET utf8mb4;
EOF
}

mariadb_stop() {
  local s=$1 pid
  pid=$(server_pid "$s")
  [[ -n $pid ]] || return 0
  # SIGTERM is mariadbd's clean shutdown and needs no credentials.
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_until_gone "$s" "$STOP_TIMEOUT"; then
    say "$s: did not stop within ${STOP_TIMEOUT}s; killing pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
    wait_until_gone "$s" 10 || true
  fi
}

# ---------------------------------------------------------------------------------------
# One server, whatever its kind
# ---------------------------------------------------------------------------------------

# Initialised means: data dir created, server configured, users and database created,
# secrets on disk. The marker is written last, so a start interrupted half-way is
# detected and redone from scratch instead of leaving a server without its users.
is_initialised() {
  local s=$1
  [[ -f $(marker_file "$s") && -s $(secret_file "$s" admin) && -s $(secret_file "$s" migrator) ]]
}

server_start() {
  local s=$1
  case $s in
    pg-*) pg_start "$s" ;;
    mariadb-*) mariadb_start "$s" ;;
  esac
  wait_until_answers "$s"
}

server_stop() {
  local s=$1
  case $s in
    pg-*) pg_stop "$s" ;;
    mariadb-*) mariadb_stop "$s" ;;
  esac
}

# Refuses to start on a port another process answers on (often a second sandbox folder
# with default ports): the server would fail to bind with a less obvious message.
check_port_free() {
  local s=$1
  if port_open "${PORT[$s]}"; then
    die "$s: port ${PORT[$s]} is already in use by another process; stop it or set $(prefix_of "$s")_PORT"
  fi
}

# Removes what an interrupted start left of a server (a process still running from it
# included), so that it can be initialised from scratch.
discard_incomplete() {
  local s=$1
  [[ -e $(server_dir "$s") ]] || return 0
  say "$s: initialisation was not completed earlier; starting over"
  server_stop "$s"
  rm -rf "$(server_dir "$s")"
}

server_init_and_start() {
  local s=$1
  say "$s: initialising"
  ensure_secret "$(secret_file "$s" admin)"
  ensure_secret "$(secret_file "$s" migrator)"
  case $s in
    pg-*) pg_init "$s" ;;
    mariadb-*) mariadb_init "$s" ;;
  esac
  server_start "$s"
  case $s in
    pg-source) pg_provision_source "$s" ;;
    pg-target) pg_provision_target "$s" ;;
    mariadb-*) mariadb_provision "$s" ;;
  esac
  touch "$(marker_file "$s")"
  say "$s: initialised and running on 127.0.0.1:${PORT[$s]}"
}

ensure_server_running() {
  local s=$1
  if is_initialised "$s" && server_running "$s"; then
    wait_until_answers "$s"
    say "$s: already running on 127.0.0.1:${PORT[$s]}"
    return
  fi
  is_initialised "$s" || discard_incomplete "$s"
  check_port_free "$s"
  if is_initialised "$s"; then
    server_start "$s"
    say "$s: started on 127.0.0.1:${PORT[$s]}"
  else
    server_init_and_start "$s"
  fi
}

# ---------------------------------------------------------------------------------------
# Env file
# ---------------------------------------------------------------------------------------

# Plain KEY=VALUE lines (no quotes, no export) so C++ tests and shells can both read them.
write_env_file() {
  local s p
  {
    echo "TIDEWAY_SANDBOX_DIR=$DIR"
    for s in "${SERVERS[@]}"; do
      p=$(prefix_of "$s")
      echo "${p}_HOST=127.0.0.1"
      echo "${p}_PORT=${PORT[$s]}"
      echo "${p}_DATABASE=$DATABASE"
      echo "${p}_USER=$MIGRATOR_USER"
      echo "${p}_PASSWORD_FILE=$(secret_file "$s" migrator)"
      echo "${p}_ADMIN_USER=$ADMIN_USER"
      echo "${p}_ADMIN_PASSWORD_FILE=$(secret_file "$s" admin)"
    done
  } >"$DIR/env.tmp"
  mv "$DIR/env.tmp" "$DIR/env"
}

print_env() {
  [[ -f $DIR/env ]] || die "no $DIR/env yet; run tests/sandbox.sh start first"
  sed 's/^/export /' "$DIR/env"
}

# ---------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------

cmd_start() {
  local s
  make_sandbox_dir
  take_lock
  for s in "${SERVERS[@]}"; do
    ensure_server_running "$s"
  done
  write_env_file
  say "all four servers are running; settings in $DIR/env:"
  print_env
}

cmd_stop() {
  local s leftovers
  if [[ -d $DIR ]]; then
    take_lock
    for s in "${SERVERS[@]}"; do
      if server_running "$s"; then
        server_stop "$s"
        say "$s: stopped"
      fi
    done
  fi
  leftovers=$(sandbox_pids)
  if [[ -n $leftovers ]]; then
    echo "sandbox: processes still running from $DIR:" >&2
    ps -o pid=,user=,args= -p "${leftovers//$'\n'/,}" >&2 || true
    die "stop left processes behind"
  fi
  say "nothing is running from $DIR"
}

cmd_status() {
  local s state all_running=1
  for s in "${SERVERS[@]}"; do
    if ! server_running "$s"; then
      state=stopped
      all_running=0
    elif server_answers "$s"; then
      state=running
    else
      state="running, not answering"
    fi
    printf 'sandbox: %-15s %-23s port %s\n' "$s" "$state" "${PORT[$s]}"
  done
  ((all_running)) || return 3
}

cmd_destroy() {
  [[ -e $DIR ]] || {
    say "$DIR does not exist; nothing to destroy"
    return 0
  }
  [[ -f $DIR/.tideway-sandbox ]] || die "$DIR was not created by this script; not deleting it"
  cmd_stop
  rm -rf "$DIR"
  say "deleted $DIR"
}

usage() {
  sed -n 's/^# \{0,1\}//; /^Usage:/,/^$/p' "$SCRIPT" >&2
  exit 2
}

main() {
  [[ $# -eq 1 ]] || usage
  resolve_dir
  resolve_ports
  case $1 in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) print_env ;;
    destroy) cmd_destroy ;;
    *) usage ;;
  esac
}

main "$@"
