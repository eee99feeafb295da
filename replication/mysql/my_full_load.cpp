#include "replication/mysql/my_full_load.h"

#include <algorithm>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "common/failpoint.h"
#include "common/log.h"
#include "replication/core/load_state.h"
#include "replication/core/loader_run.h"
#include "replication/mysql/my_catalog.h"
#include "replication/mysql/my_chunk_copier.h"
#include "replication/mysql/my_chunk_planner.h"
#include "replication/mysql/my_schema.h"
#include "replication/mysql/my_schema_steps.h"
#include "replication/mysql/my_snapshot.h"
#include "replication/mysql/my_source_checks.h"
#include "replication/mysql/my_watermark.h"

namespace tideway::replication::mysql {
namespace {

const log::Logger kLog{"my.load"};

using WorkItem = ChunkWork<MyTable>;
using LoadRun = LoaderRun<WorkItem>;

MyConnectOptions target_session() { return {SessionKind::kTarget, false, false, 10}; }

/// How the workers read: consistent-snapshot sessions, or plain sessions whose chunks
/// each take watermarks (my_watermark.h).
struct ReadMethod {
  SnapshotMethod method = SnapshotMethod::kConsistentSnapshot;
  bool need_position = true;  // watermark: write watermarks and record positions
  SignalTable signal;
};

// A worker's source session outside any transaction: each chunk's SELECT is one
// consistent read of its own, between that chunk's watermarks. autocommit is set, not
// trusted: a server default of 0 would leave the low watermark uncommitted and put the
// SELECT in its transaction.
Result<SnapshotSession> open_watermark_session(const Endpoint& source) {
  auto conn = MyConnection::connect(source, {SessionKind::kSourceRaw, true, false, 10});
  if (!conn.ok()) return std::move(conn).error();
  for (const char* sql : {"SET SESSION autocommit = 1",
                          "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"}) {
    if (Status s = (*conn)->execute(sql); !s.ok()) return std::move(s).error();
  }
  return SnapshotSession{std::move(conn).value(), std::nullopt};
}

Result<SnapshotSession> open_worker_session(const Endpoint& source, const ReadMethod& read) {
  if (read.method == SnapshotMethod::kWatermark) return open_watermark_session(source);
  return open_snapshot_session(source, read.need_position);
}

struct Worker {
  const TaskSpec& spec;
  const ReadMethod& read;
  LoadRun& run;
  LoadStateStore& state;
  const std::atomic<bool>& stop;

  // Copies one chunk, retrying transient failures on new connections (a new snapshot
  // for the source: the chunk then records the newer position).
  Result<ChunkDone> copy(SnapshotSession& session, std::unique_ptr<MyConnection>& target,
                         const WorkItem& item) {
    const std::string table = item.table->qualified();
    Result<ChunkDone> done = make_error(ErrorCode::kInternal, "not run");
    for (int attempt = 1; attempt <= 3; ++attempt) {
      if (attempt > 1) {
        kLog.warn("chunk copy failed; reconnecting",
                  {{"task", spec.id}, {"table", table}, {"chunk", item.chunk.index},
                   {"attempt", attempt}, {"error", done.error().message}});
        std::this_thread::sleep_for(std::chrono::seconds(attempt - 1));
      }
      if (session.connection == nullptr) {
        auto fresh = open_worker_session(spec.source, read);
        if (!fresh.ok()) {
          done = std::move(fresh).error();
          if (!done.error().retryable) break;
          continue;
        }
        session = std::move(fresh).value();
      }
      if (target == nullptr) {
        auto t = MyConnection::connect(spec.target, target_session());
        if (!t.ok()) {
          done = std::move(t).error();
          if (!done.error().retryable) break;
          continue;
        }
        target = std::move(t).value();
      }
      if (attempt > 1) {
        // The failed attempt may have committed (a connection lost during COMMIT).
        auto marker = find_chunk_marker(*target, spec.id, table, item.chunk.index);
        if (!marker.ok()) {
          done = std::move(marker).error();
          target.reset();
          continue;
        }
        if (marker->has_value()) return ChunkDone{(*marker)->rows, 0, (*marker)->snapshot};
      }
      const std::string position = session.position ? session.position->to_string() : "";
      ChunkCopyContext ctx{spec.id, position, &stop, &item.progress->live_bytes};
      std::optional<BinlogPosition> low;
      if (read.method == SnapshotMethod::kWatermark && read.need_position) {
        auto p0 = write_low_watermark(*session.connection, read.signal, spec.id, table,
                                      item.chunk.index);
        if (!p0.ok()) {
          done = std::move(p0).error();
          session.connection.reset();
          if (!done.error().retryable || stop) break;
          continue;
        }
        low = std::move(p0).value();
        // Planned as one "no_key" chunk, whose handoff window skips (my_handoff.h).
        const bool keyless = item.table->primary_key.empty();
        ctx.position_after_read = [&](MyConnection& source) -> Result<std::string> {
          auto high = write_high_watermark(source, read.signal, spec.id, table, item.chunk.index);
          if (!high.ok()) return std::move(high).error();
          bool ambiguous = false;
          if (keyless && !(*low == *high)) {
            auto touched = binlog_touches_table(source, *low, *high, item.table->database,
                                                item.table->name);
            if (!touched.ok()) return std::move(touched).error();
            ambiguous = *touched;
          }
          if (ambiguous) {
            // Without a key the stream cannot replay the changes the read may or may not
            // show; only a read with nothing binlogged during it is exact.
            return make_error(
                ErrorCode::kUnavailable,
                fmt::format("table {} has no primary key, so its copy must show it at one "
                            "exact binlog position, but it was written while it was read "
                            "(between {} and {}); add a primary key, copy it while it is not "
                            "written, or on MariaDB use mysql.snapshot: consistent_snapshot",
                            table, low->to_string(), high->to_string()),
                true);
          }
          return high->to_string();
        };
      }
      const std::int64_t live_before = item.progress->live_bytes.load();
      Chunk chunk{item.chunk.index, item.chunk.where_sql, item.chunk.description};
      auto copied = copy_chunk(*session.connection, *target, *item.table, chunk, ctx);
      item.progress->live_bytes.fetch_sub(item.progress->live_bytes.load() - live_before);
      if (copied.ok()) return ChunkDone{copied->rows, copied->bytes, copied->snapshot};
      done = std::move(copied).error();
      // The source result may be cancelled and the target mid-transaction: start over.
      session.connection.reset();
      target.reset();
      if (!done.error().retryable || stop) break;
    }
    return done;
  }

  void operator()(SnapshotSession session) {
    std::unique_ptr<MyConnection> target;
    while (auto item = run.next()) {
      if (stop) break;
      auto done = copy(session, target, *item);
      if (!done.ok()) {
        if (stop) break;
        return run.fail(std::move(done).error());
      }
      failpoint("load.after_chunk_commit");
      const std::string table = item->table->qualified();
      if (Status s = state.mark_done(table, item->chunk.index, *done); !s.ok()) {
        return run.fail(std::move(s).error());
      }
      TableProgress& tp = *item->progress;
      tp.rows_done += done->rows;
      tp.bytes_done += done->bytes;
      tp.chunks_done += 1;
      run.rows += done->rows;
      run.chunks += 1;
      kLog.debug("chunk copied", {{"task", spec.id}, {"table", table},
                                  {"chunk", item->chunk.index}, {"rows", done->rows},
                                  {"position", done->snapshot}});
    }
  }
};

// The chunks of `table` still to copy; done ones (recorded, or committed on the target
// with a marker but not recorded: a crash between the two) are counted as skipped.
Status queue_table(const TaskSpec& spec, const MyTable& table, MyConnection& planner,
                   MyConnection& target, LoadStateStore& state_store, LoadProgress& progress,
                   LoadRun& run, MyFullLoadResult& result) {
  const std::string name = table.qualified();
  auto plan = state_store.plan_once(name, [&]() -> Result<TablePlan> {
    auto chunks = plan_chunks(planner, table, spec.full_load.chunk_rows);
    if (!chunks.ok()) return std::move(chunks).error();
    TablePlan p;
    p.method = chunk_method_name(chunks->method);
    p.estimated_rows = table.estimated_rows;
    for (const auto& c : chunks->chunks) p.chunks.push_back({c.index, c.where_sql, c.description});
    return p;
  });
  if (!plan.ok()) return std::move(plan).error();
  auto done = state_store.load_done(name);
  if (!done.ok()) return std::move(done).error();
  TableProgress& tp =
      progress.table(name, table.estimated_rows, static_cast<int>(plan->chunks.size()));
  for (const auto& c : plan->chunks) {
    auto d = done->find(c.index);
    if (d == done->end()) {
      auto marker = find_chunk_marker(target, spec.id, name, c.index);
      if (!marker.ok()) return std::move(marker).error();
      if (marker->has_value()) {
        ChunkDone recovered{(*marker)->rows, 0, (*marker)->snapshot};
        if (Status s = state_store.mark_done(name, c.index, recovered); !s.ok()) return s;
        d = done->emplace(c.index, recovered).first;
      }
    }
    if (d != done->end()) {
      tp.chunks_done += 1;
      tp.rows_done += d->second.rows;
      ++result.chunks_skipped;
      continue;
    }
    run.add({&table, c, &tp});
  }
  return {};
}

}  // namespace

Result<MyFullLoadResult> run_mysql_full_load(const TaskSpec& spec, storage::StateStore& store,
                                             LoadProgress& progress,
                                             const std::atomic<bool>& stop) {
  const bool needs_stream = spec.mode != TaskMode::kFullLoad;
  LoadStateStore state_store(store, spec.id);
  auto loaded_state = state_store.load_task();
  if (!loaded_state.ok()) return std::move(loaded_state).error();
  TaskState state = loaded_state->value_or(TaskState{});
  MyFullLoadResult result;
  if (state.phase == TaskPhase::kLoaded || state.phase == TaskPhase::kStreaming) {
    result.start_position = state.start_position;
    return result;  // an earlier run finished the load
  }

  auto source = MyConnection::connect(spec.source);
  if (!source.ok()) return std::move(source).error();
  auto target = MyConnection::connect(spec.target, target_session());
  if (!target.ok()) return std::move(target).error();

  auto tables = list_tables(**source, without_signal_table(spec));
  if (!tables.ok()) return std::move(tables).error();
  if (tables->empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("no table on {} matches tables.include/exclude (database.table "
                                  "globs), or the user may see none of them",
                                  spec.source.describe()));
  }
  auto method = resolve_snapshot_method(spec.mysql.snapshot, (*source)->server_version());
  if (!method.ok()) return std::move(method).error();
  ReadMethod read;
  read.method = *method;
  read.signal = parse_signal_table(spec.mysql.signal_table);
  // Without a stream a position is only informative: a full_load-only task reads each
  // chunk in one consistent SELECT and writes nothing to the source.
  read.need_position = needs_stream;
  const bool watermarks = read.method == SnapshotMethod::kWatermark && read.need_position &&
                          spec.mode != TaskMode::kCdc;
  SourceCheckOptions check_options;
  check_options.needs_stream = needs_stream;
  check_options.schema_create = spec.schema.create;
  check_options.resume_by_gtid = spec.mysql.resume_by == MyResumeBy::kGtid;
  if (watermarks) {
    check_options.watermark = true;
    check_options.signal_database = read.signal.database;
    check_options.signal_table = read.signal.table;
  }
  auto report = check_source(**source, *tables, check_options);
  if (!report.ok()) return std::move(report).error();
  std::vector<std::string> problems = report->problems;
  SchemaPlan schema;
  if (spec.schema.create && problems.empty()) {
    auto plan = plan_schema(**source, *tables, spec.tables);
    if (!plan.ok()) return std::move(plan).error();
    schema = std::move(plan).value();
    auto target_problems = check_target_for_schema(**target, schema);
    if (!target_problems.ok()) return std::move(target_problems).error();
    problems.insert(problems.end(), target_problems->begin(), target_problems->end());
  }
  if (!problems.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("source {} (target {}) is not ready: {}",
                                  spec.source.describe(), spec.target.describe(),
                                  join_problems(problems)));
  }
  if (watermarks) {
    if (Status s = ensure_signal_table(**source, read.signal); !s.ok()) {
      return std::move(s).error();
    }
  }
  result.warnings = report->warnings;
  result.definers_rewritten = schema.definers_rewritten;
  for (const auto& w : result.warnings) kLog.warn(w, {{"task", spec.id}});
  for (const auto& d : result.definers_rewritten) kLog.warn(d, {{"task", spec.id}});

  if (Status s = ensure_load_markers(**target); !s.ok()) return std::move(s).error();
  const bool first_run = state.phase == TaskPhase::kCreated;
  if (first_run) {
    auto stale = count_chunk_markers(**target, spec.id);
    if (!stale.ok()) return std::move(stale).error();
    if (*stale > 0) {
      return make_error(
          ErrorCode::kConflict,
          fmt::format("the target {} holds {} chunk markers of task {} but this task has no "
                      "recorded state: another run with the same task id loaded into this "
                      "target; use another task id, or remove its rows from "
                      "_tideway.load_chunks and _tideway.task_steps and the data it loaded",
                      spec.target.describe(), *stale, spec.id));
    }
  }
  if (spec.schema.create) {
    if (Status s = run_schema_step(**target, spec.id, "before_load", schema.before_load); !s.ok()) {
      return std::move(s).error();
    }
  } else if (Status s = verify_target_tables(**target, *tables); !s.ok()) {
    return std::move(s).error();
  }
  state.schema_before_load = true;

  // Plans and the chunks still to copy (mode cdc: the target already has the data).
  auto planner = MyConnection::connect(spec.source, {SessionKind::kSourceRaw, true, false, 10});
  if (!planner.ok()) return std::move(planner).error();
  result.tables = static_cast<int>(tables->size());
  LoadRun run;
  for (const MyTable& table : *tables) {
    if (spec.mode == TaskMode::kCdc) break;
    if (Status s = queue_table(spec, table, **planner, **target, state_store, progress, run,
                               result);
        !s.ok()) {
      return std::move(s).error();
    }
  }
  planner->reset();

  // One snapshot session per worker. Without a stream a position is only informative,
  // so a source without one (binlog off, MySQL 8) still loads.
  const int workers = std::max(1, std::min<int>(spec.full_load.workers,
                                                static_cast<int>(run.pending())));
  Result<std::vector<SnapshotSession>> sessions = std::vector<SnapshotSession>();
  std::optional<BinlogPosition> earliest;
  if (read.method == SnapshotMethod::kWatermark) {
    // The stream's start comes before every chunk's low watermark (my_watermark.h);
    // for a cdc task it is simply where the stream starts.
    if (first_run && read.need_position) {
      auto start = read_binlog_position(**source);
      if (!start.ok()) return std::move(start).error();
      earliest = std::move(start).value();
    }
    for (int i = 0; i < workers; ++i) {
      auto s = open_watermark_session(spec.source);
      if (!s.ok()) return std::move(s).error();
      sessions->push_back(std::move(s).value());
    }
    if (!needs_stream && !run.empty()) {
      kLog.info("watermark method without a stream: each chunk is one consistent read of its "
                "own moment",
                {{"task", spec.id}});
    }
  } else {
    sessions = open_snapshot_sessions(spec.source, workers, true);
    if (!sessions.ok() && !needs_stream &&
        sessions.error().code == ErrorCode::kInvalidArgument) {
      kLog.info("no binlog position for the snapshots; chunks are recorded without one",
                {{"task", spec.id}, {"reason", sessions.error().message}});
      read.need_position = false;
      sessions = open_snapshot_sessions(spec.source, workers, false);
    }
    if (!sessions.ok()) return std::move(sessions).error();
    earliest = earliest_position(*sessions);
  }
  bool spread = false;
  for (const auto& s : *sessions) spread = spread || !(s.position == earliest);
  if (spread && earliest && !needs_stream && !run.empty()) {
    result.warnings.push_back(
        "the source was written while the workers' snapshots opened, so chunks may show "
        "different moments (from " + earliest->to_string() + "); use full_load_and_cdc for a "
        "copy that converges");
    kLog.warn(result.warnings.back(), {{"task", spec.id}});
  }
  if (first_run) {
    state.start_position = needs_stream && earliest ? earliest->to_string() : "";
    state.phase = TaskPhase::kLoading;
    if (Status s = state_store.save_task(state); !s.ok()) return std::move(s).error();
    kLog.info("snapshot taken", {{"task", spec.id}, {"start_position", state.start_position},
                                 {"workers", workers},
                                 {"method", read.method == SnapshotMethod::kWatermark
                                                ? "watermark"
                                                : "consistent_snapshot"}});
  } else {
    kLog.info("resuming full load at new snapshots",
              {{"task", spec.id}, {"snapshot_from", earliest ? earliest->to_string() : ""},
               {"stream_start", state.start_position}});
  }

  progress.start_clock();
  kLog.info("copying", {{"task", spec.id}, {"tables", tables->size()},
                        {"chunks_to_copy", run.pending()},
                        {"chunks_already_done", result.chunks_skipped}, {"workers", workers}});
  std::vector<std::thread> threads;
  if (!run.empty()) {
    for (auto& session : *sessions) {
      threads.emplace_back(Worker{spec, read, run, state_store, stop},
                           std::move(session));
    }
  }
  for (auto& t : threads) t.join();
  sessions->clear();  // ends the snapshot transactions
  result.rows = run.rows;
  result.chunks_copied = run.chunks;
  if (auto failure = run.take_failure()) return std::move(*failure);
  if (stop) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("full load of task {} stopped; {} chunks copied in this run, "
                                  "the rest resumes at the next start",
                                  spec.id, run.chunks.load()));
  }

  if (spec.schema.create) {
    if (Status s = run_schema_step(**target, spec.id, "after_load", schema.after_load); !s.ok()) {
      return std::move(s).error();
    }
    // Without a stream nothing follows the load: foreign keys and triggers go on now.
    if (!needs_stream) {
      if (Status s = run_schema_step(**target, spec.id, "at_cutover", schema.at_cutover);
          !s.ok()) {
        return std::move(s).error();
      }
    }
  }
  auto counters = sync_auto_increment(**source, **target, *tables);
  if (!counters.ok()) return std::move(counters).error();
  state.schema_after_load = true;
  state.phase = TaskPhase::kLoaded;
  if (Status s = state_store.save_task(state); !s.ok()) return std::move(s).error();
  result.start_position = state.start_position;
  kLog.info("full load finished", {{"task", spec.id}, {"tables", result.tables},
                                   {"rows_this_run", result.rows},
                                   {"chunks_this_run", result.chunks_copied},
                                   {"chunks_from_earlier_runs", result.chunks_skipped},
                                   {"auto_increment_counters_set", *counters}});
  return result;
}

}  // namespace tideway::replication::mysql
