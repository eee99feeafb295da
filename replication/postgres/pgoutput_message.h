#pragma once
// Decoded pgoutput messages: PostgreSQL's logical replication protocol, versions 1-4, as
// the built-in `pgoutput` plugin sends them inside XLogData ('w') CopyData messages. One
// struct per message kind; PgoutputMessage is the variant over all of them.
//
// Wire notation in the layout comments: Byte1('X') is the message type; Int8/Int16/Int32/
// Int64 are big-endian; String is NUL-terminated; LSNs are Int64 XLogRecPtr and
// timestamps Int64 microseconds since 2000-01-01 00:00:00 UTC (PgTimestamp).
// "[Int32 xid]" marks the transaction id that protocol >= 2 adds right after the type byte
// while a streamed transaction is open (between Stream Start and Stream Stop); only the
// caller knows whether one is open, so it says so in DecodeOptions.
//
// Decoded values own their bytes (std::string), so a message outlives the network buffer.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "replication/core/lsn.h"

namespace tideway::replication::postgres {

/// A PostgreSQL TimestampTz as sent on the wire: microseconds since 2000-01-01 UTC.
struct PgTimestamp {
  /// Difference between the PostgreSQL and the Unix epoch, in microseconds.
  static constexpr std::int64_t kUnixEpochOffsetMicros = 946'684'800'000'000;

  std::int64_t micros_since_2000 = 0;

  auto operator<=>(const PgTimestamp&) const = default;

  /// Microseconds since 1970-01-01 UTC. Saturates instead of overflowing, which only the
  /// +/-infinity sentinels (INT64_MAX/INT64_MIN) and nonsense values can reach.
  std::int64_t unix_micros() const;
  /// "2019-07-18T17:02:35.726322Z" (always six fraction digits, UTC). PostgreSQL's
  /// sentinels print as "infinity" / "-infinity".
  std::string to_iso8601() const;
};

/// How one column of a TupleData is sent (the kind byte before it).
enum class ColumnKind : char {
  kNull = 'n',            // SQL NULL; no bytes follow
  kUnchangedToast = 'u',  // a TOASTed value the UPDATE did not change; the value is not sent
  kText = 't',            // Int32 length + value in the type's text output format
  kBinary = 'b',          // Int32 length + value in the type's binary send format
};

/// One column value. `bytes` is empty for kNull and kUnchangedToast.
struct TupleColumn {
  ColumnKind kind = ColumnKind::kNull;
  std::string bytes;

  bool operator==(const TupleColumn&) const = default;
};

/// TupleData:
///   Int16 column count, then per column: Byte1 kind ('n' | 'u' | 't' | 'b'),
///   and for 't'/'b': Int32 length, Byte(n) value.
struct TupleData {
  std::vector<TupleColumn> columns;

  bool operator==(const TupleData&) const = default;
};

/// REPLICA IDENTITY of a table, which decides what an UPDATE/DELETE carries as old row.
enum class ReplicaIdentity : char {
  kDefault = 'd',  // primary key columns ('K' key tuple)
  kNothing = 'n',  // no old row at all
  kFull = 'f',     // every column ('O' old tuple)
  kIndex = 'i',    // the columns of a chosen unique index ('K' key tuple)
};

/// One column of a Relation message.
struct RelationColumn {
  /// Bit 0 set: the column is part of the replica identity (the key).
  static constexpr std::uint8_t kFlagKey = 0x01;

  std::uint8_t flags = 0;
  std::string name;
  std::uint32_t type_oid = 0;
  /// Type modifier (atttypmod), -1 when the type has none.
  std::int32_t type_modifier = -1;

  bool is_key() const { return (flags & kFlagKey) != 0; }
  bool operator==(const RelationColumn&) const = default;
};

/// 'B' Begin: Byte1('B') Int64 final_lsn, Int64 commit_time, Int32 xid.
struct BeginMessage {
  static constexpr char kType = 'B';
  Lsn final_lsn;
  PgTimestamp commit_time;
  std::uint32_t xid = 0;
};

/// 'C' Commit: Byte1('C') Int8 flags (0), Int64 commit_lsn, Int64 end_lsn,
/// Int64 commit_time. Non-zero flags are rejected, as PostgreSQL's own subscriber does.
struct CommitMessage {
  static constexpr char kType = 'C';
  std::uint8_t flags = 0;
  Lsn commit_lsn;
  Lsn end_lsn;
  PgTimestamp commit_time;
};

/// 'O' Origin: Byte1('O') Int64 commit LSN on the origin server, String origin name.
/// Sent after Begin when the transaction was replicated here from another node.
struct OriginMessage {
  static constexpr char kType = 'O';
  Lsn origin_commit_lsn;
  std::string name;
};

/// 'R' Relation: Byte1('R') [Int32 xid] Int32 relation oid, String namespace ("" means
/// pg_catalog; decoded as "pg_catalog"), String relation name, Int8 replica identity,
/// Int16 column count, then per column: Int8 flags, String name, Int32 type oid,
/// Int32 typmod. Sent before the first change of a relation and again after DDL.
struct RelationMessage {
  static constexpr char kType = 'R';
  std::optional<std::uint32_t> xid;
  std::uint32_t relation_id = 0;
  std::string namespace_name;
  std::string relation_name;
  ReplicaIdentity replica_identity = ReplicaIdentity::kDefault;
  std::vector<RelationColumn> columns;
};

/// 'Y' Type: Byte1('Y') [Int32 xid] Int32 type oid, String namespace ("" = pg_catalog),
/// String type name. Describes a non-builtin type before a Relation that uses it.
struct TypeMessage {
  static constexpr char kType = 'Y';
  std::optional<std::uint32_t> xid;
  std::uint32_t type_oid = 0;
  std::string namespace_name;
  std::string type_name;
};

/// 'I' Insert: Byte1('I') [Int32 xid] Int32 relation oid, Byte1('N'), TupleData.
struct InsertMessage {
  static constexpr char kType = 'I';
  std::optional<std::uint32_t> xid;
  std::uint32_t relation_id = 0;
  TupleData new_tuple;
};

/// 'U' Update: Byte1('U') [Int32 xid] Int32 relation oid, optionally Byte1('K') + key
/// TupleData (identity default/index, key changed) or Byte1('O') + old TupleData (identity
/// full), then Byte1('N') + new TupleData. At most one of key_tuple/old_tuple is set.
struct UpdateMessage {
  static constexpr char kType = 'U';
  std::optional<std::uint32_t> xid;
  std::uint32_t relation_id = 0;
  std::optional<TupleData> key_tuple;
  std::optional<TupleData> old_tuple;
  TupleData new_tuple;
};

/// 'D' Delete: Byte1('D') [Int32 xid] Int32 relation oid, then Byte1('K') + key TupleData
/// or Byte1('O') + old TupleData. Exactly one of key_tuple/old_tuple is set.
struct DeleteMessage {
  static constexpr char kType = 'D';
  std::optional<std::uint32_t> xid;
  std::uint32_t relation_id = 0;
  std::optional<TupleData> key_tuple;
  std::optional<TupleData> old_tuple;
};

/// 'T' Truncate: Byte1('T') [Int32 xid] Int32 relation count, Int8 option bits
/// (1 = CASCADE, 2 = RESTART IDENTITY), Int32 relation oid per relation.
struct TruncateMessage {
  static constexpr char kType = 'T';
  static constexpr std::uint8_t kCascade = 0x01;
  static constexpr std::uint8_t kRestartIdentity = 0x02;

  std::optional<std::uint32_t> xid;
  std::uint8_t options = 0;
  std::vector<std::uint32_t> relation_ids;

  bool cascade() const { return (options & kCascade) != 0; }
  bool restart_identity() const { return (options & kRestartIdentity) != 0; }
};

/// 'M' logical decoding message (pg_logical_emit_message; protocol >= 1 with
/// messages=true): Byte1('M') [Int32 xid] Int8 flags (1 = transactional), Int64 LSN,
/// String prefix, Int32 content length, Byte(n) content.
struct LogicalDecodingMessage {
  static constexpr char kType = 'M';
  static constexpr std::uint8_t kTransactional = 0x01;

  std::optional<std::uint32_t> xid;
  std::uint8_t flags = 0;
  Lsn lsn;
  std::string prefix;
  std::string content;

  bool transactional() const { return (flags & kTransactional) != 0; }
};

/// 'S' Stream Start (protocol >= 2): Byte1('S') Int32 xid, Int8 first segment (0 or 1).
struct StreamStartMessage {
  static constexpr char kType = 'S';
  std::uint32_t xid = 0;
  bool first_segment = false;
};

/// 'E' Stream Stop (protocol >= 2): Byte1('E') only.
struct StreamStopMessage {
  static constexpr char kType = 'E';
};

/// 'c' Stream Commit (protocol >= 2): Byte1('c') Int32 xid, Int8 flags (0),
/// Int64 commit_lsn, Int64 end_lsn, Int64 commit_time.
struct StreamCommitMessage {
  static constexpr char kType = 'c';
  std::uint32_t xid = 0;
  std::uint8_t flags = 0;
  Lsn commit_lsn;
  Lsn end_lsn;
  PgTimestamp commit_time;
};

/// 'A' Stream Abort (protocol >= 2): Byte1('A') Int32 xid, Int32 subtransaction xid
/// (equal to xid when the whole transaction aborts); with protocol >= 4 and
/// streaming = parallel also Int64 abort_lsn, Int64 abort_time.
struct StreamAbortMessage {
  static constexpr char kType = 'A';
  std::uint32_t xid = 0;
  std::uint32_t subxid = 0;
  std::optional<Lsn> abort_lsn;
  std::optional<PgTimestamp> abort_time;
};

/// 'b' Begin Prepare (protocol >= 3): Byte1('b') Int64 prepare_lsn, Int64 end_lsn,
/// Int64 prepare_time, Int32 xid, String gid.
struct BeginPrepareMessage {
  static constexpr char kType = 'b';
  Lsn prepare_lsn;
  Lsn end_lsn;
  PgTimestamp prepare_time;
  std::uint32_t xid = 0;
  std::string gid;
};

/// Fields shared by 'P' Prepare and 'p' Stream Prepare (protocol >= 3):
/// Byte1('P' | 'p') Int8 flags (0), Int64 prepare_lsn, Int64 end_lsn, Int64 prepare_time,
/// Int32 xid, String gid.
struct PreparedTransactionFields {
  std::uint8_t flags = 0;
  Lsn prepare_lsn;
  Lsn end_lsn;
  PgTimestamp prepare_time;
  std::uint32_t xid = 0;
  std::string gid;
};
struct PrepareMessage : PreparedTransactionFields {
  static constexpr char kType = 'P';
};
struct StreamPrepareMessage : PreparedTransactionFields {
  static constexpr char kType = 'p';
};

/// 'K' Commit Prepared (protocol >= 3): Byte1('K') Int8 flags (0), Int64 commit_lsn,
/// Int64 end_lsn, Int64 commit_time, Int32 xid, String gid.
struct CommitPreparedMessage {
  static constexpr char kType = 'K';
  std::uint8_t flags = 0;
  Lsn commit_lsn;
  Lsn end_lsn;
  PgTimestamp commit_time;
  std::uint32_t xid = 0;
  std::string gid;
};

/// 'r' Rollback Prepared (protocol >= 3): Byte1('r') Int8 flags (0), Int64
/// prepare_end_lsn, Int64 rollback_end_lsn, Int64 prepare_time, Int64 rollback_time,
/// Int32 xid, String gid.
struct RollbackPreparedMessage {
  static constexpr char kType = 'r';
  std::uint8_t flags = 0;
  Lsn prepare_end_lsn;
  Lsn rollback_end_lsn;
  PgTimestamp prepare_time;
  PgTimestamp rollback_time;
  std::uint32_t xid = 0;
  std::string gid;
};

using PgoutputMessage =
    std::variant<BeginMessage, CommitMessage, OriginMessage, RelationMessage, TypeMessage,
                 InsertMessage, UpdateMessage, DeleteMessage, TruncateMessage,
                 LogicalDecodingMessage, StreamStartMessage, StreamStopMessage, StreamCommitMessage,
                 StreamAbortMessage, BeginPrepareMessage, PrepareMessage, StreamPrepareMessage,
                 CommitPreparedMessage, RollbackPreparedMessage>;

/// The wire type byte of a decoded message ('B', 'C', ...).
char message_type_byte(const PgoutputMessage& message);

/// Human name of a wire type byte ("Begin", "Stream Commit", ...); "unknown" otherwise.
const char* message_type_name(char type_byte);

}  // namespace tideway::replication::postgres
