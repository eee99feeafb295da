#pragma once
// Splits a MySQL/MariaDB table into chunks that loaders copy in parallel, each a WHERE
// clause over the primary key. Chunks cover the key space exactly once whatever the
// data: the first has no lower bound and the last no upper bound, so the same plan is
// right at any snapshot (workers read at different snapshots, see my_snapshot.h):
//   - single integer primary key (any width, signed or UNSIGNED): equal-width key ranges,
//     as many as rows / chunk_rows;
//   - any other primary key: boundaries taken every `chunk_rows` keys in key order (one
//     ordered scan of the key); a composite key is compared lexicographically, written
//     out as (a > x) OR (a = x AND b >= y) so the range optimizer can use the index;
//   - no primary key: the whole table in one chunk (method "no_key"), read by one worker
//     in one snapshot: without a key no row can be told apart across snapshots.
// Boundary values are written as ASCII literals (my_sql_literal.h), so a plan is plain
// text in the state store. The row count is exact (COUNT(*)) for tables estimated below
// 10 million rows and the estimate above, where a full count would cost a scan.

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "replication/mysql/my_catalog.h"
#include "replication/mysql/my_connection.h"

namespace tideway::replication::mysql {

struct Chunk {
  int index = 0;
  std::string where_sql;    // "" for the whole table
  std::string description;  // "id in [1, 100001)" for progress and errors
};

enum class ChunkMethod { kWholeTable, kIntegerKey, kKeyBoundaries, kNoKey };
const char* chunk_method_name(ChunkMethod method);

struct ChunkPlan {
  ChunkMethod method = ChunkMethod::kWholeTable;
  std::vector<Chunk> chunks;
};

/// Plans chunks for `table` through `conn` (a kSourceRaw session).
Result<ChunkPlan> plan_chunks(MyConnection& conn, const MyTable& table, std::int64_t chunk_rows);

/// Equal-width ranges over [lo, hi] for `rows` rows: the boundaries between chunks, in
/// order (empty for a single chunk). Works on the full signed or unsigned 64-bit range.
std::vector<std::string> integer_boundaries(const std::string& lo, const std::string& hi,
                                            bool is_unsigned, std::int64_t rows,
                                            std::int64_t chunk_rows);

/// `key >= point` and `key < point` for a (possibly composite) key, lexicographically;
/// `columns` are SQL expressions, `literals` the point's values as SQL literals.
std::string key_at_least(const std::vector<std::string>& columns,
                         const std::vector<std::string>& literals);
std::string key_below(const std::vector<std::string>& columns,
                      const std::vector<std::string>& literals);

}  // namespace tideway::replication::mysql
