#pragma once
// One column value of a row image, by its TABLE_MAP type and metadata, into a Value.
// https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Rows__event.html
//
//   TINY/SHORT/INT24/LONG/LONGLONG  1/2/3/4/8 bytes LE, signed unless the column is
//                                   unsigned (SIGNEDNESS metadata or caller's schema)
//   FLOAT/DOUBLE        4/8 bytes IEEE 754 LE
//   NEWDECIMAL          decimal.h
//   YEAR                1 byte: 0, or year - 1900
//   DATE, TIME(2), DATETIME(2), TIMESTAMP(2)   temporal.h
//   VARCHAR/VAR_STRING  1-byte length if max_length < 256, else 2; bytes
//   STRING              same, for CHAR/BINARY (real type STRING)
//   ENUM                1 or 2 bytes LE index (pack length from metadata)
//   SET                 1-8 bytes LE bitmask
//   BIT(n)              (n + 7) / 8 bytes big-endian
//   BLOB/TEXT/GEOMETRY/JSON/VECTOR   pack-length bytes LE length, then data
//
// Character columns become TextValue with their collation; collation 63 (binary), or a
// BLOB whose charset nobody stated, becomes BytesValue: TEXT and BLOB share one type
// code, and only the charset tells them apart.

#include <cstdint>

#include "common/byte_reader.h"
#include "common/error.h"
#include "replication/core/value.h"
#include "replication/mysql/table_map_event.h"

namespace tideway::replication::mysql {

inline constexpr std::uint32_t kBinaryCollation = 63;

/// What a row decoder resolved for one column: the TABLE_MAP entry plus signedness and
/// collation from metadata or the caller's schema.
struct ColumnContext {
  const ColumnDef* column = nullptr;
  bool is_unsigned = false;
  std::uint32_t collation_id = 0;  // 0 = unknown
  /// The value is a JSON diff list (PARTIAL_UPDATE_ROWS after-image), not a document.
  bool partial_json = false;
};

/// Reads one non-NULL value. Fails on truncation, an impossible length, or bytes that
/// are not a valid value of the type (a bad decimal group, month 13, broken JSON).
Result<Value> read_column_value(ByteReader& r, const ColumnContext& context);

}  // namespace tideway::replication::mysql
