#pragma once
// TABLE_MAP_EVENT (19): binds a table id to a table's name and column types before the
// row events that use it.
// https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Table__map__event.html
//
//   post-header  6  table_id       (4 bytes when the declared post-header is 6)
//                2  flags
//   body         1  schema_length, schema, NUL
//                1  table_length, table, NUL
//                *  column_count   packed integer
//                   column_count x 1-byte column type
//                *  metadata_length packed integer, then per column 0-2 bytes of
//                   metadata, as column_metadata_size() says:
//                     FLOAT/DOUBLE        pack length
//                     BLOB/GEOMETRY/JSON/VECTOR  bytes of the length prefix (1-4)
//                     TIME2/DATETIME2/TIMESTAMP2  fractional precision
//                     VARCHAR/VAR_STRING  max byte length, LE
//                     BIT                 bits % 8, bits / 8
//                     NEWDECIMAL          precision, scale
//                     STRING              real type, length; CHAR above 255 bytes
//                                         folds length bits 8-9 into the real type
//                   (column_count + 7) / 8 bytes of null bitmap (bit i = nullable)
//                *  optional metadata (MySQL 8.0.1+ / MariaDB 10.5+ with
//                   binlog_row_metadata): TLV records, 1 type + packed length + value:
//                     1 SIGNEDNESS (bit per numeric column, MSB first)
//                     2 DEFAULT_CHARSET (default collation, then index/collation pairs
//                       over character columns)  3 COLUMN_CHARSET (one per character column)
//                     4 COLUMN_NAME  5 SET_STR_VALUE  6 ENUM_STR_VALUE  7 GEOMETRY_TYPE
//                     8 SIMPLE_PRIMARY_KEY  9 PRIMARY_KEY_WITH_PREFIX
//                     10/11 ENUM_AND_SET_DEFAULT/COLUMN_CHARSET  12 COLUMN_VISIBILITY
//                     13 VECTOR_DIMENSIONALITY
//                   Unknown types are skipped by their length.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/byte_reader.h"
#include "common/error.h"
#include "replication/mysql/column_type.h"
#include "replication/mysql/format_description_event.h"

namespace tideway::replication::mysql {

struct ColumnDef {
  std::uint8_t type = 0;       // as the TABLE_MAP lists it (ENUM/SET appear as STRING)
  std::uint8_t real_type = 0;  // ENUM, SET or STRING for STRING columns; else `type`
  /// Metadata as one number, the way mysqlbinlog prints "meta=": 2-byte values of
  /// NEWDECIMAL and STRING are big-endian (first byte high), the others little-endian.
  std::uint16_t metadata = 0;
  bool nullable = false;

  // From the optional metadata (or a caller-supplied schema); nullopt = not stated.
  std::optional<bool> is_unsigned;
  std::optional<std::uint32_t> collation_id;
  std::optional<std::string> name;
  std::optional<std::vector<std::string>> enum_values;
  std::optional<std::vector<std::string>> set_values;
  std::optional<std::uint32_t> geometry_type;
  std::optional<bool> visible;
  std::optional<std::uint32_t> vector_dimensions;

  ColumnType column_type() const { return static_cast<ColumnType>(real_type); }
  /// Byte length of CHAR/VARCHAR/BINARY/VARBINARY columns (as declared, in bytes).
  std::uint32_t max_length() const;
  /// Length-prefix size of BLOB/TEXT/GEOMETRY/JSON/VECTOR values, or pack length of
  /// ENUM/SET values.
  std::uint32_t pack_length() const;
  int precision() const { return metadata >> 8; }
  int scale() const { return metadata & 0xff; }
  std::uint8_t fsp() const { return static_cast<std::uint8_t>(metadata); }
  /// BIT(n): n.
  std::uint32_t bit_width() const { return (metadata >> 8) * 8U + (metadata & 0xffU); }
};

struct TableMapEvent {
  std::uint64_t table_id = 0;
  std::uint16_t flags = 0;
  std::string schema;
  std::string table;
  std::vector<ColumnDef> columns;
  /// Primary key columns (0-based) with their prefix length (0 = whole column), from
  /// SIMPLE_PRIMARY_KEY or PRIMARY_KEY_WITH_PREFIX; nullopt when not stated.
  std::optional<std::vector<std::pair<std::uint32_t, std::uint32_t>>> primary_key;
  /// The optional-metadata record types present, in order (for diagnostics).
  std::vector<std::uint8_t> optional_metadata_types;

  std::size_t json_column_count() const;
};

/// Parses a TABLE_MAP body. `flavor` decides which columns carry a character set in
/// the charset metadata (MariaDB counts GEOMETRY, MySQL does not).
Result<TableMapEvent> parse_table_map(ByteReader& body, std::size_t post_header_length,
                                      Flavor flavor);

/// Reads the table id of a TABLE_MAP or row event post-header: 6 bytes, or 4 when the
/// declared post-header is 6 bytes (MySQL 5.1.0-5.1.15).
std::uint64_t read_table_id(ByteReader& r, std::size_t post_header_length);

/// Whether the column stores characters in the sense of the charset metadata.
bool is_character_column(const ColumnDef& column, Flavor flavor);

}  // namespace tideway::replication::mysql
