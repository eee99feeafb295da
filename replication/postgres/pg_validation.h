#pragma once
// Compares a task's tables on source and target: exact row counts and a checksum per
// chunk (the chunks of the full-load plan, so a mismatch names a key range an operator
// can look at), read on the source in one REPEATABLE READ snapshot. Meaningful when the
// source is quiet (fenced, paused, or at cutover); while writes go on it only reports
// the difference of the moment.

#include <string>
#include <vector>

#include "common/error.h"
#include "replication/core/task_spec.h"
#include "storage/state_store.h"

namespace tideway::replication::postgres {

struct TableValidation {
  std::string table;
  std::int64_t source_rows = 0;
  std::int64_t target_rows = 0;
  int chunks = 0;
  std::vector<std::string> mismatched_chunks;  // chunk descriptions ("id in [1, 1001)")
  bool ok() const { return source_rows == target_rows && mismatched_chunks.empty(); }
};

struct ValidationReport {
  std::vector<TableValidation> tables;
  bool ok() const {
    for (const auto& t : tables) {
      if (!t.ok()) return false;
    }
    return true;
  }
};

Result<ValidationReport> validate_tables(const TaskSpec& spec, storage::StateStore& store);

}  // namespace tideway::replication::postgres
