# shellcheck shell=bash disable=SC2034  # sets variables for the scripts that source it
# Shared by the bench/*.sh scripts (sourced, not run): sandbox servers, credentials,
# timing, cleanup and result tables. Nothing here asserts a timing; a benchmark only fails
# when a tool fails or loads the wrong number of rows.
#
# Settings (environment):
#   BENCH_SANDBOX_DIR   sandbox folder (default /tmp/tideway-bench-sandbox: a private
#                       instance of tests/sandbox.sh on ports 25432/25433/23306/23307, so a
#                       concurrent tests/run.sh, whose fixture stops the shared sandbox at
#                       its end, cannot stop the servers in the middle of a timing run).
#                       BENCH_SANDBOX_DIR=/tmp/tideway-sandbox uses the shared sandbox
#                       (on its own ports, and never stopped by these scripts).
#   BENCH_KEEP_SANDBOX  1: leave a sandbox this script started running at the end
#   BENCH_RUNS          repetitions of every measurement; the tables show medians
#   TIDEWAY_BIN         the tideway binary (default build-bench/daemon/tideway, built with
#                       RelWithDebInfo when missing)

BENCH_REPO=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
readonly BENCH_REPO
readonly BENCH_HOST=127.0.0.1

say() { echo "bench: $*" >&2; }
die() {
  echo "bench: ERROR: $*" >&2
  exit 1
}

# ---------------------------------------------------------------------------------------
# Cleanup: steps registered while resources are created, run in reverse order at exit
# (also on failure and on Ctrl-C). Each step is best effort and never stops the others.
# ---------------------------------------------------------------------------------------
BENCH_CLEANUP=()
bench_on_exit() { BENCH_CLEANUP+=("$1"); }
bench_run_cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  set +e
  for ((i = ${#BENCH_CLEANUP[@]} - 1; i >= 0; i--)); do
    eval "${BENCH_CLEANUP[i]}" >/dev/null 2>&1
  done
  ((rc == 0)) || say "failed (exit $rc); everything this run created has been removed"
  exit "$rc"
}
trap bench_run_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------

# bench_require COMMAND PACKAGE: install the Debian package when the command is missing.
bench_require() {
  command -v "$1" >/dev/null 2>&1 && return 0
  say "installing $2 (for $1)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null && return 0
  apt-get update -q >/dev/null || true  # the package lists may be missing or stale
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null ||
    die "cannot install $2; install it and run again"
}

bench_tools() {
  # The servers, their clients (pgbench comes with postgresql-15) and the build tools:
  # the project's own installer, a no-op when all is there.
  "$BENCH_REPO/deploy/install-deps.sh" >/dev/null
  bench_require /usr/bin/time time
  TIDEWAY_BIN=${TIDEWAY_BIN:-$BENCH_REPO/build-bench/daemon/tideway}
  if [[ ! -x $TIDEWAY_BIN ]]; then
    say "building tideway (RelWithDebInfo) in $BENCH_REPO/build-bench"
    cmake -S "$BENCH_REPO" -B "$BENCH_REPO/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    ninja -C "$BENCH_REPO/build-bench" tideway >/dev/null
  fi
  [[ -x $TIDEWAY_BIN ]] || die "no tideway binary at $TIDEWAY_BIN"
}

# ---------------------------------------------------------------------------------------
# Sandbox servers and credentials
# ---------------------------------------------------------------------------------------

bench_sandbox() {
  export TIDEWAY_SANDBOX_DIR=${BENCH_SANDBOX_DIR:-/tmp/tideway-bench-sandbox}
  if [[ $TIDEWAY_SANDBOX_DIR != /tmp/tideway-sandbox ]]; then
    # Not the shared sandbox's ports (15432, ...): both may run at the same time.
    export TIDEWAY_PG_SOURCE_PORT=${TIDEWAY_PG_SOURCE_PORT:-25432}
    export TIDEWAY_PG_TARGET_PORT=${TIDEWAY_PG_TARGET_PORT:-25433}
    export TIDEWAY_MARIADB_SOURCE_PORT=${TIDEWAY_MARIADB_SOURCE_PORT:-23306}
    export TIDEWAY_MARIADB_TARGET_PORT=${TIDEWAY_MARIADB_TARGET_PORT:-23307}
  fi
  local sandbox=$BENCH_REPO/tests/sandbox.sh
  if ! "$sandbox" status >/dev/null 2>&1; then
    say "starting the sandbox servers in $TIDEWAY_SANDBOX_DIR"
    "$sandbox" start >/dev/null
    if [[ ${BENCH_KEEP_SANDBOX:-0} != 1 ]]; then
      # Only a sandbox this script started, and never the shared one other people's
      # tests use.
      [[ $TIDEWAY_SANDBOX_DIR == /tmp/tideway-sandbox ]] || bench_on_exit "'$sandbox' stop"
    fi
  fi
  eval "$("$sandbox" env)"
  SRC_PORT=$TIDEWAY_PG_SOURCE_PORT
  DST_PORT=$TIDEWAY_PG_TARGET_PORT
  ADMIN=$TIDEWAY_PG_SOURCE_ADMIN_USER
  MIGRATOR=$TIDEWAY_PG_SOURCE_USER
  [[ $TIDEWAY_PG_TARGET_ADMIN_USER == "$ADMIN" && $TIDEWAY_PG_TARGET_USER == "$MIGRATOR" ]] ||
    die "the sandbox's source and target users differ; this script expects the same names"

  # One private folder for everything this run writes: a password file that libpq,
  # pgbench and pgcopydb all read, task specs, state dirs and logs.
  BENCH_TMP=$(mktemp -d /tmp/tideway-bench.XXXXXX)
  bench_on_exit "rm -rf '$BENCH_TMP'"
  local pw
  {
    for pw in "$SRC_PORT:$ADMIN:$TIDEWAY_PG_SOURCE_ADMIN_PASSWORD_FILE" \
      "$SRC_PORT:$MIGRATOR:$TIDEWAY_PG_SOURCE_PASSWORD_FILE" \
      "$DST_PORT:$ADMIN:$TIDEWAY_PG_TARGET_ADMIN_PASSWORD_FILE" \
      "$DST_PORT:$MIGRATOR:$TIDEWAY_PG_TARGET_PASSWORD_FILE"; do
      IFS=: read -r port user file <<<"$pw"
      echo "$BENCH_HOST:$port:*:$user:$(cat "$file")"
    done
  } >"$BENCH_TMP/pgpass"
  chmod 600 "$BENCH_TMP/pgpass"
  export PGPASSFILE=$BENCH_TMP/pgpass PGCONNECT_TIMEOUT=10
  unset PGPASSWORD PGSERVICE PGOPTIONS
}

# src_sql USER DB SQL / dst_sql USER DB SQL: one statement list, unaligned output.
src_sql() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -v ON_ERROR_STOP=1 -h "$BENCH_HOST" -p "$SRC_PORT" -U "$1" -d "$2" -c "$3"; }
dst_sql() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -v ON_ERROR_STOP=1 -h "$BENCH_HOST" -p "$DST_PORT" -U "$1" -d "$2" -c "$3"; }

# A database this run creates and drops again at exit. Names start with bench_ so that
# nobody else's databases (fl_*, st_*, sandbox) can ever match.
create_source_db() {
  [[ $1 == bench_* ]] || die "refusing to manage database $1 (not bench_*)"
  src_sql "$ADMIN" postgres "DROP DATABASE IF EXISTS $1 WITH (FORCE)"
  src_sql "$ADMIN" postgres "CREATE DATABASE $1"
  bench_on_exit "src_sql '$ADMIN' postgres 'DROP DATABASE IF EXISTS $1 WITH (FORCE)'"
}
create_target_db() {  # NAME [OWNER]
  [[ $1 == bench_* ]] || die "refusing to manage database $1 (not bench_*)"
  dst_sql "$ADMIN" postgres "DROP DATABASE IF EXISTS $1 WITH (FORCE)"
  dst_sql "$ADMIN" postgres "CREATE DATABASE $1${2:+ OWNER $2}"
  bench_on_exit "dst_sql '$ADMIN' postgres 'DROP DATABASE IF EXISTS $1 WITH (FORCE)'"
}
drop_target_db() { dst_sql "$ADMIN" postgres "DROP DATABASE IF EXISTS $1 WITH (FORCE)"; }

# What an operator grants the migration user on a source database (as in the tests).
grant_source_reader() {
  src_sql "$ADMIN" "$1" "GRANT CONNECT ON DATABASE $1 TO $MIGRATOR;
    GRANT USAGE ON SCHEMA public TO $MIGRATOR;
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO $MIGRATOR;
    GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO $MIGRATOR"
}

# write_task FILE ID SOURCE_DB TARGET_DB MODE WORKERS SCHEMA_CREATE INCLUDE... : a task spec.
write_task() {
  local file=$1 id=$2 sdb=$3 tdb=$4 mode=$5 workers=$6 create=$7
  shift 7
  local include="" p
  for p in "$@"; do include+="${include:+, }\"$p\""; done
  cat >"$file" <<EOF
id: $id
source:
  engine: postgresql
  host: $BENCH_HOST
  port: $SRC_PORT
  database: $sdb
  user: $MIGRATOR
  password_file: $TIDEWAY_PG_SOURCE_PASSWORD_FILE
target:
  engine: postgresql
  host: $BENCH_HOST
  port: $DST_PORT
  database: $tdb
  user: $MIGRATOR
  password_file: $TIDEWAY_PG_TARGET_PASSWORD_FILE
tables:
  include: [$include]
mode: $mode
full_load:
  workers: $workers
schema:
  create: $create
EOF
}

# ---------------------------------------------------------------------------------------
# Machine and versions
# ---------------------------------------------------------------------------------------
bench_print_machine() {
  local cpu mem
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
  echo "machine:   $(nproc) CPUs ($cpu), $mem RAM, $(uname -sr)"
  echo "postgres:  $(src_sql "$ADMIN" postgres "SHOW server_version") (source :$SRC_PORT, target :$DST_PORT, sandbox settings: fsync=off, synchronous_commit=off, shared_buffers=$(src_sql "$ADMIN" postgres "SHOW shared_buffers"))"
  echo "tideway:   $("$TIDEWAY_BIN" --version) [$TIDEWAY_BIN]"
  echo "load avg:  $(cut -d' ' -f1-3 /proc/loadavg) at start (other work on the machine skews every figure)"
}

# ---------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------

# now: seconds since the epoch, microsecond resolution.
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# Peak of the summed RSS (KiB) of a process and all its descendants, sampled every
# 0.2 s until it exits; written to FILE. GNU time's figure is the largest single process
# only, which undercounts tools that fork workers (pgcopydb) or pipes (psql | psql).
rss_tree_sampler() {  # PID FILE
  local root=$1 out=$2 peak=0 sum
  while kill -0 "$root" 2>/dev/null; do
    sum=$(ps -e -o pid=,ppid=,rss= | awk -v root="$root" '
      { parent[$1] = $2; rss[$1] = $3 }
      END {
        total = 0
        for (p in parent) {
          q = p; hops = 0
          while (q != root && q in parent && hops++ < 64) q = parent[q]
          if (q == root) total += rss[p]
        }
        print total
      }')
    sum=${sum:-0}
    ((sum > peak)) && peak=$sum
    echo "$peak" >"$out"
    sleep 0.2
  done
}

# timed LOG CMD...: runs CMD under GNU time (-v); sets T_WALL (s), T_RSS_KB (largest
# process) and T_TREE_KB (sampled sum over the process tree). Fails if CMD fails, showing
# the end of its output.
timed() {
  local log=$1
  shift
  local tv="$log.time" t0 t1 pid sampler rc=0
  t0=$(now)
  /usr/bin/time -v -o "$tv" "$@" >"$log" 2>&1 &
  pid=$!
  rss_tree_sampler "$pid" "$log.tree" &
  sampler=$!
  wait "$pid" || rc=$?
  t1=$(now)
  wait "$sampler" 2>/dev/null || true
  if ((rc != 0)); then
    tail -n 25 "$log" >&2
    die "command failed (exit $rc): $*"
  fi
  T_WALL=$(elapsed "$t0" "$t1")
  T_RSS_KB=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tv")
  T_TREE_KB=$(cat "$log.tree" 2>/dev/null || echo 0)
  ((T_TREE_KB >= T_RSS_KB)) || T_TREE_KB=$T_RSS_KB
}

# ---------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------
median() {  # values... -> the median (mean of the two middle ones for an even count)
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }
per_second() { awk -v n="$1" -v s="$2" 'BEGIN { if (s <= 0) print "n/a"; else printf "%.0f", n / s }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
