#pragma once
// MySQL column type codes as TABLE_MAP writes them (enum_field_types), and how much
// per-column metadata each type carries in the TABLE_MAP metadata block.
// https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Table__map__event.html

#include <cstdint>
#include <optional>
#include <string>

namespace tideway::replication::mysql {

enum class ColumnType : std::uint8_t {
  kDecimal = 0,  // pre-5.0 DECIMAL: never in row events
  kTiny = 1,
  kShort = 2,
  kLong = 3,
  kFloat = 4,
  kDouble = 5,
  kNull = 6,
  kTimestamp = 7,
  kLongLong = 8,
  kInt24 = 9,
  kDate = 10,
  kTime = 11,
  kDateTime = 12,
  kYear = 13,
  kNewDate = 14,
  kVarchar = 15,
  kBit = 16,
  kTimestamp2 = 17,
  kDateTime2 = 18,
  kTime2 = 19,
  kTypedArray = 20,
  kVector = 242,
  kInvalid = 243,
  kBool = 244,
  kJson = 245,
  kNewDecimal = 246,
  kEnum = 247,
  kSet = 248,
  kTinyBlob = 249,
  kMediumBlob = 250,
  kLongBlob = 251,
  kBlob = 252,
  kVarString = 253,
  kString = 254,
  kGeometry = 255,
};

/// "LONG", "NEWDECIMAL", ... (MySQL's MYSQL_TYPE_* without the prefix), or "TYPE_<n>".
std::string column_type_name(std::uint8_t code);

/// Bytes of TABLE_MAP metadata the type carries (0, 1 or 2), or nullopt for a code that
/// cannot appear in a TABLE_MAP (then the event cannot be parsed: the metadata block
/// has no per-column lengths, so one unknown type hides where the next one starts).
std::optional<std::size_t> column_metadata_size(std::uint8_t code);

/// Numeric columns, in the sense of TABLE_MAP's SIGNEDNESS metadata: one signedness bit
/// per column of these types, in column order.
bool is_numeric_type(ColumnType type);

}  // namespace tideway::replication::mysql
