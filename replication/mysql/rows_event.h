#pragma once
// Row events: WRITE/UPDATE/DELETE_ROWS in their pre-GA (20-22), v1 (23-25) and v2
// (30-32) forms, PARTIAL_UPDATE_ROWS (39) and MariaDB's compressed forms (166-171).
// https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Rows__event.html
//
//   post-header  6  table_id    (4 bytes when the declared post-header is 6)
//                2  flags       1 = STMT_END_F (last event of its statement)
//                [2 extra_length, counting itself]                     v2 only
//   extra data   extra_length - 2 bytes of tagged records: 0 = NDB info (length byte
//                first), 1 = partition id (2 bytes; UPDATE adds the source partition)
//   body         *  column_count        packed integer = the table's column count
//                   before-image columns bitmap, (column_count + 7) / 8 bytes
//                   [after-image columns bitmap: UPDATE and PARTIAL_UPDATE]
//                rows until the end of the event (MariaDB compressed: a zlib block
//                holding them, see mariadb_compression.h); each row is one image
//                (WRITE: after, DELETE: before) or two (UPDATE: before, after):
//                   [PARTIAL_UPDATE after-image: packed value_options; if bit 0
//                    (PARTIAL_JSON) then one bit per JSON column of the table,
//                    set = that column holds a JSON diff list]
//                   null bitmap, one bit per column in the image
//                   the non-NULL values, column_decoder.h
//
// A column missing from an image (binlog_row_image=MINIMAL or NOBLOB, NDB partial
// rows) is nullopt in RowImage, which is not the same as SQL NULL.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/byte_reader.h"
#include "common/error.h"
#include "replication/core/value.h"
#include "replication/mysql/table_map_event.h"

namespace tideway::replication::mysql {

enum class RowsKind { kWrite, kUpdate, kDelete };

/// What the caller's schema (e.g. information_schema) says about a column, for
/// binlogs without optional metadata (binlog_row_metadata=MINIMAL, MySQL < 8.0,
/// MariaDB < 10.5). The binlog's own metadata wins where it exists.
struct ColumnHint {
  std::optional<bool> is_unsigned;
  std::optional<std::uint32_t> collation_id;
};

/// Hints by 0-based column position.
struct TableHints {
  std::vector<ColumnHint> columns;
};

/// Returns the hints for a table, or nullptr. The pointer must stay valid during the
/// decode call that asked for it.
using SchemaLookup =
    std::function<const TableHints*(std::string_view schema, std::string_view table)>;

struct RowImage {
  std::vector<std::optional<Value>> columns;  // by column position; nullopt = absent
};

struct RowChange {
  std::optional<RowImage> before;  // UPDATE, DELETE
  std::optional<RowImage> after;   // WRITE, UPDATE
};

struct RowsEvent {
  RowsKind kind = RowsKind::kWrite;
  std::uint8_t version = 2;  // 0 = pre-GA, 1, 2
  bool partial_update = false;
  bool compressed = false;
  std::uint64_t table_id = 0;
  std::uint16_t flags = 0;
  std::optional<std::uint16_t> partition_id;
  std::optional<std::uint16_t> source_partition_id;
  std::string ndb_info;
  std::uint64_t column_count = 0;
  std::vector<bool> before_columns;  // present bitmap of before-images (empty if none)
  std::vector<bool> after_columns;   // present bitmap of after-images (empty if none)
  std::string schema;
  std::string table;
  std::vector<RowChange> rows;

  bool statement_end() const { return (flags & 0x01) != 0; }
};

struct RowsEventLayout {
  RowsKind kind = RowsKind::kWrite;
  std::uint8_t version = 2;
  bool partial_update = false;
  bool compressed = false;
};

/// The layout of a row event type code, or nullopt if the code is not a row event.
std::optional<RowsEventLayout> rows_event_layout(std::uint8_t type_code);

struct RowsDecodeContext {
  /// The TABLE_MAP in force for a table id, or nullptr.
  std::function<const TableMapEvent*(std::uint64_t table_id)> find_table;
  SchemaLookup schema;  // may be empty
  /// Largest row data a compressed MariaDB event may inflate to.
  std::size_t max_uncompressed_size = std::size_t{1} << 30;
};

/// Parses a row event body and decodes every row with its table's TABLE_MAP. An event
/// with no rows needs no TABLE_MAP (MySQL ends some statements with such an event).
Result<RowsEvent> parse_rows_event(ByteReader& body, std::size_t post_header_length,
                                   std::uint8_t type_code, const RowsDecodeContext& context);

}  // namespace tideway::replication::mysql
