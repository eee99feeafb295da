#pragma once
// What information_schema says about a table, for the change stream: on the source, the
// column names, keys, signedness and charsets a binlog without full TABLE_MAP metadata
// lacks (binlog_row_metadata=NO_LOG/MINIMAL); on the target, which columns are generated
// (the target computes them, so the applier must not write them).
//
// information_schema shows a table as it is now, not as it was when an event was
// written: a stream catching up over an ALTER sees rows of the old shape. So a source
// description is only used when it fits the TABLE_MAP in hand (same column count, same
// type family per column); otherwise the stream stops and asks for
// binlog_row_metadata=FULL, which puts names and keys into every TABLE_MAP. A renamed
// column of the same type cannot be told apart this way: FULL is the setting to run with.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "replication/core/change.h"
#include "replication/mysql/my_connection.h"
#include "replication/mysql/rows_event.h"
#include "replication/mysql/table_map_event.h"

namespace tideway::replication::mysql {

struct StreamColumnInfo {
  std::string name;
  std::string data_type;    // DATA_TYPE: "int", "varchar", "longtext", "inet6"
  std::string column_type;  // COLUMN_TYPE: "int(10) unsigned", "enum('a','b')"
  bool is_unsigned = false;
  std::optional<std::uint32_t> collation_id;  // 63 for binary types, nullopt if none
  bool key = false;                           // part of the primary key
  bool generated = false;                     // VIRTUAL/STORED generated column
};

struct StreamTableInfo {
  std::string schema;
  std::string name;
  std::vector<StreamColumnInfo> columns;
  TableHints hints;  // for the decoder, by column position

  bool has_primary_key() const;
};

/// Caches table descriptions read from one server's information_schema. Not
/// thread-safe: it belongs to the thread that owns `conn`.
class StreamSchemaCache {
 public:
  explicit StreamSchemaCache(MyConnection& conn) : conn_(conn) {}

  /// The table's description, loaded on first use; nullptr if the table does not exist.
  Result<const StreamTableInfo*> get(const std::string& schema, const std::string& table);
  /// Forgets tables so the next get() reads them again (after DDL).
  void forget(const std::string& schema, const std::string& table);
  void forget_all() { tables_.clear(); }

  /// A SchemaLookup for DecoderOptions: hints of cached-or-loadable tables for which
  /// `wanted` is true. A load that fails is remembered for take_error(), since a lookup
  /// cannot return an error itself.
  SchemaLookup lookup(std::function<bool(const std::string&, const std::string&)> wanted);
  std::optional<Error> take_error();

 private:
  MyConnection& conn_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<StreamTableInfo>> tables_;
  std::optional<Error> error_;
};

/// The core description of a TABLE_MAP's table: names and key from the TABLE_MAP when
/// it has them (binlog_row_metadata=FULL), else from `source_schema`, which must then fit
/// it (column count, type family per column) or the result is an error asking for FULL.
Result<std::shared_ptr<TableDesc>> describe_table_map(const TableMapEvent& map,
                                                      StreamSchemaCache& source_schema);

/// Whether a TABLE_MAP column type code can hold a column of information_schema
/// DATA_TYPE `data_type` (same family: both integers of the same width, both temporal
/// of the same kind, both character or binary strings...).
bool column_type_fits(const ColumnDef& column, const std::string& data_type);

}  // namespace tideway::replication::mysql
