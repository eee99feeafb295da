#include "replication/postgres/pg_full_load.h"

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "common/failpoint.h"
#include "common/log.h"
#include "replication/core/load_state.h"
#include "replication/core/loader_run.h"
#include "replication/postgres/pg_catalog.h"
#include "replication/postgres/pg_chunk_copier.h"
#include "replication/postgres/pg_chunk_planner.h"
#include "replication/postgres/pg_replica_role.h"
#include "replication/postgres/pg_schema.h"
#include "replication/postgres/pg_snapshot.h"
#include "replication/postgres/pg_source_checks.h"

namespace tideway::replication::postgres {
namespace {

const log::Logger kLog{"pg.load"};

using WorkItem = ChunkWork<PgTable>;
using LoadRun = LoaderRun<WorkItem>;

// A schema step (before/after load) runs in one target transaction together with a
// marker row, so a crash never leaves half a schema or a schema without its marker.
Result<bool> step_done(PgConnection& target, const std::string& task, const std::string& step) {
  auto r = target.exec("CREATE TABLE IF NOT EXISTS _tideway.task_steps (task_id text, step text, "
                       "done_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (task_id, step))");
  if (!r.ok()) return std::move(r).error();
  auto q = target.exec_params("SELECT 1 FROM _tideway.task_steps WHERE task_id = $1 AND step = $2",
                              {task, step});
  if (!q.ok()) return std::move(q).error();
  return q->rows() > 0;
}

/// `index_memory`: maintenance_work_mem for this step's transaction (the key and index
/// builds after the load), empty for the server's own.
Status run_schema_step(PgConnection& target, const std::string& task, const std::string& step,
                       const std::vector<DdlStatement>& ddl, const std::string& index_memory = {}) {
  auto done = step_done(target, task, step);
  if (!done.ok()) return std::move(done).error();
  if (*done) return {};
  if (auto b = target.exec("BEGIN"); !b.ok()) return std::move(b).error();
  if (!index_memory.empty()) {
    // The value was checked when the task spec was read (digits and a unit only).
    if (auto m = target.exec("SET LOCAL maintenance_work_mem = '" + index_memory + "'"); !m.ok()) {
      (void)target.exec("ROLLBACK").ok();
      return std::move(m).error().with_context(
          "setting postgresql.maintenance_work_mem for the index builds after the load");
    }
  }
  if (Status s = apply_ddl(target, ddl); !s.ok()) {
    (void)target.exec("ROLLBACK").ok();
    return s;
  }
  auto mark = target.exec_params("INSERT INTO _tideway.task_steps (task_id, step) VALUES ($1, $2)",
                                 {task, step});
  if (!mark.ok()) {
    (void)target.exec("ROLLBACK").ok();
    return std::move(mark).error();
  }
  if (auto c = target.exec("COMMIT"); !c.ok()) return std::move(c).error();
  kLog.info("schema step done", {{"task", task}, {"step", step}, {"statements", ddl.size()}});
  return {};
}

// With schema.create off, the operator created the target tables; they must have the
// source's columns (same names, same types) before any data moves.
Status verify_target_columns(PgConnection& target, const TaskSpec& spec,
                             const std::vector<PgTable>& source_tables) {
  auto existing = list_tables(target, spec.tables);
  if (!existing.ok()) return std::move(existing).error();
  std::map<std::string, const PgTable*> by_name;
  for (const auto& t : *existing) by_name[t.qualified()] = &t;
  std::vector<std::string> problems;
  for (const auto& s : source_tables) {
    auto it = by_name.find(s.qualified());
    if (it == by_name.end()) {
      problems.push_back(fmt::format("table {} is missing on the target", s.qualified()));
      continue;
    }
    std::map<std::string, std::string> target_types;
    for (const auto& c : it->second->columns) target_types[c.name] = c.type_sql;
    for (const auto& c : s.columns) {
      auto t = target_types.find(c.name);
      if (t == target_types.end()) {
        problems.push_back(fmt::format("{}.{} ({}) is missing on the target", s.qualified(),
                                       c.name, c.type_sql));
      } else if (t->second != c.type_sql) {
        problems.push_back(fmt::format("{}.{} is {} on the source but {} on the target",
                                       s.qualified(), c.name, c.type_sql, t->second));
      }
    }
  }
  if (!problems.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the target's tables do not match the source (schema.create is false): " +
                          join_problems(problems));
  }
  return {};
}

Status sync_sequences(PgConnection& source, PgConnection& target,
                      const std::vector<PgTable>& tables) {
  std::string schemas = "{";
  std::map<std::string, bool> seen;
  for (const auto& t : tables) {
    if (seen[t.schema]) continue;
    seen[t.schema] = true;
    schemas += (schemas.size() > 1 ? "," : "") + std::string("\"") + t.schema + "\"";
  }
  schemas += "}";
  auto seqs = source.exec_params(
      "SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences "
      "WHERE schemaname = ANY($1::text[]) AND last_value IS NOT NULL",
      {schemas});
  if (!seqs.ok()) return std::move(seqs).error().with_context("reading source sequences");
  for (int r = 0; r < seqs->rows(); ++r) {
    auto set = target.exec_params("SELECT setval($1::regclass, $2::bigint, true)",
                                  {seqs->text(r, 0), seqs->text(r, 1)});
    if (!set.ok()) {
      return std::move(set).error().with_context("setting sequence " + seqs->text(r, 0));
    }
  }
  return {};
}

void loader_thread(const TaskSpec& spec, const std::string& snapshot_name,
                   const std::string& snapshot_lsn, bool replica_role, LoadRun& run,
                   LoadStateStore& state, const std::atomic<bool>& stop) {
  std::unique_ptr<PgConnection> source, target;
  auto connect = [&]() -> Status {
    auto s = PgConnection::connect(spec.source, {false, "tideway-load", 10});
    if (!s.ok()) return std::move(s).error();
    if (Status st = import_snapshot(**s, snapshot_name); !st.ok()) return st;
    auto t = PgConnection::connect(spec.target, {false, "tideway-load", 10});
    if (!t.ok()) return std::move(t).error();
    // Triggers an operator created on a pre-made target schema do not fire for copied
    // rows either (the schema this task creates has none before the load ends).
    if (replica_role) {
      if (Status st = enter_replica_role(**t); !st.ok()) return st;
    }
    source = std::move(s).value();
    target = std::move(t).value();
    return {};
  };
  if (Status s = connect(); !s.ok()) return run.fail(std::move(s).error());

  while (auto item = run.next()) {
    if (stop) break;
    const std::string table = item->table->qualified();
    TableProgress& tp = *item->progress;
    Result<ChunkCopyStats> copied = make_error(ErrorCode::kInternal, "not run");
    for (int attempt = 1; attempt <= 3; ++attempt) {
      ChunkCopyContext ctx{spec.id, snapshot_lsn, &stop, &tp.live_bytes};
      Chunk chunk{item->chunk.index, item->chunk.where_sql, item->chunk.description};
      const std::int64_t live_before = tp.live_bytes.load();
      copied = copy_chunk(*source, *target, *item->table, chunk, ctx);
      tp.live_bytes.fetch_sub(tp.live_bytes.load() - live_before);
      if (copied.ok() || !copied.error().retryable || stop) break;
      kLog.warn("chunk copy failed; reconnecting",
                {{"task", spec.id}, {"attempt", attempt}, {"error", copied.error().message}});
      std::this_thread::sleep_for(std::chrono::seconds(attempt));
      if (Status s = connect(); !s.ok()) {
        copied = std::move(s).error();
        break;
      }
    }
    if (!copied.ok()) {
      if (stop) break;
      return run.fail(std::move(copied).error());
    }
    failpoint("load.after_chunk_commit");
    if (Status s = state.mark_done(table, item->chunk.index,
                                   {copied->rows, copied->bytes, snapshot_lsn});
        !s.ok()) {
      return run.fail(std::move(s).error());
    }
    tp.rows_done += copied->rows;
    tp.bytes_done += copied->bytes;
    tp.chunks_done += 1;
    run.rows += copied->rows;
    run.chunks += 1;
    kLog.debug("chunk copied", {{"task", spec.id}, {"table", table},
                                {"chunk", item->chunk.index}, {"rows", copied->rows}});
  }
}

}  // namespace

Result<FullLoadResult> run_full_load(const TaskSpec& spec, storage::StateStore& store,
                                     LoadProgress& progress, const std::atomic<bool>& stop) {
  const bool needs_stream = spec.mode != TaskMode::kFullLoad;
  LoadStateStore state_store(store, spec.id);
  auto loaded_state = state_store.load_task();
  if (!loaded_state.ok()) return std::move(loaded_state).error();
  TaskState state = loaded_state->value_or(TaskState{});
  if (state.phase == TaskPhase::kLoaded || state.phase == TaskPhase::kStreaming) {
    FullLoadResult done;
    done.start_position = state.start_position;
    return done;  // an earlier run finished the load
  }

  auto source = PgConnection::connect(spec.source);
  if (!source.ok()) return std::move(source).error();
  auto target = PgConnection::connect(spec.target);
  if (!target.ok()) return std::move(target).error();

  auto tables = list_tables(**source, spec.tables);
  if (!tables.ok()) return std::move(tables).error();
  if (tables->empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("no table on {} matches tables.include/exclude",
                                  spec.source.describe()));
  }
  SourceCheckOptions check_options{spec.postgres.slot_name, spec.postgres.publication_name,
                                   state.slot_name == spec.postgres.slot_name, needs_stream};
  auto problems = check_source(**source, *tables, check_options);
  if (!problems.ok()) return std::move(problems).error();
  if (!problems->empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("source {} is not ready: {}", spec.source.describe(),
                                  join_problems(*problems)));
  }

  if (state.phase == TaskPhase::kCreated) {
    // Decided once per task: the schema's timing and the apply sessions depend on it.
    auto access = probe_replica_role(**target);
    if (!access.ok()) return std::move(access).error();
    state.replica_role = access->allowed;
    state.replica_role_note = access->note;
    if (access->allowed) {
      kLog.info("target sessions run with session_replication_role = replica",
                {{"task", spec.id}, {"because", access->note}});
    } else if (needs_stream && spec.schema.create) {
      kLog.warn("foreign keys and triggers wait for cutover: the target user may not set "
                "session_replication_role, and without it they would act a second time on "
                "changes the source already made",
                {{"task", spec.id}, {"detail", access->note}});
    }
  }
  if (Status s = ensure_load_markers(**target); !s.ok()) return std::move(s).error();
  if (spec.schema.create) {
    auto plan = plan_schema(**source, *tables);
    if (!plan.ok()) return std::move(plan).error();
    if (Status s = run_schema_step(**target, spec.id, "before_load", plan->before_load); !s.ok()) {
      return std::move(s).error();
    }
  } else if (Status s = verify_target_columns(**target, spec, *tables); !s.ok()) {
    return std::move(s).error();
  }
  state.schema_before_load = true;

  // The snapshot: the task's slot on the first run; after a restart a fresh one (a
  // temporary slot, so its consistent point is exact), for the chunks still to copy.
  Result<ExportedSnapshot> snapshot = make_error(ErrorCode::kInternal, "no snapshot");
  const bool first_run = state.phase == TaskPhase::kCreated;
  if (needs_stream && first_run) {
    if (state.slot_name == spec.postgres.slot_name) {
      // A previous run created the slot but stopped before loading anything from it:
      // nothing consumed it, so it is dropped and made again with a fresh snapshot.
      (void)(*source)->exec_params("SELECT pg_drop_replication_slot($1)", {state.slot_name}).ok();
    }
    state.slot_name = spec.postgres.slot_name;
    if (Status s = state_store.save_task(state); !s.ok()) return std::move(s).error();
    snapshot = create_slot_with_snapshot(spec.source, spec.postgres.slot_name, false);
  } else if (needs_stream) {
    snapshot = create_slot_with_snapshot(spec.source, spec.postgres.slot_name + "_resnap", true);
  } else {
    snapshot = export_snapshot(spec.source);
  }
  if (!snapshot.ok()) return std::move(snapshot).error();
  const std::string snapshot_lsn = snapshot->consistent_point.to_string();
  if (first_run) {
    state.start_position = needs_stream ? snapshot_lsn : "";
    state.phase = TaskPhase::kLoading;
    if (Status s = state_store.save_task(state); !s.ok()) return std::move(s).error();
    kLog.info("snapshot taken", {{"task", spec.id}, {"slot", state.slot_name},
                                 {"consistent_point", snapshot_lsn}});
  } else {
    kLog.info("resuming full load at a new snapshot",
              {{"task", spec.id}, {"snapshot_point", snapshot_lsn},
               {"stream_start", state.start_position}});
  }

  // Plans and the chunks still to copy.
  auto planner = PgConnection::connect(spec.source, {false, "tideway-plan", 10});
  if (!planner.ok()) return std::move(planner).error();
  if (Status s = import_snapshot(**planner, snapshot->snapshot_name); !s.ok()) {
    return std::move(s).error();
  }
  FullLoadResult result;
  result.tables = static_cast<int>(tables->size());
  LoadRun run;
  // Some chunks were read at a later snapshot than the stream's start (a resumed load).
  bool resnapped = false;
  for (const PgTable& table : *tables) {
    // mode cdc: the operator's target already has the data; only the stream follows.
    if (spec.mode == TaskMode::kCdc) break;
    const std::string name = table.qualified();
    auto planned = state_store.plan_once(name, [&]() -> Result<TablePlan> {
      auto chunks = plan_chunks(**planner, table, spec.full_load.chunk_rows);
      if (!chunks.ok()) return std::move(chunks).error();
      TablePlan p;
      p.method = chunk_method_name(chunks->method);
      p.estimated_rows = table.estimated_rows;
      for (const auto& c : chunks->chunks) p.chunks.push_back({c.index, c.where_sql, c.description});
      return p;
    });
    if (!planned.ok()) return std::move(planned).error();
    const TablePlan& plan = *planned;
    auto done = state_store.load_done(name);
    if (!done.ok()) return std::move(done).error();
    // Physical chunks of a table without a key mean nothing at another snapshot.
    const bool restart_whole = table.primary_key.empty() && !done->empty() &&
                               done->size() < plan.chunks.size() && !first_run;
    if (restart_whole) {
      kLog.warn("table without a primary key was partly copied; copying it whole again",
                {{"task", spec.id}, {"table", name}});
      auto wipe = (*target)->exec(fmt::format(
          "BEGIN; TRUNCATE {0}; DELETE FROM _tideway.load_chunks WHERE task_id = {1} AND "
          "table_name = {2}; COMMIT",
          qualified_name(**target, table.schema, table.name), (*target)->quote_literal(spec.id),
          (*target)->quote_literal(name)));
      if (!wipe.ok()) return std::move(wipe).error();
      done->clear();
      if (Status s = state_store.forget_done(name); !s.ok()) return std::move(s).error();
    }
    TableProgress& tp = progress.table(name, table.estimated_rows,
                                       static_cast<int>(plan.chunks.size()));
    for (const auto& c : plan.chunks) {
      auto d = done->find(c.index);
      if (d == done->end()) {
        // Committed on the target but not recorded here (a crash between the two).
        auto marker = find_chunk_marker(**target, spec.id, name, c.index);
        if (!marker.ok()) return std::move(marker).error();
        if (marker->has_value()) {
          ChunkDone recovered{(*marker)->rows, 0, (*marker)->snapshot};
          if (Status s = state_store.mark_done(name, c.index, recovered); !s.ok()) {
            return std::move(s).error();
          }
          d = done->emplace(c.index, recovered).first;
        }
      }
      if (d != done->end()) {
        if (Lsn::parse(d->second.snapshot) != Lsn::parse(state.start_position)) resnapped = true;
        tp.chunks_done += 1;
        tp.rows_done += d->second.rows;
        ++result.chunks_skipped;
        continue;
      }
      run.add({&table, c, &tp});
    }
  }
  planner->reset();

  progress.start_clock();
  const int workers = std::max(1, std::min<int>(spec.full_load.workers,
                                                static_cast<int>(run.pending())));
  kLog.info("copying", {{"task", spec.id}, {"tables", tables->size()},
                        {"chunks_to_copy", run.pending()},
                        {"chunks_already_done", result.chunks_skipped}, {"workers", workers}});
  std::vector<std::thread> threads;
  for (int i = 0; i < workers && !run.empty(); ++i) {
    threads.emplace_back(loader_thread, std::cref(spec), snapshot->snapshot_name,
                         snapshot_lsn, state.replica_role, std::ref(run), std::ref(state_store),
                         std::cref(stop));
  }
  for (auto& t : threads) t.join();
  snapshot->holder.reset();  // every loader is done with the snapshot
  result.rows = run.rows;
  result.chunks_copied = run.chunks;
  if (auto failure = run.take_failure()) return std::move(*failure);
  if (stop) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("full load of task {} stopped; {} chunks copied in this run, "
                                  "the rest resumes at the next start", spec.id, run.chunks.load()));
  }

  if (spec.schema.create) {
    auto plan = plan_schema(**source, *tables);
    if (!plan.ok()) return std::move(plan).error();
    if (Status s = run_schema_step(**target, spec.id, "after_load", plan->after_load,
                                   spec.postgres.maintenance_work_mem);
        !s.ok()) {
      return std::move(s).error();
    }
    // Foreign keys and triggers go on now when nothing follows the load, or when the
    // stream's sessions run with session_replication_role = replica (then neither acts
    // on replicated rows, as with PostgreSQL's own logical replication). Not after a
    // resumed load: its tables were read at different snapshots, so a child row may
    // wait for its parent until the stream has caught up, and the key would not hold.
    if (needs_stream && state.replica_role && !first_run && run.chunks > 0) resnapped = true;
    const bool now = !needs_stream || (state.replica_role && !resnapped);
    if (needs_stream && state.replica_role && resnapped) {
      kLog.info("foreign keys and triggers wait for cutover: the load resumed at a later "
                "snapshot", {{"task", spec.id}});
    }
    if (now) {
      if (Status s = run_schema_step(**target, spec.id, "at_cutover", plan->at_cutover); !s.ok()) {
        return std::move(s).error();
      }
    }
  }
  if (Status s = sync_sequences(**source, **target, *tables); !s.ok()) return std::move(s).error();
  state.schema_after_load = true;
  state.phase = TaskPhase::kLoaded;
  if (Status s = state_store.save_task(state); !s.ok()) return std::move(s).error();
  result.start_position = state.start_position;
  kLog.info("full load finished", {{"task", spec.id}, {"tables", result.tables},
                                   {"rows_this_run", result.rows},
                                   {"chunks_this_run", result.chunks_copied},
                                   {"chunks_from_earlier_runs", result.chunks_skipped}});
  return result;
}

}  // namespace tideway::replication::postgres

namespace tideway::replication::postgres {

Status finish_after_stream(const TaskSpec& spec) {
  auto source = PgConnection::connect(spec.source, {false, "tideway-cutover", 10});
  if (!source.ok()) return std::move(source).error();
  auto target = PgConnection::connect(spec.target, {false, "tideway-cutover", 10});
  if (!target.ok()) return std::move(target).error();
  auto tables = list_tables(**source, spec.tables);
  if (!tables.ok()) return std::move(tables).error();
  if (Status s = sync_sequences(**source, **target, *tables); !s.ok()) return s;
  if (!spec.schema.create) return {};
  auto plan = plan_schema(**source, *tables);
  if (!plan.ok()) return std::move(plan).error();
  return run_schema_step(**target, spec.id, "at_cutover", plan->at_cutover);
}

}  // namespace tideway::replication::postgres
