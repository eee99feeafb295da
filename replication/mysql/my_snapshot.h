#pragma once
// Consistent snapshots of a MariaDB source for the parallel full load, each with the
// exact binlog position it corresponds to, without FLUSH TABLES WITH READ LOCK, LOCK
// TABLES, BACKUP STAGE or SUPER (none of which a managed service or a cautious operator
// grants a migration user).
//
// What MariaDB gives: `START TRANSACTION WITH CONSISTENT SNAPSHOT` opens an InnoDB read
// view and, in the same step under the binlog's commit ordering, fixes
// `binlog_snapshot_file`/`binlog_snapshot_position` (SHOW STATUS): every transaction
// committed before that binlog offset is visible in the read view, none after it. So one
// connection gets an exact (snapshot, position) pair, with only the SELECT grant.
// BINLOG_GTID_POS(file, offset) turns the offset into the GTID list at that point.
//
// What MariaDB lacks: a way to share that read view with other connections (PostgreSQL
// exports a snapshot; MariaDB has no equivalent). Parallel workers therefore cannot all
// read one snapshot. The design that stays exact without locks:
//   1. Every worker opens its own consistent-snapshot transaction and records its own
//      position; it keeps that transaction open and reads all the chunks it takes from
//      it. (The coordinator first tries to open all workers' snapshots at one position —
//      several attempts, each a few milliseconds — which succeeds whenever no commit
//      lands in between; when it does not, the positions simply differ.)
//   2. Every chunk is recorded with the position it was read at (ChunkDone::snapshot and
//      the target's marker row), in BinlogPosition's text form.
//   3. The change stream starts at the minimum of those positions
//      (TaskState::start_position) and, for each table, applies changes idempotently
//      (insert = upsert, update = upsert of the after image after deleting the before
//      image's key if it changed, delete = delete if present) up to the highest
//      position any of that table's chunks was read at; from there on it applies them
//      strictly. A chunk read at position P already holds every change before P; those
//      changes are replayed on top of it in source order, and replaying a row's history
//      in order from any earlier point ends in the row's state at the stream's head.
//      This is the handoff window of the PostgreSQL path (pg_stream.cpp,
//      handoff_windows()) with the same records: chunk snapshots and plan methods.
//   4. A table without a primary key has no key to make a replay idempotent. It is
//      planned as one chunk (plan method "no_key"), so one worker reads it whole in one
//      snapshot, and the stream skips that table's changes before the chunk's position
//      and applies those after it (the PostgreSQL "skip" mode of the window).
// A worker whose connection breaks opens a new snapshot at a later position; its next
// chunks carry that position, which the rules above already cover. The price of the
// design: long-lived read views on the source (InnoDB keeps undo for them) and, for a
// full_load task without a stream, chunks that may each show a different moment when
// the source is written during the load (logged; full_load_and_cdc converges).
//
// Only InnoDB (and other transactional engines) take part in the snapshot; see
// my_source_checks for tables on other engines.
//
// MySQL 8 and Aurora MySQL report no binlog_snapshot_* status: there the full load uses
// the watermark method instead (my_watermark.h; TaskSpec mysql.snapshot, "auto" picks
// it by server version). Asking this file for a position on such a server is an error
// naming that option, never an approximation.

#include <memory>
#include <optional>
#include <vector>

#include "common/error.h"
#include "replication/core/task_spec.h"
#include "replication/mysql/my_connection.h"
#include "replication/mysql/my_position.h"

namespace tideway::replication::mysql {

/// One source connection inside a consistent-snapshot transaction.
struct SnapshotSession {
  std::unique_ptr<MyConnection> connection;  // a kSourceRaw session
  std::optional<BinlogPosition> position;    // nullopt when not asked for (full_load)
};

/// Starts a read-only REPEATABLE READ consistent-snapshot transaction on `conn` and,
/// with `need_position`, reads the binlog position it corresponds to. Errors: the
/// binlog is off (no position), or the server is MySQL 8 / Aurora (use watermarks).
Result<std::optional<BinlogPosition>> start_consistent_snapshot(MyConnection& conn,
                                                                bool need_position);

/// Opens `count` snapshot sessions on `source`, trying up to `align_attempts` times to
/// get them all at one position (see above); returns them whether or not that worked.
Result<std::vector<SnapshotSession>> open_snapshot_sessions(const Endpoint& source, int count,
                                                            bool need_position,
                                                            int align_attempts = 3);

/// Opens one more snapshot session (a worker replacing a broken connection).
Result<SnapshotSession> open_snapshot_session(const Endpoint& source, bool need_position);

/// The earliest position of `sessions` (nullopt if none has one).
std::optional<BinlogPosition> earliest_position(const std::vector<SnapshotSession>& sessions);

}  // namespace tideway::replication::mysql
