#pragma once
// Splits a table into chunks that loaders copy in parallel, each a WHERE clause over the
// snapshot. Chunks cover the table exactly once: the first has no lower bound and the
// last no upper bound, so rows outside the planned range are still copied.
//   - single integer primary key: equal-width key ranges sized from the row estimate;
//   - any other primary key: boundaries taken every `chunk_rows` keys in key order
//     (one ordered scan of the key), compared as rows: (a, b) >= (x, y);
//   - no primary key: ctid (physical block) ranges; PostgreSQL 14+ reads them with a TID
//     range scan, older servers scan the table once per chunk.
// The plan is stored with the task, so a restart resumes the same chunks.

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "replication/postgres/pg_catalog.h"
#include "replication/postgres/pg_connection.h"

namespace tideway::replication::postgres {

struct Chunk {
  int index = 0;
  std::string where_sql;    // "" for the whole table
  std::string description;  // "id in [1, 100001)" for progress and errors
};

enum class ChunkMethod { kWholeTable, kIntegerKey, kKeyBoundaries, kCtid };
const char* chunk_method_name(ChunkMethod method);

struct ChunkPlan {
  ChunkMethod method = ChunkMethod::kWholeTable;
  std::vector<Chunk> chunks;
};

/// Plans chunks for `table`, reading through `conn` (inside the load's snapshot).
Result<ChunkPlan> plan_chunks(PgConnection& conn, const PgTable& table, std::int64_t chunk_rows);

}  // namespace tideway::replication::postgres
