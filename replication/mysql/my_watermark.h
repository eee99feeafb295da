#pragma once
// The watermark snapshot: chunks of a MySQL 8 / Aurora MySQL source (or a MariaDB one,
// when asked for) read without any lock and without a long transaction, each tied to a
// binlog position that the change stream's handoff windows (my_handoff.h) can use.
//
// Why another method: MySQL has no binlog_snapshot_file/position, so a consistent
// snapshot cannot be tied to a binlog offset there, and FLUSH TABLES WITH READ LOCK or
// SUPER, the classic ways to freeze the binlog while a snapshot opens, are not granted on
// Aurora/RDS. What we need is weaker than an exact point: for each chunk a position P1
// such that everything the chunk's rows show happened before P1, and the stream's start
// S such that everything they do not show happened after S.
//
// Per chunk, with no lock held (run by the worker that copies it):
//   1. commit a low-watermark row into the signal table on the source
//      (MysqlOptions::signal_table, `_tideway`.`tideway_signal` by default: task id,
//      table, chunk, and the binlog position read just before it). The commit goes through the binlog's group commit;
//      with commits in binlog order (MariaDB always; MySQL with binlog_order_commits=ON,
//      which the source check requires in this mode), once it returns every transaction
//      binlogged before it is committed in InnoDB, i.e. visible to a read view opened
//      from now on. P0 = the binlog position read right after it;
//   2. read the chunk with one consistent-read SELECT (autocommit, REPEATABLE READ: one
//      read view for the whole statement); it shows the source at a moment at or after
//      the watermark's commit;
//   3. P1 = the binlog position read after the SELECT has returned its last row. A
//      transaction the read view shows had committed in InnoDB before the view opened,
//      and a transaction is written to the binlog before it commits in InnoDB, so it
//      ends at or before P1 (SHOW MASTER STATUS reports the end of what was written,
//      always a transaction boundary). The same signal row gets P1 (the high watermark,
//      for an operator reading the signal table and the binlog side by side).
// The chunk is recorded read at P1 (ChunkDone::snapshot and the target's marker row).
// The task's stream start S is a position read before any chunk (the first run), S <=
// every chunk's watermark.
//
// Why the stream then converges (the handoff windows are the existing ones: per table,
// transactions starting before the latest P1 of its chunks are applied idempotently):
//   - every chunk shows, for each row of its key range, the row's state after some
//     prefix of that row's history (changes to one row are serialised by its lock, and
//     written to the binlog in that same order), and every change it does not show
//     comes after its watermark, so after S: the stream replays it;
//   - with binlog_row_image=FULL an idempotent replay sets each row it touches to an
//     absolute state: insert and update upsert the after image (an update that moves a
//     row to another key first deletes the old key), delete removes the row if present.
//     Replaying from S a history the chunk partly holds therefore ends in the row's
//     state after the last replayed change, whatever the chunk held, and changes the
//     chunk shows are all before P1 <= until: at `until` every row is as on the source,
//     and from there the stream applies strictly. So P1 being an upper bound rather than
//     an exact snapshot point changes nothing for keyed tables.
//   - a table without a key cannot be replayed idempotently (my_snapshot.h, plan method
//     "no_key": its window skips changes before `until`). It needs a read that is exact
//     for that table: when nothing binlogged between P0 and P1 touched it (no TABLE_MAP
//     of it, no statement naming it; checked with SHOW BINLOG EVENTS, and trivially true
//     when P1 equals P0), the read shows exactly its changes before P1. Otherwise the
//     worker retries the chunk a few times, then stops with an error saying so.
// A restart redoes only unfinished chunks, each with new watermarks; S stays.
//
// What this costs the source: one small row (and two short transactions) per chunk in
// the signal table, written to its binlog; the stream ignores the signal table. The
// rows stay for an operator to read (low and high position per chunk); the table can
// be dropped once the load is over.
//
// Known limit: unique secondary indexes are added right after the load, while chunks
// read at different moments may still hold one unique value twice (a value handed from
// one row to another between the reads of their chunks). Adding the index then fails
// with a duplicate entry and the task stops; the source check warns about such tables.
// Deferring those indexes until the stream has passed every handoff window would lift
// this.
//
// On MySQL with gtid_mode=ON every position also carries the executed GTID set read
// with it (SHOW MASTER STATUS's Executed_Gtid_Set), so the stream can start by GTID.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "replication/core/task_spec.h"
#include "replication/mysql/my_connection.h"
#include "replication/mysql/my_position.h"

namespace tideway::replication::mysql {

enum class SnapshotMethod { kConsistentSnapshot, kWatermark };

/// The method for a source of `server_version` ("8.0.35", "10.11.6-MariaDB-log").
/// consistent_snapshot asked of a MySQL server is an error naming the fix.
Result<SnapshotMethod> resolve_snapshot_method(MySnapshotMode mode,
                                               const std::string& server_version);

struct SignalTable {
  std::string database;
  std::string table;
  std::string sql_name() const;  // `database`.`table`
};

/// "database.table" (validated by the task spec parser) as a SignalTable.
SignalTable parse_signal_table(const std::string& name);

/// The task's table filter with the signal table excluded: its rows are bookkeeping of
/// the load, never data to copy or stream (in `_tideway`, the default, they already are).
TableFilter without_signal_table(const TaskSpec& spec);

/// Problems with the source settings the watermark method relies on, from the global
/// variables by lower-case name: MySQL must commit in binlog order
/// (binlog_order_commits=ON); MariaDB always does and has no such variable.
std::vector<std::string> watermark_setting_problems(
    bool mariadb, const std::vector<std::pair<std::string, std::string>>& variables);

/// The source's current binlog position: SHOW MASTER STATUS (SHOW BINARY LOG STATUS on
/// MySQL 8.2+), on MariaDB with the GTID list at that point, on MySQL with gtid_mode=ON
/// with its Executed_Gtid_Set. kConflict when the binlog is off.
Result<BinlogPosition> read_binlog_position(MyConnection& source);

/// A MySQL source's @@global.gtid_mode in upper case ("ON", "OFF", "ON_PERMISSIVE", ...);
/// "OFF" for a server without GTIDs (error 1193, unknown variable).
Result<std::string> mysql_gtid_mode(MyConnection& source);

/// Creates the signal table (and its database) if missing; an existing one must be
/// InnoDB, or its commits would not take part in the binlog's commit order.
Status ensure_signal_table(MyConnection& source, const SignalTable& signal);
/// The CREATE DATABASE / CREATE TABLE IF NOT EXISTS part of ensure_signal_table.
Status create_signal_table(MyConnection& source, const SignalTable& signal);

/// The positions of one chunk read under watermarks.
struct WatermarkedRead {
  BinlogPosition low;   // P0: just after the low watermark's commit
  BinlogPosition high;  // P1: after the chunk's SELECT finished
  bool exact() const { return low == high; }
};

/// Step 1 above on `control` (an idle source session in autocommit): commits the low
/// watermark for the chunk and returns P0.
Result<BinlogPosition> write_low_watermark(MyConnection& control, const SignalTable& signal,
                                           const std::string& task_id, const std::string& table,
                                           int chunk);

/// Step 3: reads P1 and stores it as the chunk's high watermark.
Result<BinlogPosition> write_high_watermark(MyConnection& control, const SignalTable& signal,
                                            const std::string& task_id, const std::string& table,
                                            int chunk);

/// Whether a transaction binlogged in [from, to) may have changed `database`.`table`: a
/// TABLE_MAP of it, or a statement naming it (DDL, statement-based DML), read with
/// SHOW BINLOG EVENTS (REPLICATION SLAVE on MySQL, BINLOG MONITOR on MariaDB, which a
/// stream needs anyway), `page` events per round trip. For a keyless table's read that
/// was not exact: only writes to that very table make its copy ambiguous.
Result<bool> binlog_touches_table(MyConnection& source, const BinlogPosition& from,
                                  const BinlogPosition& to, const std::string& database,
                                  const std::string& table, int page = 1000);

}  // namespace tideway::replication::mysql
