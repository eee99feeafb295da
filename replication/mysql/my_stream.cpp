#include "replication/mysql/my_stream.h"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <thread>
#include <vector>

#include "common/log.h"
#include "replication/core/event_queue.h"
#include "replication/core/load_state.h"
#include "replication/mysql/gtid_set.h"
#include "replication/mysql/my_handoff.h"
#include "replication/mysql/my_stream_reader.h"
#include "replication/mysql/my_watermark.h"

namespace tideway::replication::mysql {
namespace {

const log::Logger kLog{"my.stream"};

double seconds_since_us(std::int64_t time_us) {
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return time_us <= 0 ? 0.0 : std::max(0.0, static_cast<double>(now - time_us) / 1e6);
}

/// Fails when the source no longer has `start`'s binlog file, which no retry can fix.
Status check_not_purged(MyConnection& source, const BinlogPosition& start) {
  auto logs = source.query("SHOW BINARY LOGS");
  if (!logs.ok()) return std::move(logs).error().with_context("listing the source's binlogs");
  for (std::size_t i = 0; i < logs->size(); ++i) {
    if (logs->text(i, 0) == start.file) return {};
  }
  return make_error(
      ErrorCode::kNotFound,
      fmt::format("position {} no longer on the source ({} was purged; the oldest "
                  "binlog is {}); a new full load is needed",
                  start.to_string(), start.file, logs->empty() ? "none" : logs->text(0, 0)));
}

/// Before a start by GTID: the position must carry GTIDs the source understands and, on
/// MySQL, the source must still have every transaction not in them (gtid_purged within
/// our set). MariaDB checks its own list when the dump starts (error 1236 if gone).
Status check_gtids_available(MyConnection& source, const BinlogPosition& start) {
  if (source.is_mariadb()) {
    if (start.mysql_gtid_set) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("mysql.resume_by: gtid: position {} holds a MySQL GTID set, "
                                    "but {} is a MariaDB server",
                                    start.to_string(), source.endpoint().describe()));
    }
    // Without a list the file is needed to look it up (BINLOG_GTID_POS).
    if (start.gtid.empty()) return check_not_purged(source, start);
    return {};
  }
  auto mode = mysql_gtid_mode(source);
  if (!mode.ok()) return std::move(mode).error();
  if (*mode != "ON") {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("mysql.resume_by: gtid needs gtid_mode=ON on the source {} "
                                  "(it is {}); set gtid_mode=ON and "
                                  "enforce_gtid_consistency=ON, or use resume_by: file",
                                  source.endpoint().describe(), *mode));
  }
  if (!start.mysql_gtid_set) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("mysql.resume_by: gtid: position {} carries no MySQL GTID set "
                                  "(gtid_mode was not ON when it was recorded); use "
                                  "resume_by: file, or a new full load with gtid_mode=ON",
                                  start.to_string()));
  }
  auto ours = GtidSet::parse(start.gtid);
  if (!ours.ok()) return std::move(ours).error().with_context("position " + start.to_string());
  auto purged = source.query("SELECT @@global.gtid_purged");
  if (!purged.ok()) {
    return std::move(purged).error().with_context("reading the source's gtid_purged");
  }
  auto gone = GtidSet::parse(purged->text(0, 0));
  if (!gone.ok()) return std::move(gone).error().with_context("reading the source's gtid_purged");
  if (!ours->contains(*gone)) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("position {} no longer on the source (its binlogs were "
                                  "purged of transactions the task has not applied: "
                                  "gtid_purged is {}); a new full load is needed",
                                  start.to_string(), gone->text()));
  }
  return {};
}

/// Settings the stream works without but not as well: said once per session.
void warn_about_settings(MyConnection& source) {
  auto r = source.query(
      "SELECT @@global.binlog_format, @@global.binlog_row_metadata, "
      "@@global.binlog_row_image");
  if (!r.ok() || r->empty()) return;  // servers before MySQL 8 / MariaDB 10.5
  if (r->text(0, 0) != "ROW") {
    kLog.warn(
        "binlog_format is not ROW: statement-based changes to replicated tables will stop "
        "the stream",
        {{"binlog_format", r->text(0, 0)}});
  }
  if (r->text(0, 1) != "FULL") {
    kLog.warn(
        "binlog_row_metadata is not FULL: column names and keys come from "
        "information_schema, and a stream catching up over DDL may have to stop",
        {{"binlog_row_metadata", r->text(0, 1)}});
  }
  if (r->text(0, 2) != "FULL") {
    kLog.warn(
        "binlog_row_image is not FULL: keyless tables cannot be matched, and columns "
        "missing from an image keep the target's value",
        {{"binlog_row_image", r->text(0, 2)}});
  }
}

/// The GTID list at a file position (MariaDB), so the stream can keep it from there.
Result<std::string> gtid_at(MyConnection& source, const BinlogPosition& p) {
  auto r =
      source.query(fmt::format("SELECT BINLOG_GTID_POS({}, {})", source.quote(p.file), p.offset));
  if (!r.ok())
    return std::move(r).error().with_context("reading the GTID list at " + p.to_string());
  return r->text(0, 0);
}

/// The reader thread's side of one session.
struct Session {
  MyStreamStatus& status;
  const std::atomic<bool>& stop;
  ByteBoundedQueue<StreamEvent> queue;
  std::atomic<bool> reader_done{false};
  std::atomic<bool> caught_up{false};  // a heartbeat came with nothing in flight
  std::optional<Error> reader_error;
  // Where the reader stood at the last heartbeat with no transaction open: every event
  // before it is already in the queue.
  std::mutex seen_mutex;
  std::string seen_through;

  std::string seen() {
    std::lock_guard lock(seen_mutex);
    return seen_through;
  }

  Session(MyStreamStatus& st, const std::atomic<bool>& sp, std::size_t bytes)
      : status(st), stop(sp), queue(bytes) {}

  void read(MyStreamReader& reader) {
    std::vector<StreamEvent> events;
    while (!stop && !reader_done) {
      events.clear();
      bool heartbeat = false;
      Status s = reader.next(events, heartbeat);
      if (!s.ok())
        return finish(stop || reader_done ? std::nullopt
                                          : std::optional<Error>(std::move(s).error()));
      caught_up = heartbeat && !reader.in_transaction();
      if (caught_up) {
        std::lock_guard lock(seen_mutex);
        seen_through = reader.position().to_string();
      }
      for (auto& e : events) {
        const bool commit = std::holds_alternative<CommitEvent>(e);
        const std::size_t size = event_byte_size(e);
        if (!queue.push(std::move(e), size)) return finish({});
        if (commit) status.set_received(reader.position().to_string());
      }
    }
    finish({});
  }

  void finish(std::optional<Error> error) {
    reader_error = std::move(error);
    reader_done = true;
    queue.close();
  }
};

/// One connected session: runs until stop, or returns the error that ended it.
Status run_session(const TaskSpec& spec, LoadStateStore& state, MyStreamStatus& status,
                   const std::atomic<bool>& stop, const MyStreamOptions& options,
                   const BinlogPosition& stream_start) {
  auto source_sql = MyConnection::connect(spec.source, {SessionKind::kSource, false, false, 10});
  if (!source_sql.ok()) return std::move(source_sql).error();
  auto windows = binlog_handoff_windows(state, stream_start);
  if (!windows.ok()) return std::move(windows).error();
  for (const auto& [table, w] : *windows) {
    kLog.info("handoff window", {{"table", table},
                                 {"until", w.until.to_string()},
                                 {"mode", w.skip ? "skip" : "idempotent"}});
  }
  auto applier = MyApplier::open(spec.target, spec.id, std::move(windows).value(), options.applier);
  if (!applier.ok()) return std::move(applier).error();
  status.target_binlog_disabled = (*applier)->target_binlog_disabled();

  // Resume at the furthest durable point: the checkpoint, or the target's own position
  // when a crash came between the target commit and the checkpoint. By GTID, "further"
  // is judged by GTIDs when both positions carry them: after a failover the recorded
  // file positions are the old server's and say nothing about the new one.
  const bool by_gtid = spec.mysql.resume_by == MyResumeBy::kGtid;
  BinlogPosition start = stream_start;
  const auto take_if_further = [&](const BinlogPosition& p) {
    if (by_gtid) {
      if (auto after = gtid_at_or_after(p, start)) {
        if (*after) start = p;
        return;
      }
    }
    if (p > start) start = p;
  };
  auto checkpoint = state.load_checkpoint();
  if (!checkpoint.ok()) return std::move(checkpoint).error();
  if (checkpoint->has_value()) {
    if (auto p = BinlogPosition::parse(**checkpoint)) take_if_further(*p);
  }
  if (const auto& applied = (*applier)->applied_position()) take_if_further(*applied);
  if (by_gtid) {
    if (Status s = check_gtids_available(**source_sql, start); !s.ok()) return s;
  } else if (Status s = check_not_purged(**source_sql, start); !s.ok()) {
    return s;
  }
  warn_about_settings(**source_sql);
  if (start.gtid.empty() && !start.mysql_gtid_set && (*source_sql)->is_mariadb()) {
    auto gtid = gtid_at(**source_sql, start);
    if (!gtid.ok()) return std::move(gtid).error();
    start.gtid = *gtid;
  }
  if (by_gtid) (*applier)->drop_passed_windows(start);
  status.set_applied(start.to_string());
  status.set_checkpointed(start.to_string());
  status.set_received(start.to_string());

  BinlogClientOptions client;
  client.server_id = options.server_id != 0 ? options.server_id : default_server_id(spec.id);
  client.heartbeat = options.heartbeat;
  client.read_timeout = options.read_timeout;
  auto reader = MyStreamReader::start(spec, start, **source_sql, client, by_gtid);
  if (!reader.ok()) {
    if (reader.error().code == ErrorCode::kNotFound) {
      return make_error(ErrorCode::kNotFound,
                        fmt::format("position {} no longer on the source; a new full load is "
                                    "needed ({})",
                                    start.to_string(), reader.error().message));
    }
    return std::move(reader).error();
  }
  status.started_by_gtid = (*reader)->started_by_gtid();
  if (status.started_by_gtid) (*applier)->started_after_gtids();
  status.interruption.resumed();
  kLog.info("streaming", {{"task", spec.id},
                          {"from", start.to_string()},
                          {"by", status.started_by_gtid ? "gtid" : "file"},
                          {"server_id", client.server_id},
                          {"target_binlog", (*applier)->target_binlog_note()}});

  Session session(status, stop, options.queue_bytes);
  std::thread reader_thread([&] { session.read(**reader); });
  auto checkpoint_after = [&](const std::string& position) -> Status {
    status.apply.commit_batch();  // the target committed: what was noted is durable there
    if (Status s = state.save_checkpoint(position); !s.ok()) return s;
    status.set_applied(position);
    status.set_checkpointed(position);
    return {};
  };
  Status result;
  while (true) {
    auto event = session.queue.pop(std::chrono::milliseconds(50));
    if (event) {
      if (const auto* c = std::get_if<CommitEvent>(&*event)) {
        status.last_commit_time_us = c->commit_time_us;
        status.lag_seconds = seconds_since_us(c->commit_time_us);
      }
      if (const auto* change = std::get_if<Change>(&*event)) status.apply.note_change(*change);
      if (Status s = (*applier)->apply(*event); !s.ok()) {
        result = s;
        break;
      }
      if (auto durable = (*applier)->take_durable()) {
        if (Status s = checkpoint_after(*durable); !s.ok()) {
          result = s;
          break;
        }
      }
    }
    // Read before looking at the queue: every event before `seen` was queued before it
    // was written, so an empty queue then means all of them were taken and, once
    // flushed below, applied.
    const std::string seen = event ? std::string() : session.seen();
    // Commit the group when it is big or old enough, or when the reader has nothing
    // more for us right now (lowest lag).
    const bool drained = !event && session.queue.empty();
    if ((*applier)->batch_due() || drained) {
      auto flushed = (*applier)->flush();
      if (!flushed.ok()) {
        result = std::move(flushed).error();
        break;
      }
      if (*flushed) {
        if (Status s = checkpoint_after(**flushed); !s.ok()) {
          result = s;
          break;
        }
        status.changes_applied = (*applier)->changes_applied();
        status.transactions_applied = (*applier)->transactions_applied();
      }
      if (!event && session.caught_up) status.lag_seconds = 0;
      if (drained && !seen.empty()) status.set_idle(seen);
    }
    if (!event && session.reader_done && session.queue.empty()) break;
  }
  status.apply.drop_batch();  // not committed: replayed by the next session
  session.reader_done = true;
  session.queue.close();
  (*reader)->cancel();
  reader_thread.join();
  if (!result.ok()) return result;
  if (session.reader_error) {
    Error e = std::move(*session.reader_error);
    if (e.code == ErrorCode::kNotFound) {
      return make_error(ErrorCode::kNotFound,
                        fmt::format("position {} no longer on the source; a new full load is "
                                    "needed ({})",
                                    status.checkpointed_position(), e.message));
    }
    return e;
  }
  return {};
}

}  // namespace

Status run_mysql_stream(const TaskSpec& task_spec, storage::StateStore& store,
                        MyStreamStatus& status, const std::atomic<bool>& stop,
                        const MyStreamOptions& options) {
  // The watermark snapshot's signal rows are written to the source's binlog during the
  // load; they are never replicated.
  TaskSpec spec = task_spec;
  spec.tables = without_signal_table(task_spec);
  LoadStateStore state(store, spec.id);
  auto task = state.load_task();
  if (!task.ok()) return std::move(task).error();
  if (!task->has_value() || (*task)->start_position.empty()) {
    return make_error(ErrorCode::kConflict,
                      fmt::format("task {} has no stream start position; run its full load "
                                  "first",
                                  spec.id));
  }
  TaskState t = **task;
  const auto stream_start = BinlogPosition::parse(t.start_position);
  if (!stream_start) {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("task {} has start position '{}', which is not a binlog "
                                  "position",
                                  spec.id, t.start_position));
  }
  if (t.phase != TaskPhase::kStreaming) {
    t.phase = TaskPhase::kStreaming;
    if (Status s = state.save_task(t); !s.ok()) return s;
  }
  int failures = 0;
  while (!stop) {
    const std::string before = status.checkpointed_position();
    Status s = run_session(spec, state, status, stop, options, *stream_start);
    if (s.ok() || stop) return {};
    // A session that moved the checkpoint was healthy: count failures afresh.
    if (!before.empty() && status.checkpointed_position() != before) failures = 0;
    if (!s.error().retryable || ++failures > options.max_reconnects) {
      kLog.error("stream failed", {{"task", spec.id}, {"error", s.message()}});
      return s;
    }
    status.reconnects += 1;
    status.interruption.interrupted(s.message());
    const auto backoff = std::chrono::seconds(std::min(30, 1 << std::min(failures, 5)));
    kLog.warn("stream interrupted; reconnecting from the last checkpoint",
              {{"task", spec.id},
               {"attempt", failures},
               {"backoff_seconds", backoff.count()},
               {"error", s.message()}});
    for (auto waited = std::chrono::milliseconds(0); waited < backoff && !stop;
         waited += std::chrono::milliseconds(100)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return {};
}

Result<BinlogPosition> current_binlog_position(const Endpoint& source) {
  auto conn = MyConnection::connect(source, {SessionKind::kSource, false, false, 10});
  if (!conn.ok()) return std::move(conn).error();
  return read_binlog_position(**conn);
}

}  // namespace tideway::replication::mysql
