// Column encodings that no fixture row holds (old DATE/TIME, TIMESTAMP2 with a
// fraction, FLOAT, wide BIT, unlabelled ENUM/SET, GEOMETRY), built from the format's
// definition, and the errors for values no server can write.

#include <bit>
#include <catch2/catch.hpp>
#include <cstring>

#include "common/byte_reader.h"
#include "replication/mysql/column_decoder.h"
#include "tests/binlog/fixture_support.h"

namespace tideway::test::binlog {
namespace {

using namespace replication;
using namespace replication::mysql;

ColumnDef column(ColumnType type, std::uint16_t metadata = 0) {
  ColumnDef c;
  c.type = c.real_type = static_cast<std::uint8_t>(type);
  c.metadata = metadata;
  return c;
}

Result<Value> decode(const ColumnDef& c, const std::vector<std::uint8_t>& bytes,
                     bool is_unsigned = false, std::uint32_t collation = 0) {
  ByteReader r(bytes.data(), bytes.size());
  auto v = read_column_value(r, ColumnContext{&c, is_unsigned, collation, false});
  if (v.ok() && !r.at_end()) FAIL("value did not use all of its bytes");
  return v;
}

std::vector<std::uint8_t> le(std::uint64_t v, int n) {
  std::vector<std::uint8_t> out;
  for (int i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  return out;
}

}  // namespace

TEST_CASE("old DATE, TIME and DATETIME images", "[binlog][columns]") {
  // DATE: day | month << 5 | year << 9, 3 bytes LE.
  CHECK(decode(column(ColumnType::kDate), le(28 | (10 << 5) | (2016 << 9), 3))->to_string() ==
        "2016-10-28");
  CHECK(decode(column(ColumnType::kNewDate), le(0, 3))->to_string() == "0000-00-00");
  CHECK(decode(column(ColumnType::kDate), le(0 | (2 << 5) | (2020 << 9), 3))->to_string() ==
        "2020-02-00");
  // TIME: HHMMSS as a signed 24-bit number.
  CHECK(decode(column(ColumnType::kTime), le(123456, 3))->to_string() == "12:34:56");
  CHECK(decode(column(ColumnType::kTime), le(0x1000000 - 8385959, 3))->to_string() == "-838:59:59");
  // DATETIME: YYYYMMDDhhmmss as a number, 8 bytes LE.
  CHECK(decode(column(ColumnType::kDateTime), le(20060214220436ULL, 8))->to_string() ==
        "2006-02-14 22:04:36");
  CHECK(decode(column(ColumnType::kDateTime), le(0, 8))->to_string() == "0000-00-00 00:00:00");
  // Values no server writes are corruption, not dates.
  CHECK_FALSE(decode(column(ColumnType::kDate), le(1 | (13 << 5) | (2016 << 9), 3)).ok());
  CHECK_FALSE(decode(column(ColumnType::kDateTime), le(20061314220436ULL, 8)).ok());
  CHECK_FALSE(decode(column(ColumnType::kTime), le(1060, 3)).ok());  // 00:10:60
}

TEST_CASE("TIMESTAMP and TIMESTAMP2 with a fraction", "[binlog][columns]") {
  CHECK(decode(column(ColumnType::kTimestamp), le(1525422719, 4)).value() ==
        Value(TimestampValue{1525422719, 0, 0}));
  // TIMESTAMP2(3): 4 bytes BE seconds, 2 bytes BE of 1/10000 s.
  const auto ts3 = decode(column(ColumnType::kTimestamp2, 3), {0x5a, 0xec, 0x1a, 0x7f, 0x04, 0xd2});
  REQUIRE(ts3.ok());
  CHECK(*ts3 == Value(TimestampValue{1525422719, 123400, 3}));
  CHECK(ts3->to_string() == "2018-05-04T08:31:59.123Z");
  // TIMESTAMP2(6): 3 fraction bytes of microseconds; 999999 is the largest.
  CHECK(decode(column(ColumnType::kTimestamp2, 6), {0, 0, 0, 1, 0x0f, 0x42, 0x3f})->to_string() ==
        "1970-01-01T00:00:01.999999Z");
  CHECK_FALSE(decode(column(ColumnType::kTimestamp2, 6), {0, 0, 0, 1, 0x0f, 0x42, 0x40}).ok());
  CHECK_FALSE(decode(column(ColumnType::kTimestamp2, 7), {0, 0, 0, 1, 0, 0, 0, 0}).ok());
}

TEST_CASE("YEAR, FLOAT, DOUBLE and integer edges", "[binlog][columns]") {
  CHECK(decode(column(ColumnType::kYear), {106}).value() == Value(IntValue{2006}));
  CHECK(decode(column(ColumnType::kYear), {0}).value() == Value(IntValue{0}));
  const float f = 3.14f;
  CHECK(decode(column(ColumnType::kFloat, 4), le(std::bit_cast<std::uint32_t>(f), 4)).value() ==
        Value(FloatValue{f}));
  CHECK(
      decode(column(ColumnType::kFloat, 4), le(std::bit_cast<std::uint32_t>(f), 4))->to_string() ==
      "3.14");
  const double d = -1e-300;
  CHECK(decode(column(ColumnType::kDouble, 8), le(std::bit_cast<std::uint64_t>(d), 8)).value() ==
        Value(DoubleValue{d}));
  CHECK(decode(column(ColumnType::kInt24), {0x00, 0x00, 0x80}).value() ==
        Value(IntValue{-8388608}));
  CHECK(decode(column(ColumnType::kLongLong), le(0x8000000000000000ULL, 8)).value() ==
        Value(IntValue{INT64_MIN}));
  CHECK_FALSE(decode(column(ColumnType::kLong), {1, 2, 3}).ok());  // truncated
}

TEST_CASE("BIT widths, unlabelled ENUM and SET, strings and GEOMETRY", "[binlog][columns]") {
  // BIT(n) metadata: low byte n % 8, high byte n / 8; value big-endian in (n+7)/8 bytes.
  CHECK(decode(column(ColumnType::kBit, 1), {0x01}).value() == Value(BitValue{1, 1}));
  CHECK(decode(column(ColumnType::kBit, 0x0101), {0x01, 0xff}).value() ==
        Value(BitValue{0x1ff, 9}));
  CHECK(decode(column(ColumnType::kBit, 0x0800), le(~0ULL, 8)).value() ==
        Value(BitValue{~0ULL, 64}));
  CHECK_FALSE(decode(column(ColumnType::kBit, 0x0900), std::vector<std::uint8_t>(9, 0)).ok());

  ColumnDef e = column(ColumnType::kString, 0xf702);  // ENUM, 2-byte index
  e.real_type = static_cast<std::uint8_t>(ColumnType::kEnum);
  CHECK(decode(e, {0x2c, 0x01}).value() == Value(EnumValue{300, std::nullopt}));
  ColumnDef s = column(ColumnType::kString, 0xf808);  // SET of up to 64 members
  s.real_type = static_cast<std::uint8_t>(ColumnType::kSet);
  CHECK(decode(s, le(0x8000000000000001ULL, 8)).value() ==
        Value(SetValue{0x8000000000000001ULL, std::nullopt}));

  // VARCHAR(300 bytes): a 2-byte length; CHAR(10): a 1-byte length.
  CHECK(decode(column(ColumnType::kVarchar, 300), {3, 0, 'a', 'b', 'c'}, false, 45).value() ==
        Value(TextValue{"abc", 45, {}}));
  CHECK(decode(column(ColumnType::kString, 0xfe0a), {2, 'h', 'i'}, false, 63).value() ==
        Value(BytesValue{"hi"}));
  CHECK_FALSE(decode(column(ColumnType::kVarchar, 10), {5, 'a'}).ok());  // length past the end

  // GEOMETRY: 4-byte length, then SRID + WKB, passed on as bytes.
  std::vector<std::uint8_t> geo = le(9, 4);
  geo.insert(geo.end(), {0, 0, 0, 0, 1, 1, 0, 0, 0});
  CHECK(decode(column(ColumnType::kGeometry, 4), geo).value() ==
        Value(BytesValue{std::string("\0\0\0\0\x01\x01\0\0\0", 9)}));
}

}  // namespace tideway::test::binlog
