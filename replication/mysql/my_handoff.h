#pragma once
// Reading the full load's records as the binlog stream will need them: per table, up to
// which binlog position its rows on the target may already hold a change (my_snapshot.h
// explains why workers read at different positions). This is the MySQL counterpart of
// the PostgreSQL stream's handoff_windows(), over the same LoadStateStore records:
// ChunkDone::snapshot (BinlogPosition text) and TablePlan::method ("no_key").
//
// A transaction is contained in a chunk read at position P when it ends at or before P
// (binlog_snapshot_position is the offset just past the last transaction the snapshot
// sees). With the watermark method (my_watermark.h) P is only an upper bound: the chunk
// holds every transaction before its low watermark, none after P, and some of those in
// between. The windows are the same: idempotent replay from S sets each row it touches
// to its after image whatever the chunk held, so it converges either way; only a skip
// window needs an exact P, which the watermark method ensures for keyless tables. So,
// for a stream starting at S:
//   - table without a window: every change after S is applied strictly;
//   - window {until, skip = false}: changes ending at or before `until` are applied
//     idempotently (some chunks already hold them), later ones strictly;
//   - window {until, skip = true}: a table without a key, copied whole at `until`:
//     changes ending at or before `until` are skipped, later ones applied.

#include <map>
#include <string>

#include "common/error.h"
#include "replication/core/load_state.h"
#include "replication/mysql/my_position.h"

namespace tideway::replication::mysql {

struct BinlogHandoffWindow {
  BinlogPosition until;
  bool skip = false;  // the table has no key and was copied whole at `until`
};

/// Windows of the tables whose chunks were read after `stream_start`, by database.table.
/// A chunk without a readable position is an error (a stream must not guess).
Result<std::map<std::string, BinlogHandoffWindow>> binlog_handoff_windows(
    const LoadStateStore& state, const BinlogPosition& stream_start);

}  // namespace tideway::replication::mysql
