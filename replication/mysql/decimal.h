#pragma once
// MySQL's binary DECIMAL format (NEWDECIMAL in rows, and inside JSON opaque values).
// https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Table__map__event.html
// (strings/decimal.cc: decimal2bin)
//
// The integer part and the fraction are each cut into groups of 9 decimal digits,
// counted from the decimal point outward; a full group is a 4-byte big-endian integer,
// a partial group of n digits takes {0,1,1,2,2,3,3,4,4,4}[n] bytes. The leading partial
// integer group comes first, the trailing partial fraction group last. The sign is the
// top bit of the first byte, inverted (set = positive), and a negative number has every
// byte inverted, so that the bytes compare like the numbers.
//
// Example, DECIMAL(4,2) -10.55: int "10" (1 byte), frac "55" (1 byte): 0x0a 0x37,
// first bit set -> 0x8a 0x37, negated -> 0x75 0xc8.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/byte_reader.h"
#include "common/error.h"

namespace tideway::replication::mysql {

// MySQL allows DECIMAL(65,30); MariaDB DECIMAL(65,38).
inline constexpr int kMaxDecimalPrecision = 65;
inline constexpr int kMaxDecimalScale = 38;

/// Bytes a DECIMAL(precision, scale) value occupies (0 if the pair is invalid).
std::size_t decimal_binary_size(int precision, int scale);

/// Reads one DECIMAL(precision, scale) value as exact text: "-10.55", "0.012", "12345".
/// Fails on an invalid precision/scale, on too few bytes, and on a group that holds
/// more digits than its width allows (a sign of misaligned or corrupt data).
Result<std::string> read_decimal(ByteReader& r, int precision, int scale);

}  // namespace tideway::replication::mysql
