#pragma once
// Copies one chunk from the source snapshot into the target, streaming
// COPY (SELECT ...) TO STDOUT straight into COPY ... FROM STDIN with no staging file.
// The rows and a marker row in _tideway.load_chunks commit in one target transaction, so
// a chunk is either wholly on the target with its marker or not at all: a crash
// mid-chunk leaves nothing behind, and a crash after the commit is recognised on restart
// by the marker (no chunk is ever copied twice).

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "common/error.h"
#include "replication/postgres/pg_catalog.h"
#include "replication/postgres/pg_chunk_planner.h"
#include "replication/postgres/pg_connection.h"

namespace tideway::replication::postgres {

struct ChunkCopyStats {
  std::int64_t rows = 0;
  std::int64_t bytes = 0;
};

struct ChunkCopyContext {
  std::string task_id;
  std::string snapshot_lsn;  // recorded with the marker, for the stream's handoff
  const std::atomic<bool>* stop = nullptr;  // checked between rows
  std::atomic<std::int64_t>* live_bytes = nullptr;  // progress while the chunk runs
};

/// Creates the bookkeeping schema and table on the target if missing.
Status ensure_load_markers(PgConnection& target);

/// A chunk's marker row: committed with the chunk's rows, in the same transaction.
struct ChunkMarker {
  std::int64_t rows = 0;
  std::string snapshot;  // the snapshot LSN the chunk was read at
};

/// The marker of `chunk` of `table` for this task, if the target committed it.
Result<std::optional<ChunkMarker>> find_chunk_marker(PgConnection& target,
                                                     const std::string& task_id,
                                                     const std::string& table, int chunk);

/// Binary COPY is used when every column type is built in (binary forms of user-defined
/// types, records and arrays of them carry source type OIDs the target rejects).
bool can_copy_binary(const PgTable& table);

/// Copies `chunk`. `source` must be inside the snapshot transaction; `target` must be
/// idle. On failure or stop the target transaction is rolled back.
Result<ChunkCopyStats> copy_chunk(PgConnection& source, PgConnection& target,
                                  const PgTable& table, const Chunk& chunk,
                                  const ChunkCopyContext& context);

}  // namespace tideway::replication::postgres
