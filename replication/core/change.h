#pragma once
// The change model every source decodes into and every target applies: tables described
// once (TableDesc, shared by all changes until the source's schema changes), row images
// of Values, and stream events that keep the source's transaction boundaries.
//
// A change stream is a sequence   Begin, Change*, Commit   per source transaction, in
// source commit order. Appliers never split a transaction; they may group several into
// one target transaction. Positions: `Commit::end_position` is where a restart resumes
// after this transaction (PostgreSQL: the commit record's end LSN). Engines whose
// positions are not LSNs (MySQL/MariaDB binlogs: file, offset and GTIDs) carry them as
// text in `position`, in the engine's own format; the Lsn fields are then unused.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "replication/core/lsn.h"
#include "replication/core/value.h"

namespace tideway::replication {

struct ColumnDesc {
  std::string name;
  std::string type_name;      // as the source names it ("integer", "public.mood")
  std::uint32_t type_oid = 0; // PostgreSQL type OID; 0 for other engines
  std::int32_t type_modifier = -1;
  bool key = false;           // part of the replica identity / primary key
};

enum class IdentityKind { kPrimaryKey, kIndex, kFull, kNothing };

/// A table as the stream describes it at this point of the stream.
struct TableDesc {
  std::uint32_t source_id = 0;  // PostgreSQL relation OID; MySQL table id
  std::string schema;
  std::string name;
  std::vector<ColumnDesc> columns;
  IdentityKind identity = IdentityKind::kPrimaryKey;

  std::string qualified() const { return schema + "." + name; }
  bool has_key() const {
    for (const auto& c : columns) {
      if (c.key) return true;
    }
    return false;
  }
};

/// One column of a row image. kUnchanged: PostgreSQL did not send a TOASTed value that
/// the UPDATE did not change; the target must keep its current value.
struct Datum {
  enum class State : std::uint8_t { kNull, kValue, kUnchanged };
  State state = State::kNull;
  Value value;

  static Datum null() { return {}; }
  static Datum unchanged() { return {State::kUnchanged, {}}; }
  static Datum of(Value v) { return {State::kValue, std::move(v)}; }
};

struct RowImage {
  std::vector<Datum> columns;  // in TableDesc::columns order
  /// Approximate heap bytes, for byte-bounded queues.
  std::size_t byte_size() const;
};

enum class ChangeKind { kInsert, kUpdate, kDelete, kTruncate };

struct Change {
  ChangeKind kind = ChangeKind::kInsert;
  std::shared_ptr<const TableDesc> table;  // immutable; replaced, never edited, on DDL
  std::optional<RowImage> before;  // update/delete: key or full old row (per identity)
  std::optional<RowImage> after;   // insert/update: the new row
  // Truncate: every table truncated together, and its options.
  std::vector<std::shared_ptr<const TableDesc>> truncated;
  bool truncate_cascade = false;
  bool truncate_restart_identity = false;
  std::size_t byte_size() const;
};

struct BeginEvent {
  std::uint32_t xid = 0;
  Lsn final_lsn;                 // PostgreSQL: the commit's LSN
  std::int64_t commit_time_us = 0;  // Unix microseconds
  /// Text-positioned engines: where this transaction starts (MySQL: "file:offset;gtid=..."
  /// of its first event, with the GTID list before it). Empty for PostgreSQL.
  std::string position{};  // {}: older aggregate initializers need not name it
};

struct CommitEvent {
  Lsn commit_lsn;
  Lsn end_position;  // resume point after this transaction
  std::int64_t commit_time_us = 0;
  /// No transaction: the source said everything before end_position has been sent (an
  /// idle source's keepalive). Once all earlier events are applied, the checkpoint may
  /// move here, so an idle source's slot does not hold WAL forever.
  bool position_only = false;
  /// Text-positioned engines: the resume point after this transaction (MySQL: the
  /// "file:offset" where the next transaction starts, with the GTID list including this
  /// one). Empty for PostgreSQL.
  std::string position{};  // {}: older aggregate initializers need not name it
};

/// Columns the source added to a table mid-stream; applied on the target (in the same
/// transaction) before the first change that carries them.
struct AddColumnsEvent {
  std::shared_ptr<const TableDesc> table;  // the new description
  std::vector<ColumnDesc> added;           // with type_name resolved on the source
};

/// A schema statement the source ran (MySQL/MariaDB DDL, logged as a statement even
/// with binlog_format=ROW), to run on the target at this point of the stream. It mostly
/// comes as a source transaction of its own (Begin, DdlEvent, Commit), as the servers
/// commit implicitly around DDL; a CREATE TABLE ... SELECT is followed by its rows.
struct DdlEvent {
  std::string schema;     // the statement's default database; "" if none
  std::string statement;  // as the source logged it
  std::vector<std::string> tables;  // "schema.table" it names, for messages
  /// Session settings it ran under, to set on the target first (name, SQL value), e.g.
  /// MySQL's ("foreign_key_checks", "0"), ("character_set_client", "33").
  std::vector<std::pair<std::string, std::string>> session;
};

using StreamEvent = std::variant<BeginEvent, Change, CommitEvent, AddColumnsEvent, DdlEvent>;

std::size_t event_byte_size(const StreamEvent& e);

}  // namespace tideway::replication
