#pragma once
// Follows a PostgreSQL source after its full load: reads the slot's pgoutput stream on
// one thread, applies it to the target on another, with a byte-bounded queue between
// them, and checkpoints after every target commit. The order of durability is fixed:
//   1. target COMMIT (rows + _tideway.apply_position)
//   2. RocksDB checkpoint (synced)
//   3. feedback to the source: flush_lsn = that checkpoint
// so the slot never releases WAL that is not yet safe on the target and in our state,
// and a keepalive never moves the confirmed position past an unapplied transaction.
// Connection loss on either side restarts the session from the durable position after
// a backoff; a malformed stream or a diverged target stops the task with the LSN.
// On PostgreSQL 14+ a large transaction may arrive while still in progress (pgoutput
// protocol 2): the reader spools it to local disk (pg_stream_spool.h) and hands it to the
// applier only at its Stream Commit, so none of the rules above ever sees a transaction
// that could still abort.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "common/error.h"
#include "replication/core/apply_stats.h"
#include "replication/core/stream_interruption.h"
#include "replication/core/task_spec.h"
#include "storage/state_store.h"

namespace tideway::replication::postgres {

struct StreamOptions {
  std::size_t queue_bytes = 64 << 20;                   // Default: 64 MiB between threads.
  std::chrono::seconds feedback_interval{10};           // Default: status to source every 10 s.
  std::chrono::seconds idle_advance_interval{10};       // Default: idle slot advance every 10 s.
  int max_reconnects = 10;                              // Default: then the task fails.
  /// Where streamed in-progress transactions are spooled until they commit (emptied at
  /// every session start and end). Default: <data_dir>/spool/<task id> of the state store.
  std::filesystem::path spool_dir;
  std::size_t spool_buffer_bytes = 1 << 20;             // Default: 1 MiB to write and to read.
  /// When the source has sent nothing more for the moment, the reader waits this long
  /// once for more before handing a part-filled batch to the applier. Without it a busy
  /// stream of small transactions (the server sends each message as it decodes it)
  /// wakes the reader, and it the applier, once per message: that cost more CPU than the
  /// apply itself, and the walsender pays for every wake-up too. Adds at most this much
  /// latency to a quiet stream.
  std::chrono::microseconds gather_pause{500};          // Default: 0.5 ms.
};

/// Live figures for status, metrics and tests; written by the stream, read by anyone.
struct StreamStatus {
  std::atomic<std::uint64_t> received_lsn{0};
  std::atomic<std::uint64_t> applied_lsn{0};
  std::atomic<std::uint64_t> checkpointed_lsn{0};
  std::atomic<std::uint64_t> source_wal_end{0};
  std::atomic<std::int64_t> last_commit_time_us{0};  // source commit time of last applied txn
  /// Source commit time of the oldest transaction taken from the queue but not yet
  /// committed on the target; 0 when everything taken is applied. Lag is now minus this.
  std::atomic<std::int64_t> oldest_pending_commit_us{0};
  std::atomic<std::int64_t> changes_applied{0};
  std::atomic<std::int64_t> transactions_applied{0};
  std::atomic<int> reconnects{0};
  StreamInterruption interruption;  // why it is reconnecting, if it is
  ApplyStats apply;  // committed changes per table and operation, batch figures
  /// The apply sessions run with session_replication_role = replica.
  std::atomic<bool> replica_role{false};
  /// The source sends large transactions while in progress (pgoutput protocol 2).
  std::atomic<bool> streaming_in_progress{false};
  std::atomic<std::uint64_t> spool_bytes{0};          // spooled for open transactions now
  std::atomic<std::int64_t> streamed_open{0};         // streamed transactions not yet ended
  std::atomic<std::int64_t> streamed_committed{0};    // replayed after their Stream Commit
  std::atomic<std::int64_t> streamed_aborted{0};      // dropped by a Stream Abort
  std::atomic<std::int64_t> streamed_subxacts_aborted{0};  // ROLLBACK TO SAVEPOINT inside one
};

/// Streams until `stop` is set (returns ok) or an error that retrying cannot fix.
Status run_stream(const TaskSpec& spec, storage::StateStore& store, StreamStatus& status,
                  const std::atomic<bool>& stop, const StreamOptions& options = {});

}  // namespace tideway::replication::postgres
