#include "replication/postgres/pg_stream.h"

#include <map>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/log.h"
#include "replication/core/event_queue.h"
#include "replication/core/load_state.h"
#include "replication/postgres/pg_applier.h"
#include "replication/postgres/pg_change_builder.h"
#include "common/byte_reader.h"
#include "replication/postgres/pg_stream_reader.h"
#include "replication/postgres/pg_stream_spool.h"
#include "replication/postgres/pgoutput_decoder.h"

namespace tideway::replication::postgres {
namespace {

const log::Logger kLog{"pg.stream"};
using Clock = std::chrono::steady_clock;

/// Tables whose chunks were read at a later snapshot than the stream's start.
Result<std::map<std::string, HandoffWindow>> handoff_windows(const LoadStateStore& state,
                                                             Lsn stream_start,
                                                             PgConnection& source) {
  std::map<std::string, HandoffWindow> windows;
  auto plans = state.load_plans();
  if (!plans.ok()) return std::move(plans).error();
  for (const auto& [table, plan] : *plans) {
    auto done = state.load_done(table);
    if (!done.ok()) return std::move(done).error();
    Lsn latest = stream_start;
    for (const auto& [index, chunk] : *done) {
      (void)index;
      if (auto lsn = Lsn::parse(chunk.snapshot); lsn && *lsn > latest) latest = *lsn;
    }
    if (latest <= stream_start) continue;
    const bool ctid_chunks = plan.method == "ctid";
    windows[table] = HandoffWindow{latest, ctid_chunks};
    kLog.info("handoff window", {{"table", table}, {"until", latest.to_string()},
                                 {"mode", ctid_chunks ? "skip" : "idempotent"}});
  }
  (void)source;
  return windows;
}

/// Resolves the type names of columns added mid-stream, on the source.
Result<std::vector<ColumnDesc>> added_columns(PgConnection& source, const TableDesc& before,
                                              const TableDesc& after) {
  std::vector<ColumnDesc> added;
  for (const auto& c : after.columns) {
    bool existed = false;
    for (const auto& o : before.columns) existed = existed || o.name == c.name;
    if (existed) continue;
    auto t = source.exec_params("SELECT format_type($1::oid, $2::int)",
                                {std::to_string(c.type_oid), std::to_string(c.type_modifier)});
    if (!t.ok()) return std::move(t).error().with_context("resolving the type of " + c.name);
    ColumnDesc resolved = c;
    resolved.type_name = t->text(0, 0);
    added.push_back(resolved);
  }
  return added;
}

/// Events travel from the reader to the applier in batches: one queue hand-over (a lock
/// and often a thread wake-up) per row would cost more than applying the row. A batch is
/// handed over when it is full, or as soon as the source has nothing more buffered for
/// us, so a quiet stream's lag is not held back by the batching.
using EventBatch = std::vector<StreamEvent>;
constexpr std::size_t kBatchEvents = 512;
constexpr std::size_t kBatchBytes = 1 << 20;

struct Session {
  const TaskSpec& spec;
  StreamStatus& status;
  const std::atomic<bool>& stop;
  const StreamOptions& options;
  PgStreamSpool& spool;
  ByteBoundedQueue<EventBatch> queue;
  std::atomic<bool> reader_done{false};
  std::optional<Error> reader_error;

  // Reader thread state (only it touches these).
  EventBatch pending;  // the batch being filled
  std::size_t pending_bytes = 0;
  bool gathered = false;  // the pending batch has had its gather pause
  bool queue_closed = false;  // the applier is gone: stop reading, no error of ours
  PgChangeBuilder builder;
  DecodeOptions decode;
  /// Between Stream Start and Stream Stop: the streamed transaction being received.
  std::optional<std::uint32_t> stream_xid;
  std::chrono::steady_clock::time_point last_feedback = Clock::now();
  std::uint64_t last_reported = 0;

  Session(const TaskSpec& s, StreamStatus& st, const std::atomic<bool>& sp, const StreamOptions& o,
          PgStreamSpool& spl)
      : spec(s), status(st), stop(sp), options(o), spool(spl), queue(o.queue_bytes) {}

  bool add(StreamEvent event, std::size_t bytes) {
    pending.push_back(std::move(event));
    pending_bytes += bytes;
    if (pending.size() >= kBatchEvents || pending_bytes >= kBatchBytes) return hand_over();
    return true;
  }
  bool hand_over() {
    if (pending.empty()) return true;
    gathered = false;
    const std::size_t bytes = pending_bytes;
    pending_bytes = 0;
    const bool ok = queue.push(std::exchange(pending, {}), bytes);
    pending.reserve(kBatchEvents);
    if (!ok) queue_closed = true;
    return ok;
  }

  /// Standby status update when the checkpoint moved (promptly: the slot releases WAL
  /// sooner) or feedback_interval passed (a sign of life).
  Status maybe_feedback(PgStreamReader& reader) {
    const std::uint64_t flushed = status.checkpointed_lsn.load();
    const bool moved = flushed > last_reported;
    const auto now = Clock::now();
    if ((moved && now - last_feedback >= std::chrono::seconds(1)) ||
        now - last_feedback >= options.feedback_interval) {
      last_reported = flushed;
      if (Status s = reader.send_feedback(Lsn{status.received_lsn.load()}, Lsn{flushed});
          !s.ok()) {
        return s;
      }
      last_feedback = Clock::now();
    }
    return {};
  }

  void note_spool() {
    status.spool_bytes = spool.bytes();
    status.streamed_open = static_cast<std::int64_t>(spool.open_transactions());
  }

  /// One decoded message through the change builder; its event (and the columns a new
  /// Relation adds) into the batch. Sets queue_closed instead of failing when the
  /// applier is gone.
  Status feed(PgoutputMessage&& message, Lsn at, PgConnection& source_sql, Lsn& last_pushed) {
    auto event = builder.feed(std::move(message), at);
    if (!event.ok()) return std::move(event).error();
    for (auto& [old_desc, new_desc] : builder.take_schema_changes()) {
      auto added = added_columns(source_sql, *old_desc, *new_desc);
      if (!added.ok()) return std::move(added).error();
      if (!added->empty() &&
          !add(StreamEvent(AddColumnsEvent{new_desc, *added}), sizeof(StreamEvent))) {
        return {};
      }
    }
    if (event->has_value()) {
      if (const auto* c = std::get_if<CommitEvent>(&**event)) last_pushed = c->end_position;
      const std::size_t size = event_byte_size(**event);
      if (!add(std::move(**event), size)) return {};
    }
    return {};
  }

  /// Stream Commit: the spooled transaction replayed through the normal path, framed by
  /// the Begin and Commit an ordinary transaction would have had. Reading stays bounded
  /// by the spool's read buffer; feedback goes on meanwhile, since a long replay (the
  /// queue waits for the applier) must not look like a dead receiver to the walsender.
  Status commit_streamed(const StreamCommitMessage& c, Lsn at, PgStreamReader& reader,
                         PgConnection& source_sql, Lsn& last_pushed) {
    if (builder.in_transaction()) {
      return make_error(ErrorCode::kCorruption,
                        fmt::format("pgoutput Stream Commit of transaction {} at LSN {} inside "
                                    "an ordinary transaction", c.xid, at.to_string()));
    }
    auto replay = spool.replay(c.xid);
    if (!replay.ok()) return std::move(replay).error();
    BeginMessage begin;
    begin.final_lsn = c.commit_lsn;
    begin.commit_time = c.commit_time;
    begin.xid = c.xid;
    if (Status s = feed(PgoutputMessage(begin), at, source_sql, last_pushed); !s.ok()) return s;
    if (*replay) {
      DecodeOptions streamed = decode;
      streamed.in_streamed_transaction = true;
      for (std::size_t n = 1; !queue_closed && !stop; ++n) {
        auto record = (*replay)->next();
        if (!record.ok()) return std::move(record).error();
        if (!record->has_value()) break;
        const auto& payload = (*record)->payload;
        auto decoded = decode_pgoutput(
            std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()),
            streamed);
        if (!decoded.ok()) {
          return std::move(decoded).error().with_context(fmt::format(
              "replaying streamed transaction {}: decoding the message at LSN {}", c.xid,
              (*record)->at.to_string()));
        }
        if (Status s = feed(std::move(decoded).value(), (*record)->at, source_sql, last_pushed);
            !s.ok()) {
          return s;
        }
        if (n % 1024 == 0) {
          if (Status s = maybe_feedback(reader); !s.ok()) return s;
        }
      }
      if (queue_closed || stop) return {};  // the session ends; the server sends it again
    }
    CommitMessage commit;
    commit.flags = c.flags;
    commit.commit_lsn = c.commit_lsn;
    commit.end_lsn = c.end_lsn;
    commit.commit_time = c.commit_time;
    if (Status s = feed(PgoutputMessage(commit), at, source_sql, last_pushed); !s.ok()) return s;
    replay->reset();
    if (Status s = spool.finish(c.xid); !s.ok()) return s;
    status.streamed_committed += 1;
    note_spool();
    return {};
  }

  /// A message of protocol 2's streaming: Stream Start/Stop/Commit/Abort, or a change
  /// inside a stream block (spooled as received). False when `msg` is none of these.
  Result<bool> on_streaming(const ReplicationMessage& msg, PgStreamReader& reader,
                            PgConnection& source_sql, Lsn& last_pushed) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(msg.payload.data());
    const std::span<const std::uint8_t> span(bytes, msg.payload.size());
    const char type = span.empty() ? '\0' : static_cast<char>(span[0]);
    if (stream_xid) {
      if (type == 'E') {
        auto stop_msg = decode_pgoutput(span, decode);
        if (!stop_msg.ok()) return std::move(stop_msg).error();
        stream_xid.reset();
        decode.in_streamed_transaction = false;
        return true;
      }
      if (std::string_view("RYIUDTM").find(type) != std::string_view::npos) {
        // The xid right after the type byte: the transaction's own or a subtransaction's.
        // The rest is checked when the message is decoded at replay.
        ByteReader r(bytes + 1, span.size() - 1);
        const std::uint32_t subxid = r.u32_be();
        if (!r.ok()) {
          return make_error(ErrorCode::kCorruption,
                            fmt::format("pgoutput {} message at LSN {}: no transaction id in a "
                                        "streamed transaction", message_type_name(type),
                                        msg.wal_start.to_string()));
        }
        Status s = spool.append(*stream_xid, subxid, msg.wal_start, msg.payload);
        if (!s.ok()) return std::move(s).error();
        note_spool();
        return true;
      }
      if (type == 'O') return true;  // the streamed transaction's origin: no rows in it
      return make_error(ErrorCode::kCorruption,
                        fmt::format("pgoutput {} message at LSN {} inside streamed transaction "
                                    "{} (between Stream Start and Stream Stop)",
                                    message_type_name(type), msg.wal_start.to_string(),
                                    *stream_xid));
    }
    if (type != 'S' && type != 'c' && type != 'A') return false;
    auto decoded = decode_pgoutput(span, decode);
    if (!decoded.ok()) {
      return std::move(decoded).error().with_context("decoding the message at LSN " +
                                                     msg.wal_start.to_string());
    }
    if (builder.in_transaction()) {
      return make_error(ErrorCode::kCorruption,
                        fmt::format("pgoutput {} message at LSN {} inside an ordinary "
                                    "transaction", message_type_name(type),
                                    msg.wal_start.to_string()));
    }
    if (const auto* start = std::get_if<StreamStartMessage>(&*decoded)) {
      Status s = spool.start(start->xid, start->first_segment);
      if (!s.ok()) return std::move(s).error();
      stream_xid = start->xid;
      decode.in_streamed_transaction = true;
      note_spool();
    } else if (const auto* commit = std::get_if<StreamCommitMessage>(&*decoded)) {
      Status s = commit_streamed(*commit, msg.wal_start, reader, source_sql, last_pushed);
      if (!s.ok()) return std::move(s).error();
    } else if (const auto* abort = std::get_if<StreamAbortMessage>(&*decoded)) {
      if (Status s = spool.abort(abort->xid, abort->subxid); !s.ok()) return std::move(s).error();
      if (abort->subxid == abort->xid) {
        status.streamed_aborted += 1;
      } else {
        status.streamed_subxacts_aborted += 1;
      }
      note_spool();
    }
    return true;
  }

  void read(PgStreamReader& reader, PgConnection& source_sql) {
    decode.protocol_version = reader.protocol_version();
    last_feedback = Clock::now();
    auto last_idle = Clock::now();
    Lsn last_pushed{status.applied_lsn.load()};
    last_reported = status.checkpointed_lsn.load();
    pending.reserve(kBatchEvents);
    while (!stop && !reader_done && !queue_closed) {
      // With events in hand, only look at what has already arrived; wait once they are
      // handed over.
      auto m = reader.receive(pending.empty() ? std::chrono::milliseconds(500)
                                              : std::chrono::milliseconds(0));
      if (!m.ok()) return finish(std::move(m).error());
      if (!m->has_value() && !pending.empty()) {
        // Caught up with the server: give it a moment to send more before the hand-over
        // (see StreamOptions::gather_pause); once per batch, so latency stays bounded.
        if (!gathered && options.gather_pause.count() > 0) {
          gathered = true;
          std::this_thread::sleep_for(options.gather_pause);
          continue;
        }
        if (!hand_over()) return finish({});
        continue;
      }
      if (m->has_value()) {
        ReplicationMessage& msg = **m;
        if (msg.wal_end.value > status.source_wal_end) status.source_wal_end = msg.wal_end.value;
        if (msg.kind == ReplicationMessage::Kind::kKeepalive) {
          // The server has sent everything before wal_end: that is what we have received
          // (the write position of our status updates, pg_stat_replication.write_lsn, as
          // native subscribers report it). Only the flush position releases WAL.
          if (msg.wal_end.value > status.received_lsn) status.received_lsn = msg.wal_end.value;
          if (msg.reply_requested) {
            if (Status s = reader.send_feedback(Lsn{status.received_lsn.load()},
                                                Lsn{status.checkpointed_lsn.load()});
                !s.ok()) {
              return finish(std::move(s).error());
            }
            last_feedback = Clock::now();
          }
          // Idle source: everything before wal_end has been sent; once applied, the slot
          // may advance there (see CommitEvent::position_only). Not while a streamed
          // transaction is open: wal_end then lies inside it, and it is not applied.
          if (!builder.in_transaction() && !stream_xid && spool.open_transactions() == 0 &&
              pending.empty() && queue.empty() && msg.wal_end > last_pushed &&
              Clock::now() - last_idle >= options.idle_advance_interval) {
            CommitEvent advance;
            advance.end_position = msg.wal_end;
            advance.position_only = true;
            if (!add(StreamEvent(advance), sizeof(StreamEvent)) || !hand_over()) return finish({});
            last_pushed = msg.wal_end;
            last_idle = Clock::now();
          }
        } else {
          auto streamed = reader.streaming()
                              ? on_streaming(msg, reader, source_sql, last_pushed)
                              : Result<bool>(false);
          if (!streamed.ok()) return finish(std::move(streamed).error());
          if (!*streamed) {
            const auto* bytes = reinterpret_cast<const std::uint8_t*>(msg.payload.data());
            auto decoded = decode_pgoutput(std::span(bytes, msg.payload.size()), decode);
            if (!decoded.ok()) {
              return finish(std::move(decoded).error().with_context(
                  "decoding the message at LSN " + msg.wal_start.to_string()));
            }
            Status s = feed(std::move(decoded).value(), msg.wal_start, source_sql, last_pushed);
            if (!s.ok()) return finish(std::move(s).error());
          }
          if (queue_closed) return finish({});
          if (msg.wal_start.value > status.received_lsn) status.received_lsn = msg.wal_start.value;
        }
      }
      // The clock is read once per batch (or wait), not once per row.
      if (!pending.empty() && pending.size() % 64 != 0) continue;
      if (Status s = maybe_feedback(reader); !s.ok()) return finish(std::move(s).error());
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
Status run_session(const TaskSpec& spec, LoadStateStore& state, StreamStatus& status,
                   const std::atomic<bool>& stop, const StreamOptions& options, Lsn stream_start,
                   bool replica_role, const std::filesystem::path& spool_dir) {
  auto source_sql = PgConnection::connect(spec.source, {false, "tideway-stream-meta", 10});
  if (!source_sql.ok()) return std::move(source_sql).error();
  auto windows = handoff_windows(state, stream_start, **source_sql);
  if (!windows.ok()) return std::move(windows).error();
  ApplierOptions apply_options;
  apply_options.replica_role = replica_role;
  auto applier = PgApplier::open(spec.target, spec.id, std::move(windows).value(), apply_options);
  if (!applier.ok()) return std::move(applier).error();

  auto checkpoint = state.load_checkpoint();
  if (!checkpoint.ok()) return std::move(checkpoint).error();
  Lsn start = stream_start;
  if (checkpoint->has_value()) start = std::max(start, Lsn::parse(**checkpoint).value_or(start));
  start = std::max(start, (*applier)->applied_position());
  status.applied_lsn = start.value;
  status.checkpointed_lsn = start.value;

  // Whatever an earlier session (or a killed process) spooled is sent again by the server
  // from the checkpoint on; the spool starts empty and is removed when the session ends.
  PgStreamSpool spool(spool_dir, options.spool_buffer_bytes);
  if (Status s = spool.reset(); !s.ok()) return s;
  struct RemoveSpool {
    PgStreamSpool& spool;
    StreamStatus& status;
    ~RemoveSpool() {
      spool.remove_all();
      status.spool_bytes = 0;
      status.streamed_open = 0;
    }
  } remove_spool{spool, status};

  StreamReaderOptions reader_options;
  reader_options.stream_in_progress = spec.postgres.stream_in_progress;
  reader_options.logical_decoding_work_mem = spec.postgres.logical_decoding_work_mem;
  auto reader = PgStreamReader::start(spec.source, spec.postgres.slot_name,
                                      spec.postgres.publication_name, start, reader_options);
  if (!reader.ok()) return std::move(reader).error();
  status.streaming_in_progress = (*reader)->streaming();
  status.interruption.resumed();
  kLog.info("streaming", {{"task", spec.id}, {"slot", spec.postgres.slot_name},
                          {"from", start.to_string()},
                          {"protocol", static_cast<std::int64_t>((*reader)->protocol_version())},
                          {"spool", (*reader)->streaming() ? spool_dir.string() : "off"},
                          {"session_replication_role", replica_role ? "replica" : "origin"}});

  Session session(spec, status, stop, options, spool);
  std::thread reader_thread([&] { session.read(**reader, **source_sql); });
  auto checkpoint_after = [&](Lsn position) -> Status {
    status.apply.commit_batch();  // the target committed: what was noted is durable there
    if (Status s = state.save_checkpoint(position.to_string()); !s.ok()) return s;
    status.applied_lsn = position.value;
    status.checkpointed_lsn = position.value;
    status.oldest_pending_commit_us = 0;
    return {};
  };
  // One event: the position-only advance of an idle source, or a stream event.
  auto apply_one = [&](const StreamEvent& event) -> Status {
    if (const auto* c = std::get_if<CommitEvent>(&event); c != nullptr && c->position_only) {
      auto flushed = (*applier)->flush();
      if (!flushed.ok()) return std::move(flushed).error();
      if (*flushed) {
        if (Status s = checkpoint_after(**flushed); !s.ok()) return s;
      }
      auto advanced = (*applier)->advance_idle(c->end_position);
      if (!advanced.ok()) return std::move(advanced).error();
      if (*advanced) {
        if (Status s = checkpoint_after(**advanced); !s.ok()) return s;
      }
      return {};
    }
    if (const auto* c = std::get_if<CommitEvent>(&event)) {
      status.last_commit_time_us = c->commit_time_us;
    }
    if (const auto* b = std::get_if<BeginEvent>(&event)) {
      std::int64_t none = 0;
      status.oldest_pending_commit_us.compare_exchange_strong(none, b->commit_time_us);
    }
    if (const auto* change = std::get_if<Change>(&event)) status.apply.note_change(*change);
    return (*applier)->apply(event);
  };
  auto commit_group = [&]() -> Status {
    auto flushed = (*applier)->flush();
    if (!flushed.ok()) return std::move(flushed).error();
    if (*flushed) {
      if (Status s = checkpoint_after(**flushed); !s.ok()) return s;
      status.changes_applied = (*applier)->changes_applied();
      status.transactions_applied = (*applier)->transactions_applied();
    }
    return {};
  };
  Status result;
  while (result.ok()) {
    // With applied transactions not yet committed, a short quiet spell is enough to
    // commit them (the target shows them sooner once a burst ends); otherwise wait long.
    auto batch = session.queue.pop((*applier)->has_uncommitted() ? std::chrono::milliseconds(5)
                                                                  : std::chrono::milliseconds(50));
    if (batch) {
      for (const StreamEvent& event : *batch) {
        result = apply_one(event);
        // Commit the group when it is big or old enough.
        if (result.ok() && (*applier)->batch_due()) result = commit_group();
        if (!result.ok()) break;
      }
      if (!result.ok()) break;
    }
    // ... or when the reader has nothing more for us right now (lowest lag).
    if (!batch && session.queue.empty()) {
      if (result = commit_group(); !result.ok()) break;
    }
    if (!batch && session.reader_done && session.queue.empty()) break;
  }
  status.apply.drop_batch();  // not committed: replayed by the next session
  session.reader_done = true;
  session.queue.close();
  reader_thread.join();
  // The reader thread is gone, so its connection is ours: tell the source what is
  // durable now, so a stopped task's slot is current.
  (void)(*reader)->send_feedback(Lsn{status.received_lsn.load()},
                                 Lsn{status.checkpointed_lsn.load()}).ok();
  if (!result.ok()) return result;
  if (session.reader_error) return std::move(*session.reader_error);
  return {};
}

}  // namespace

Status run_stream(const TaskSpec& spec, storage::StateStore& store, StreamStatus& status,
                  const std::atomic<bool>& stop, const StreamOptions& options) {
  LoadStateStore state(store, spec.id);
  auto task = state.load_task();
  if (!task.ok()) return std::move(task).error();
  if (!task->has_value() || (*task)->start_position.empty()) {
    return make_error(ErrorCode::kConflict,
                      fmt::format("task {} has no stream start position; run its full load "
                                  "first", spec.id));
  }
  TaskState t = **task;
  const Lsn stream_start = Lsn::parse(t.start_position).value_or(Lsn{});
  if (t.phase != TaskPhase::kStreaming) {
    t.phase = TaskPhase::kStreaming;
    if (Status s = state.save_task(t); !s.ok()) return s;
  }
  status.replica_role = t.replica_role;
  std::filesystem::path spool_dir = options.spool_dir;
  if (spool_dir.empty() && !store.data_dir().empty()) {
    spool_dir = std::filesystem::path(store.data_dir()) / "spool" / spec.id;
  }
  if (spool_dir.empty()) {
    spool_dir = std::filesystem::temp_directory_path() / ("tideway-spool-" + spec.id);
    kLog.warn("no data directory for spooling streamed transactions; using the temporary "
              "directory", {{"task", spec.id}, {"spool", spool_dir.string()}});
  }
  int failures = 0;
  while (!stop) {
    const std::uint64_t before = status.checkpointed_lsn.load();
    Status s = run_session(spec, state, status, stop, options, stream_start, t.replica_role,
                           spool_dir);
    if (s.ok() || stop) return {};
    // Count consecutive failures only: a session that moved the checkpoint was healthy
    // until it broke, so a long-lived task is not failed by reconnects spread over days.
    if (status.checkpointed_lsn.load() > before) failures = 0;
    if (!s.error().retryable || ++failures > options.max_reconnects) {
      kLog.error("stream failed", {{"task", spec.id}, {"error", s.message()}});
      return s;
    }
    status.reconnects += 1;
    status.interruption.interrupted(s.message());
    const auto backoff = std::chrono::seconds(std::min(30, 1 << std::min(failures, 5)));
    kLog.warn("stream interrupted; reconnecting from the last checkpoint",
              {{"task", spec.id}, {"attempt", failures}, {"backoff_seconds", backoff.count()},
               {"error", s.message()}});
    for (auto waited = std::chrono::milliseconds(0); waited < backoff && !stop;
         waited += std::chrono::milliseconds(100)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return {};
}

}  // namespace tideway::replication::postgres
