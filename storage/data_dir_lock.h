#pragma once
// DataDirLock: one tideway process per data_dir. RocksDB has a LOCK file of its own, but
// its error ("lock hold by current process" / "Resource temporarily unavailable") does
// not tell an operator *who* holds it. This lock is taken first, records the holder's
// pid, and is released by the kernel when the process dies, so a kill -9 never leaves a
// stale lock behind.

#include <memory>
#include <string>

#include "common/error.h"

namespace tideway::storage {

class DataDirLock {
 public:
  /// Creates `data_dir` if missing (mode 0750) and locks it. Fails with kLocked naming
  /// the holder's pid when another process has it.
  static Result<std::unique_ptr<DataDirLock>> acquire(const std::string& data_dir);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace tideway::storage
