#pragma once
// Turns decoded binlog events into the core change model (replication/core/change.h):
//   MariaDB GTID / MySQL GTID (+ QUERY BEGIN) / QUERY BEGIN  -> BeginEvent
//   TABLE_MAP                     -> the TableDesc of the row events that follow
//   WRITE/UPDATE/DELETE_ROWS      -> one Change per row
//   XID / QUERY COMMIT            -> CommitEvent
//   QUERY with table DDL          -> BeginEvent, DdlEvent, CommitEvent
// and keeps the position: the binlog file (from ROTATE), the offset of each event, and
// the GTIDs executed: MariaDB's list (one domain-server-seq per domain) or, when the
// start position carries one, MySQL's GTID set, each transaction's GTID added at its
// commit (XID, COMMIT, or the DDL statement itself).
//
// Positions are BinlogPosition text (my_position.h). A Begin carries where its
// transaction starts; a Commit where the next one starts (the offset after the commit
// event) with the GTID list including this transaction: a restart at a commit position
// neither repeats nor skips a transaction.
//
// Fail closed: a statement-based DML on a replicated table ("binlog_format=ROW is
// required"), INCIDENT, XA, an unknown event type without the ignorable flag, a row
// event outside a transaction, a TABLE_MAP that does not fit what the source's
// information_schema says (without binlog_row_metadata=FULL), and DDL the stream does
// not know how to replay on a replicated database all stop the stream with the
// statement or event and its position.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/error.h"
#include "replication/core/change.h"
#include "replication/core/task_spec.h"
#include "replication/mysql/binlog_event.h"
#include "replication/mysql/gtid_set.h"
#include "replication/mysql/my_position.h"
#include "replication/mysql/my_stream_schema.h"
#include "replication/mysql/my_stream_statement.h"

namespace tideway::replication::mysql {

/// Whether the task replicates `schema`.`table`: the filter matches and it is not a
/// system database or tideway's own.
bool is_replicated(const TableFilter& filter, const std::string& schema, const std::string& table);
/// Whether some table of `schema` could be replicated (the filter's database part).
bool may_replicate_database(const TableFilter& filter, const std::string& schema);

/// MariaDB GTID list text ("0-1-100,1-2-7") as domain -> gtid, and back.
std::map<std::uint32_t, MariaGtid> parse_gtid_list(const std::string& text);
std::string gtid_list_text(const std::map<std::uint32_t, MariaGtid>& gtids);

class MyChangeBuilder {
 public:
  /// `start` is where the dump starts (its GTID list seeds the list kept here);
  /// `source_schema` answers for tables whose TABLE_MAP lacks names and keys.
  MyChangeBuilder(TableFilter filter, const BinlogPosition& start,
                  StreamSchemaCache& source_schema);

  /// Feeds one event; appends what it produces to `out`.
  Status feed(const BinlogEvent& event, std::vector<StreamEvent>& out);

  bool in_transaction() const { return in_transaction_; }
  /// The next event's position, with the GTID list of the transactions completed.
  BinlogPosition position() const;
  /// Header timestamp (seconds) of the last event that was not a heartbeat.
  std::uint32_t last_event_time() const { return last_event_time_; }

 private:
  Status feed_one(const BinlogEvent& event, std::uint64_t next_offset,
                  std::vector<StreamEvent>& out);
  void begin(const BinlogEvent& event, std::vector<StreamEvent>& out);
  void commit(const BinlogEvent& event, std::uint64_t next_offset, std::vector<StreamEvent>& out);
  Status on_query(const BinlogEvent& event, const QueryEvent& q, std::uint64_t next_offset,
                  std::vector<StreamEvent>& out);
  Status on_ddl(const BinlogEvent& event, const QueryEvent& q, const StatementInfo& info,
                std::vector<StreamEvent>& out);
  Status on_table_map(const BinlogEvent& event, const TableMapEvent& map);
  Status on_rows(const BinlogEvent& event, const RowsEvent& rows, std::vector<StreamEvent>& out);
  Result<std::shared_ptr<const TableDesc>> describe(const TableMapEvent& map);
  Error fail(const BinlogEvent& event, const std::string& what) const;
  std::string at(const BinlogEvent& event) const;
  BinlogPosition position_at(std::uint64_t offset) const;

  TableFilter filter_;
  StreamSchemaCache& source_schema_;
  std::string file_;
  std::uint64_t next_offset_ = 0;
  std::map<std::uint32_t, MariaGtid> gtids_;
  std::string mysql_gtid_;  // MySQL: the GTID of the transaction in progress, for messages
  // MySQL: the executed GTID set, kept when the start position has one (gtid_mode=ON);
  // the GTID of the open transaction joins it at the commit.
  std::optional<GtidSet> mysql_set_;
  std::optional<std::pair<GtidUuid, std::uint64_t>> pending_mysql_gtid_;

  bool in_transaction_ = false;
  bool standalone_ = false;      // MariaDB GTID without a COMMIT to follow (DDL)
  bool explicit_begin_ = false;  // a QUERY BEGIN opened the transaction
  std::optional<MariaGtid> pending_gtid_;
  std::int64_t commit_time_us_ = 0;
  std::uint32_t last_event_time_ = 0;

  // Replicated tables by table id; ids of other tables map to nullptr.
  std::unordered_map<std::uint64_t, std::shared_ptr<const TableDesc>> tables_;
  // The last description of each table by name, reused while it stays the same.
  std::map<std::string, std::shared_ptr<const TableDesc>> by_name_;
};

}  // namespace tideway::replication::mysql
