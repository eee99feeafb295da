#!/usr/bin/env bash
# PostgreSQL -> PostgreSQL full load: tideway against the tools a user would otherwise
# pick, in one run on the same data (pgbench -i -s 50: 5,000,000 rows in
# pgbench_accounts, plus pgbench_branches/tellers/history), each into a fresh target
# database:
#   - raw pipe, one table:  psql "\copy ... TO STDOUT" | psql "\copy ... FROM STDIN" into a
#     pre-created table without its primary key (the key is then built separately, and the
#     "+ PK" row adds that time, since tideway and pgcopydb both end with the key built);
#   - the same pipe with COPY (FORMAT binary), which is what tideway uses for these types;
#   - the text pipe for all four tables, one after another, then their keys (what a
#     shell loop over the tables would do);
#   - pgcopydb clone --table-jobs 2 --index-jobs 2 (whole database, as the admin);
#   - tideway run (mode full_load): pgbench_accounts alone with workers 1 and 2, and all
#     four tables with workers 2;
#   - a diagnostic tideway run into a pre-created table without a key (schema.create:
#     false), to show what building the key during the load costs.
# Every run is timed with /usr/bin/time -v (wall time, peak RSS) and its target row counts
# are checked against the source: a run that loaded the wrong number of rows fails.
#
# Usage (Debian 12, as root, from anywhere):
#   bench/pg_full_load.sh                 # starts a private sandbox itself, 3 runs
#   BENCH_RUNS=1 BENCH_SCALE=10 bench/pg_full_load.sh     # a quick look
# Settings: BENCH_RUNS (3), BENCH_SCALE (pgbench scale, 50), BENCH_DIAGNOSTIC (1: include
# the no-key tideway run), and those in bench/lib.sh (sandbox folder, tideway binary).
# Missing tools (time, pgcopydb, the PostgreSQL client) are installed with apt-get.
# Everything it creates (databases, folders, a sandbox it started) is removed at exit,
# also on failure.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${BENCH_RUNS:-3}
SCALE=${BENCH_SCALE:-50}
DIAGNOSTIC=${BENCH_DIAGNOSTIC:-1}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS=$RUNS is not a positive number"
[[ $SCALE =~ ^[1-9][0-9]*$ ]] || die "BENCH_SCALE=$SCALE is not a positive number"

readonly SRC_DB=bench_fl_src DST_DB=bench_fl_dst
readonly TABLES=(pgbench_accounts pgbench_branches pgbench_tellers pgbench_history)

bench_tools
bench_require pgcopydb pgcopydb
bench_sandbox

echo "== PostgreSQL full load: tideway vs raw COPY pipe vs pgcopydb =="
bench_print_machine
echo "pgcopydb:  $(pgcopydb --version 2>/dev/null | sed -n 's/^pgcopydb version //p' | head -n 1)"
echo "data:      pgbench -i -s $SCALE; $RUNS run(s) of each, medians below"

# ---------------------------------------------------------------------------------------
# Source data
# ---------------------------------------------------------------------------------------
create_source_db "$SRC_DB"
say "generating pgbench data, scale $SCALE"
pgbench -q -i -s "$SCALE" -h "$BENCH_HOST" -p "$SRC_PORT" -U "$ADMIN" "$SRC_DB" >"$BENCH_TMP/pgbench-init.log" 2>&1 ||
  { tail -n 20 "$BENCH_TMP/pgbench-init.log" >&2; die "pgbench -i failed"; }
grant_source_reader "$SRC_DB"
declare -A SRC_ROWS
ALL_ROWS=0
for t in "${TABLES[@]}"; do
  SRC_ROWS[$t]=$(src_sql "$ADMIN" "$SRC_DB" "SELECT count(*) FROM $t")
  ALL_ROWS=$((ALL_ROWS + SRC_ROWS[$t]))
done
ONE_ROWS=${SRC_ROWS[pgbench_accounts]}
((ONE_ROWS > 0)) || die "pgbench_accounts is empty on the source"
echo "rows:      pgbench_accounts $ONE_ROWS; all four tables $ALL_ROWS"
pg_dump -h "$BENCH_HOST" -p "$SRC_PORT" -U "$ADMIN" -d "$SRC_DB" -t pgbench_accounts --schema-only \
  --section=pre-data --no-owner --no-acl >"$BENCH_TMP/accounts-pre.sql"
pg_dump -h "$BENCH_HOST" -p "$SRC_PORT" -U "$ADMIN" -d "$SRC_DB" -t pgbench_accounts --schema-only \
  --section=post-data --no-owner --no-acl >"$BENCH_TMP/accounts-post.sql"

for section in pre post; do
  pg_dump -h "$BENCH_HOST" -p "$SRC_PORT" -U "$ADMIN" -d "$SRC_DB" $(printf -- '-t %s ' "${TABLES[@]}") \
    --schema-only --section="$section-data" --no-owner --no-acl >"$BENCH_TMP/all-$section.sql"
done

# ---------------------------------------------------------------------------------------
# One measurement
# ---------------------------------------------------------------------------------------
declare -A WALLS RSS TREE  # variant -> space-separated values, one per run

# verify VARIANT TABLE...: the fresh target holds exactly the source's rows.
verify() {
  local variant=$1 t got
  shift
  for t in "$@"; do
    got=$(dst_sql "$ADMIN" "$DST_DB" "SELECT count(*) FROM public.$t" 2>/dev/null || echo "missing")
    [[ $got == "${SRC_ROWS[$t]}" ]] ||
      die "$variant: target $t has $got rows, the source ${SRC_ROWS[$t]}; this measurement is void"
  done
}

record() {  # VARIANT ROWS
  WALLS[$1]+="$T_WALL "
  RSS[$1]+="$T_RSS_KB "
  TREE[$1]+="$T_TREE_KB "
  say "  $1: $T_WALL s, $(per_second "$2" "$T_WALL") rows/s, peak RSS $(mib "$T_RSS_KB") MiB (tree $(mib "$T_TREE_KB") MiB)"
}

fresh_target() {  # OWNER
  drop_target_db "$DST_DB"
  create_target_db "$DST_DB" "$1"
  # Start every measurement without a pending checkpoint from the one before.
  src_sql "$ADMIN" postgres "CHECKPOINT"
  dst_sql "$ADMIN" postgres "CHECKPOINT"
}

SRC_CONN=(-X -q -h "$BENCH_HOST" -p "$SRC_PORT" -U "$MIGRATOR" -d "$SRC_DB")
DST_CONN=(-X -q -h "$BENCH_HOST" -p "$DST_PORT" -U "$MIGRATOR" -d "$DST_DB")

run_pipe() {  # VARIANT text|binary
  local variant=$1 out in copy_wall copy_rss copy_tree
  fresh_target "$MIGRATOR"
  psql "${DST_CONN[@]}" -v ON_ERROR_STOP=1 -o /dev/null -f "$BENCH_TMP/accounts-pre.sql"
  if [[ $2 == text ]]; then
    out='\copy pgbench_accounts TO STDOUT'
    in='\copy pgbench_accounts FROM STDIN'
  else
    out='COPY pgbench_accounts TO STDOUT (FORMAT binary)'
    in='COPY pgbench_accounts FROM STDIN (FORMAT binary)'
  fi
  timed "$BENCH_TMP/$variant.log" bash -c "set -euo pipefail
    $(printf '%q ' psql "${SRC_CONN[@]}" -v ON_ERROR_STOP=1 -c "$out") |
      $(printf '%q ' psql "${DST_CONN[@]}" -v ON_ERROR_STOP=1 -c "$in")"
  verify "$variant" pgbench_accounts
  record "$variant" "$ONE_ROWS"
  copy_wall=$T_WALL copy_rss=$T_RSS_KB copy_tree=$T_TREE_KB
  # The key, built after the load as a dump restore would.
  timed "$BENCH_TMP/$variant-pk.log" psql "${DST_CONN[@]}" -v ON_ERROR_STOP=1 -o /dev/null \
    -f "$BENCH_TMP/accounts-post.sql"
  dst_sql "$ADMIN" "$DST_DB" "SELECT 1 FROM pg_constraint WHERE conname = 'pgbench_accounts_pkey'" |
    grep -q 1 || die "$variant: the primary key was not built"
  T_WALL=$(awk -v a="$copy_wall" -v b="$T_WALL" 'BEGIN { printf "%.3f", a + b }')
  ((T_RSS_KB >= copy_rss)) || T_RSS_KB=$copy_rss
  ((T_TREE_KB >= copy_tree)) || T_TREE_KB=$copy_tree
  record "$variant+pk" "$ONE_ROWS"
}

run_pipe_all() {  # the text pipe for all four tables, one after another, then their keys
  local variant=pipe_text_4t copy_wall copy_rss copy_tree t script="set -euo pipefail"
  fresh_target "$MIGRATOR"
  psql "${DST_CONN[@]}" -v ON_ERROR_STOP=1 -o /dev/null -f "$BENCH_TMP/all-pre.sql"
  for t in "${TABLES[@]}"; do
    script+=$'\n'"$(printf '%q ' psql "${SRC_CONN[@]}" -v ON_ERROR_STOP=1 -c "\\copy $t TO STDOUT") |
      $(printf '%q ' psql "${DST_CONN[@]}" -v ON_ERROR_STOP=1 -c "\\copy $t FROM STDIN")"
  done
  timed "$BENCH_TMP/$variant.log" bash -c "$script"
  verify "$variant" "${TABLES[@]}"
  copy_wall=$T_WALL copy_rss=$T_RSS_KB copy_tree=$T_TREE_KB
  timed "$BENCH_TMP/$variant-pk.log" psql "${DST_CONN[@]}" -v ON_ERROR_STOP=1 -o /dev/null \
    -f "$BENCH_TMP/all-post.sql"
  T_WALL=$(awk -v a="$copy_wall" -v b="$T_WALL" 'BEGIN { printf "%.3f", a + b }')
  ((T_RSS_KB >= copy_rss)) || T_RSS_KB=$copy_rss
  ((T_TREE_KB >= copy_tree)) || T_TREE_KB=$copy_tree
  record "$variant+pk" "$ALL_ROWS"
}

run_pgcopydb() {
  local variant=pgcopydb dir=$BENCH_TMP/pgcopydb
  fresh_target "$ADMIN"
  rm -rf "$dir"
  timed "$BENCH_TMP/$variant.log" pgcopydb clone \
    --source "postgres://$ADMIN@$BENCH_HOST:$SRC_PORT/$SRC_DB" \
    --target "postgres://$ADMIN@$BENCH_HOST:$DST_PORT/$DST_DB" \
    --table-jobs 2 --index-jobs 2 --dir "$dir"
  verify "$variant" "${TABLES[@]}"
  record "$variant" "$ALL_ROWS"
}

run_tideway() {  # VARIANT WORKERS all|one [nokey]
  local variant=$1 workers=$2 create=true rows=$ONE_ROWS task data
  local include=(public.pgbench_accounts)
  if [[ $3 == all ]]; then
    include=('public.pgbench_*')
    rows=$ALL_ROWS
  fi
  fresh_target "$MIGRATOR"
  if [[ ${4:-} == nokey ]]; then
    create=false
    psql "${DST_CONN[@]}" -v ON_ERROR_STOP=1 -o /dev/null -f "$BENCH_TMP/accounts-pre.sql"
  fi
  task=$BENCH_TMP/$variant.yaml
  data=$BENCH_TMP/$variant.state
  rm -rf "$data"
  write_task "$task" "bench-${variant//_/-}" "$SRC_DB" "$DST_DB" full_load "$workers" "$create" "${include[@]}"
  timed "$BENCH_TMP/$variant.log" "$TIDEWAY_BIN" run --task "$task" --data-dir "$data"
  if [[ $3 == all ]]; then verify "$variant" "${TABLES[@]}"; else verify "$variant" pgbench_accounts; fi
  record "$variant" "$rows"
}

VARIANTS=(pipe_text pipe_binary tideway_1t_w1 tideway_1t_w2 tideway_4t_w2 pgcopydb pipe_text_4t)
if ((DIAGNOSTIC)); then VARIANTS+=(tideway_1t_w2_nokey); fi
for ((run = 1; run <= RUNS; run++)); do
  say "run $run/$RUNS"
  # Rotate the order so that no tool always runs first (cold caches) or last.
  for ((i = 0; i < ${#VARIANTS[@]}; i++)); do
    v=${VARIANTS[(i + run - 1) % ${#VARIANTS[@]}]}
    case $v in
      pipe_text) run_pipe pipe_text text ;;
      pipe_binary) run_pipe pipe_binary binary ;;
      pipe_text_4t) run_pipe_all ;;
      tideway_1t_w1) run_tideway "$v" 1 one ;;
      tideway_1t_w2) run_tideway "$v" 2 one ;;
      tideway_4t_w2) run_tideway "$v" 2 all ;;
      tideway_1t_w2_nokey) run_tideway "$v" 2 one nokey ;;
      pgcopydb) run_pgcopydb ;;
    esac
  done
done
drop_target_db "$DST_DB"

# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------
declare -A MED_RATE
row() {  # VARIANT LABEL TABLES ROWS
  local w r k t
  # shellcheck disable=SC2086
  w=$(median ${WALLS[$1]})
  # shellcheck disable=SC2086
  k=$(median ${RSS[$1]})
  # shellcheck disable=SC2086
  t=$(median ${TREE[$1]})
  r=$(per_second "$4" "$w")
  MED_RATE[$1]=$r
  printf '| %-46s | %-6s | %9s | %10s | %8s | %8s | %-26s |\n' "$2" "$3" "$w" "$r" \
    "$(mib "$k")" "$(mib "$t")" "${WALLS[$1]% }"
}
echo
echo "load avg:  $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo "results (median of $RUNS; rows/s = rows copied / wall time; RSS in MiB: largest process, and sum over the process tree)"
printf '| %-46s | %-6s | %9s | %10s | %8s | %8s | %-26s |\n' tool tables "wall s" "rows/s" "RSS" "tree RSS" "all runs (s)"
echo "|------------------------------------------------|--------|-----------|------------|----------|----------|----------------------------|"
row pipe_text "raw pipe, COPY text (no key)" 1 "$ONE_ROWS"
row pipe_text+pk "raw pipe, COPY text + PK built after" 1 "$ONE_ROWS"
row pipe_binary "raw pipe, COPY binary (no key)" 1 "$ONE_ROWS"
row pipe_binary+pk "raw pipe, COPY binary + PK built after" 1 "$ONE_ROWS"
row tideway_1t_w1 "tideway full_load, workers 1" 1 "$ONE_ROWS"
row tideway_1t_w2 "tideway full_load, workers 2" 1 "$ONE_ROWS"
if ((DIAGNOSTIC)); then
  row tideway_1t_w2_nokey "tideway workers 2, target without key (diag.)" 1 "$ONE_ROWS"
fi
row pipe_text_4t+pk "raw text pipes, one table after another + PKs" 4 "$ALL_ROWS"
row pgcopydb "pgcopydb clone, 2 table + 2 index jobs" 4 "$ALL_ROWS"
row tideway_4t_w2 "tideway full_load, workers 2" 4 "$ALL_ROWS"

ratio() { div "${MED_RATE[$1]}" "${MED_RATE[$2]}"; }
echo
echo "ratios (tideway rows/s divided by the peer's; above 1.00 tideway is faster):"
printf '  %-52s %s\n' \
  "tideway w1 / raw text pipe:" "$(ratio tideway_1t_w1 pipe_text)" \
  "tideway w1 / raw text pipe + PK:" "$(ratio tideway_1t_w1 pipe_text+pk)" \
  "tideway w2 / raw text pipe:" "$(ratio tideway_1t_w2 pipe_text)" \
  "tideway w2 / raw text pipe + PK:" "$(ratio tideway_1t_w2 pipe_text+pk)" \
  "tideway w2 / raw binary pipe + PK:" "$(ratio tideway_1t_w2 pipe_binary+pk)" \
  "tideway 4 tables w2 / raw text pipes + PKs (4 tables):" "$(ratio tideway_4t_w2 pipe_text_4t+pk)" \
  "tideway 4 tables w2 / pgcopydb (4 tables):" "$(ratio tideway_4t_w2 pgcopydb)"
