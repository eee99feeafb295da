#pragma once
// Date and time column images in row events, old and "2" (MySQL 5.6.4+) formats, and
// the packed 8-byte forms used inside JSON opaque values.
// https://dev.mysql.com/doc/dev/mysql-server/latest/group__group__cs__temporal__types.html
//
//   DATE        3 bytes LE: day (5 bits) | month (4 bits) << 5 | year << 9
//   TIME        3 bytes LE signed: HHMMSS as a decimal number (negative = negative time)
//   DATETIME    8 bytes LE: YYYYMMDDhhmmss as a decimal number
//   TIMESTAMP   4 bytes LE: seconds since the epoch (0 = zero timestamp)
//   TIME2       3 bytes BE + fraction, offset by 0x800000: sign, 1 unused bit,
//               hour (10), minute (6), second (6)
//   DATETIME2   5 bytes BE + fraction, offset by 0x8000000000: sign, year*13+month
//               (17), day (5), hour (5), minute (6), second (6)
//   TIMESTAMP2  4 bytes BE seconds + fraction
//   fraction    fsp 1-2: 1 byte (hundredths), 3-4: 2 bytes (1/10000), 5-6: 3 bytes (us),
//               big-endian; for a negative TIME2 it is stored as its complement
//
// Zero and partial-zero dates ('0000-00-00', '2016-00-28') decode as they are. A field
// out of its range (month 13, minute 60) is reported as corruption: no server writes it.

#include <cstdint>

#include "common/byte_reader.h"
#include "common/error.h"
#include "replication/core/value.h"

namespace tideway::replication::mysql {

Result<DateValue> read_date(ByteReader& r);
Result<TimeValue> read_time(ByteReader& r);
Result<TimeValue> read_time2(ByteReader& r, std::uint8_t fsp);
Result<DateTimeValue> read_datetime(ByteReader& r);
Result<DateTimeValue> read_datetime2(ByteReader& r, std::uint8_t fsp);
Result<TimestampValue> read_timestamp(ByteReader& r);
Result<TimestampValue> read_timestamp2(ByteReader& r, std::uint8_t fsp);

/// The packed longlong MySQL uses in memory and in JSON opaque DATE/DATETIME/TIMESTAMP
/// values: (year*13+month << 22 | day << 17 | hour << 12 | minute << 6 | second) << 24
/// | microseconds, negated for negative values.
Result<DateTimeValue> datetime_from_packed(std::int64_t packed, std::uint8_t fsp);
/// The packed TIME: (hour << 12 | minute << 6 | second) << 24 | microseconds, negated
/// for negative times.
Result<TimeValue> time_from_packed(std::int64_t packed, std::uint8_t fsp);

}  // namespace tideway::replication::mysql
