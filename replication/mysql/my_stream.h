#pragma once
// Follows a MySQL/MariaDB source after its full load: reads the binlog as a replica on
// one thread (MyStreamReader), applies it to a MySQL-family target on the calling thread
// (MyApplier), with a byte-bounded queue between them, and checkpoints after every
// target commit. The order of durability is fixed:
//   1. target COMMIT (rows + _tideway.apply_position)
//   2. RocksDB checkpoint (synced)
// (a binlog source keeps its files by age, not by what replicas confirm, so there is no
// step 3 as on PostgreSQL). A lost connection on either side restarts the session from
// the durable position, always a transaction boundary, after a backoff. A malformed
// stream, a diverged target, DDL that cannot be replayed, or a position the source has
// purged stops the task with the position.
//
// Positions (checkpoints, _tideway.apply_position, status) are BinlogPosition text:
//   "<file>:<offset of the next transaction>;gtid=<GTIDs executed after it>"
//   e.g. "mariadb-bin.000031:1879;gtid=0-1-1042"      (MariaDB: the GTID list)
//        "binlog.000012:4711;gtid=3e11fa47-...:1-77"  (MySQL, gtid_mode=ON: the set)
// With mysql.resume_by: gtid each session starts after the GTIDs of the furthest durable
// position rather than at its file and offset, which works on any server of the
// topology (a promoted replica after a failover); task_spec.h MyResumeBy.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "common/error.h"
#include "replication/core/apply_stats.h"
#include "replication/core/stream_interruption.h"
#include "replication/core/task_spec.h"
#include "replication/mysql/my_applier.h"
#include "replication/mysql/my_position.h"
#include "storage/state_store.h"

namespace tideway::replication::mysql {

struct MyStreamOptions {
  std::size_t queue_bytes = 64 << 20;         // Default: 64 MiB between threads.
  std::uint32_t server_id = 0;                // Default 0: default_server_id(task id).
  std::chrono::milliseconds heartbeat{1000};  // Default: source heartbeat every second.
  std::chrono::seconds read_timeout{30};      // Default: connection dead after 30 s silent.
  int max_reconnects = 10;                    // Default: then the task fails.
  MyApplierOptions applier;
};

/// Live figures for status, metrics and tests; written by the stream, read by anyone.
class MyStreamStatus {
 public:
  std::string received_position() const { return get(received_); }
  std::string applied_position() const { return get(applied_); }
  std::string checkpointed_position() const { return get(checkpointed_); }
  void set_received(std::string p) { set(received_, std::move(p)); }
  void set_applied(std::string p) { set(applied_, std::move(p)); }
  void set_checkpointed(std::string p) { set(checkpointed_, std::move(p)); }
  /// The source's binlog position the stream has read through while idle, with
  /// everything read before it applied and checkpointed: past the last transaction it
  /// applied when the binlog ends with events that change nothing here (other tables,
  /// rotations). A cutover point is reached when this or the checkpoint gets to it.
  std::string idle_position() const { return get(idle_); }
  void set_idle(std::string p) { set(idle_, std::move(p)); }

  /// Seconds between the source's commit of the last applied transaction and its apply;
  /// 0 once the source is idle and everything sent is applied.
  std::atomic<double> lag_seconds{0};
  std::atomic<std::int64_t> last_commit_time_us{0};
  std::atomic<std::int64_t> changes_applied{0};
  std::atomic<std::int64_t> transactions_applied{0};
  std::atomic<int> reconnects{0};
  StreamInterruption interruption;  // why it is reconnecting, if it is
  std::atomic<bool> target_binlog_disabled{false};  // sql_log_bin = 0 took effect
  std::atomic<bool> started_by_gtid{false};         // the current session's dump started by GTID
  ApplyStats apply;  // committed changes per table and operation, batch figures

 private:
  std::string get(const std::string& s) const {
    std::lock_guard lock(mutex_);
    return s;
  }
  void set(std::string& s, std::string v) {
    std::lock_guard lock(mutex_);
    s = std::move(v);
  }
  mutable std::mutex mutex_;
  std::string received_, applied_, checkpointed_, idle_;
};

/// Streams until `stop` is set (returns ok) or an error that retrying cannot fix. The
/// task's TaskState::start_position (written by the full load, or by the caller for a
/// cdc-only task, e.g. from current_binlog_position) is where a first run starts.
Status run_mysql_stream(const TaskSpec& spec, storage::StateStore& store, MyStreamStatus& status,
                        const std::atomic<bool>& stop, const MyStreamOptions& options = {});

/// The source's current binlog position (SHOW MASTER STATUS; on MariaDB with the GTID
/// list at that point): where a stream starts that needs no earlier changes.
Result<BinlogPosition> current_binlog_position(const Endpoint& source);

}  // namespace tideway::replication::mysql
