#pragma once
// MySQL's binary JSON format (JSON columns in row events) to canonical JSON text.
// https://dev.mysql.com/doc/dev/mysql-server/latest/json__binary_8h.html
//
//   doc       ::= type value
//   type      0x00 small object, 0x01 large object, 0x02 small array, 0x03 large
//             array, 0x04 literal (0 null, 1 true, 2 false), 0x05 int16, 0x06 uint16,
//             0x07 int32, 0x08 uint32, 0x09 int64, 0x0a uint64, 0x0b double,
//             0x0c string, 0x0f opaque (MySQL type byte + data)
//   object    count, size, key-entry*, value-entry*, key*, value*
//   array     count, size, value-entry*, value*
//             (count, size and offsets are 2 bytes in small, 4 in large containers;
//             offsets count from the start of the container's count field)
//   key-entry offset, 2-byte length
//   value-entry  type + offset, or the value itself when it fits the offset field:
//             literals and 16-bit ints always, 32-bit ints in large containers
//   string    length as 1-5 bytes of 7 bits (low first, high bit = more), bytes
//   numbers   little-endian; double as IEEE 754
//
// The text follows MySQL's own printing: `{"a": 1, "b": [true, null]}`, doubles in
// shortest form with ".0" added to integral ones, DECIMAL opaques as numbers, DATE /
// TIME / DATETIME / TIMESTAMP opaques as quoted strings with 6 fraction digits, other
// opaques as "base64:type<N>:<data>".
//
// Offsets are untrusted: every one is checked against its container, nesting is
// limited, and the output is capped relative to the input, since offsets that alias
// each other could otherwise expand a small document exponentially.

#include <cstdint>
#include <span>
#include <string>

#include "common/error.h"

namespace tideway::replication::mysql {

/// A whole document as stored in a JSON column (empty = JSON null, as MySQL reads it).
Result<std::string> json_binary_to_text(std::span<const std::uint8_t> document);

/// One value of the given type whose data starts at `data` (as in a JSON diff).
Result<std::string> json_binary_value_to_text(std::uint8_t type,
                                              std::span<const std::uint8_t> data);

/// Appends `text` as a JSON string literal with MySQL's escaping.
void append_json_string(std::string& out, std::string_view text);

/// MySQL's JSON text of a double (my_gcvt, plus ".0" for integral values).
std::string json_double_text(double value);

}  // namespace tideway::replication::mysql
