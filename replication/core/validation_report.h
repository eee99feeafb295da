#pragma once
// The result of comparing a task's tables on source and target, whatever the engines:
// exact row counts and one checksum per chunk of the full-load plan, so a mismatch names
// a key range an operator can look at. Each engine computes it its own way
// (postgres/pg_validation.h, mysql/my_validation.h); the daemon only reads this.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "replication/core/load_state.h"

namespace tideway::replication {

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

/// One side's figures for one chunk: its row count and an order-independent digest.
struct ChunkSum {
  std::int64_t rows = 0;
  std::string digest;
};

/// Reads one chunk on the source (`on_source`) or on the target.
using ChunkSumFn = std::function<Result<ChunkSum>(bool on_source, const PlannedChunk& chunk)>;

/// Compares `table` chunk by chunk (the whole table when `chunks` is empty), naming each
/// chunk whose count or digest differs; errors say which table and which side.
Result<TableValidation> compare_table(const std::string& table,
                                      std::vector<PlannedChunk> chunks, const ChunkSumFn& sum);

}  // namespace tideway::replication
