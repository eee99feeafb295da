#pragma once
// StateStore: the daemon's durable state in RocksDB, opened once per process under
// <data_dir>/state. Column families (see docs/architecture in the README):
//   tasks        task spec and lifecycle state, by task id
//   checkpoints  the last applied source position, by task id
//   progress     full-load progress, by task id / table / chunk
//   journal      time-ordered task events, by task id / sequence
//   schemas      MySQL table schemas by binlog position
// Thread-safe: RocksDB serialises writers itself; this class adds no shared mutable state.
// Checkpoints must survive a power loss the moment the source is told it may release WAL
// or binlog, so writes default to synced (fsync of the WAL) and callers opt out only for
// data that can be recomputed.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace tideway::storage {

class DataDirLock;

enum class Family { kTasks = 0, kCheckpoints, kProgress, kJournal, kSchemas };
inline constexpr int kFamilyCount = 5;
const char* family_name(Family family);

enum class Durability {
  kSynced,    // fsync'd before returning: checkpoints, task state
  kBuffered,  // may be lost on power failure (not on a process crash): metrics-like data
};

/// A set of writes applied atomically (a checkpoint and the progress it implies).
class WriteSet {
 public:
  WriteSet();
  ~WriteSet();
  WriteSet(WriteSet&&) noexcept;
  void put(Family family, std::string_view key, std::string_view value);
  void remove(Family family, std::string_view key);
  std::size_t size() const { return ops_.size(); }

 private:
  friend class StateStore;
  struct Op {
    Family family;
    bool is_delete;
    std::string key;
    std::string value;
  };
  std::vector<Op> ops_;
};

class StateStore {
 public:
  /// Locks `data_dir` (see DataDirLock) and opens or creates the store in it. Errors:
  /// kLocked (another process), kCorruption (damaged files, with what to do), kIo,
  /// kInvalidArgument (not a directory, or written by an incompatible version).
  static Result<std::unique_ptr<StateStore>> open(const std::string& data_dir);
  /// Opens without the lock, read-only, as of now: for `tideway status` while a daemon or
  /// `tideway run` owns the store. Writes fail.
  static Result<std::unique_ptr<StateStore>> open_read_only(const std::string& data_dir);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  const std::string& data_dir() const { return data_dir_; }

  Status put(Family family, std::string_view key, std::string_view value,
             Durability durability = Durability::kSynced);
  Result<std::optional<std::string>> get(Family family, std::string_view key) const;
  Status remove(Family family, std::string_view key,
                Durability durability = Durability::kSynced);
  Status write(const WriteSet& writes, Durability durability = Durability::kSynced);

  /// Calls `visit` for each key starting with `prefix`, in key order, until it returns
  /// false. Sees a consistent snapshot of the store. `from` (a key with that prefix)
  /// starts the scan there instead of at the first key: paging through a long family
  /// costs the page, not everything before it.
  Status scan_prefix(Family family, std::string_view prefix,
                     const std::function<bool(std::string_view key, std::string_view value)>&
                         visit,
                     std::string_view from = {}) const;
  /// The greatest key starting with `prefix`, if any (one seek, not a scan).
  Result<std::optional<std::string>> last_key(Family family, std::string_view prefix) const;

  /// Flushes memtables and closes; later calls fail. Called by the destructor too.
  Status close();
  bool is_open() const { return db_ != nullptr; }

 private:
  StateStore(std::string data_dir, std::unique_ptr<DataDirLock> lock);
  Status open_db(bool read_only);
  Status check_format_version();
  rocksdb::ColumnFamilyHandle* handle(Family family) const;

  std::string data_dir_;
  std::unique_ptr<DataDirLock> lock_;
  rocksdb::DB* db_ = nullptr;  // owned; raw because RocksDB's Open hands out a raw pointer
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned, index = 1 + Family
};

}  // namespace tideway::storage
