#pragma once
// Copies one chunk from a source snapshot session into the target with multi-row
// INSERTs. The source rows are streamed (mysql_use_result), and INSERT statements are
// sent as soon as they reach ~1 MiB, so memory holds one statement and one row whatever
// the chunk's size. The rows and a marker row in `_tideway`.`load_chunks` commit in one
// target transaction, so a chunk is either wholly on the target with its marker or not
// at all: a crash mid-chunk leaves nothing behind, and a crash after the commit is
// recognised on restart by the marker (no chunk is copied twice). That takes an InnoDB
// target table; a non-transactional one (MyISAM, as on its source) keeps an interrupted
// chunk's rows, so its chunk's key range is cleared before each copy instead.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/error.h"
#include "replication/mysql/my_catalog.h"
#include "replication/mysql/my_chunk_planner.h"
#include "replication/mysql/my_connection.h"

namespace tideway::replication::mysql {

struct ChunkCopyStats {
  std::int64_t rows = 0;
  std::int64_t bytes = 0;  // value bytes read from the source
  std::string snapshot;    // the position stored in the marker
};

struct ChunkCopyContext {
  std::string task_id;
  std::string snapshot;  // the position the source session reads at; stored in the marker
  const std::atomic<bool>* stop = nullptr;          // checked between rows
  std::atomic<std::int64_t>* live_bytes = nullptr;  // progress while the chunk runs
  std::size_t batch_bytes = 1 << 20;                // Default: 1 MiB per INSERT statement.
  /// Watermark snapshots (my_watermark.h): called once the source has returned the
  /// chunk's last row, on the same (now idle) source connection, before the target
  /// commits; its position is the one stored in the marker instead of `snapshot`.
  std::function<Result<std::string>(MyConnection& source)> position_after_read = nullptr;
};

/// A chunk the target committed, as its marker row says.
struct ChunkMarker {
  std::int64_t rows = 0;
  std::string snapshot;
};

/// Creates the `_tideway` database and its bookkeeping tables on the target if missing.
Status ensure_load_markers(MyConnection& target);

/// The marker of `chunk` of `table` (database.table) for this task, if committed.
Result<std::optional<ChunkMarker>> find_chunk_marker(MyConnection& target,
                                                     const std::string& task_id,
                                                     const std::string& table, int chunk);

/// How many chunk markers the target holds for this task.
Result<std::int64_t> count_chunk_markers(MyConnection& target, const std::string& task_id);

/// Copies `chunk`. `source` must be a kSourceRaw session inside its snapshot transaction
/// and `target` an idle kTarget session. On failure or stop the target transaction is
/// rolled back; if the source result was left half-read the source connection is
/// cancelled (unusable afterwards: the caller opens a new snapshot session).
Result<ChunkCopyStats> copy_chunk(MyConnection& source, MyConnection& target, const MyTable& table,
                                  const Chunk& chunk, const ChunkCopyContext& context);

}  // namespace tideway::replication::mysql
