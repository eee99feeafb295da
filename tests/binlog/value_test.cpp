// The canonical text of each Value kind (replication/core/value.h): the contract the
// JSON output and every value comparison rely on.

#include "replication/core/value.h"

#include <catch2/catch.hpp>

namespace tideway::test::binlog {
namespace {

using namespace replication;

}  // namespace

TEST_CASE("Value::to_string gives each kind's canonical text", "[binlog][value]") {
  CHECK(Value().to_string() == "NULL");
  CHECK(Value().is_null());
  CHECK(Value(IntValue{-42}).to_string() == "-42");
  CHECK(Value(UIntValue{18446744073709551615ULL}).to_string() == "18446744073709551615");
  // A float keeps its own shortest text; widening it to double would not.
  CHECK(Value(FloatValue{1.1f}).to_string() == "1.1");
  CHECK(Value(DoubleValue{static_cast<double>(1.1f)}).to_string() == "1.100000023841858");
  CHECK(Value(DoubleValue{0.1}).to_string() == "0.1");
  CHECK(Value(DecimalValue{"-10.550"}).to_string() == "-10.550");
  CHECK(Value(TextValue{"héllo", 255, {}}).to_string() == "héllo");
  CHECK(Value(BytesValue{std::string("\x00\xff", 2)}).to_string() == "0x00ff");
  CHECK(Value(DateValue{0, 0, 0}).to_string() == "0000-00-00");
  CHECK(Value(DateValue{2016, 0, 28}).to_string() == "2016-00-28");
  CHECK(Value(TimeValue{true, 838, 59, 59, 0, 0}).to_string() == "-838:59:59");
  CHECK(Value(TimeValue{false, 1, 2, 3, 120000, 2}).to_string() == "01:02:03.12");
  CHECK(Value(TimeValue{false, 1, 2, 3, 123456, 6}).to_string() == "01:02:03.123456");
  CHECK(Value(DateTimeValue{0, 0, 0, 0, 0, 0, 0, 0}).to_string() == "0000-00-00 00:00:00");
  CHECK(Value(DateTimeValue{2018, 10, 30, 18, 2, 9, 500000, 1}).to_string() ==
        "2018-10-30 18:02:09.5");
  CHECK(Value(TimestampValue{1525422719, 0, 0}).to_string() == "2018-05-04T08:31:59Z");
  CHECK(Value(TimestampValue{0, 0, 0}).to_string() == "1970-01-01T00:00:00Z");
  CHECK(Value(TimestampValue{-1, 250000, 3}).to_string() == "1969-12-31T23:59:59.250Z");
  CHECK(Value(JsonValue{"{\"a\": 1}"}).to_string() == "{\"a\": 1}");
  CHECK(Value(BitValue{5, 3}).to_string() == "b'101'");
  CHECK(Value(BitValue{1, 8}).to_string() == "b'00000001'");
  CHECK(Value(EnumValue{2, std::nullopt}).to_string() == "2");
  CHECK(Value(EnumValue{2, "PG"}).to_string() == "PG");
  CHECK(Value(SetValue{5, std::nullopt}).to_string() == "5");
  CHECK(Value(SetValue{5, std::vector<std::string>{"one", "three"}}).to_string() == "one,three");
  CHECK(Value(SetValue{0, std::vector<std::string>{}}).to_string() == "");
  CHECK(Value(EngineValue{"vector", "\x01\x02"}).to_string() == "vector:0x0102");
}

TEST_CASE("Value kinds are distinct and compare by content", "[binlog][value]") {
  CHECK(Value(IntValue{1}).kind() == ValueKind::kInt);
  CHECK(Value(UIntValue{1}).kind() == ValueKind::kUInt);
  CHECK(Value(IntValue{1}) != Value(UIntValue{1}));
  CHECK(Value(FloatValue{1}) != Value(DoubleValue{1}));
  CHECK(Value(TextValue{"a", 45, {}}) != Value(TextValue{"a", 255, {}}));
  CHECK(Value(TextValue{"a", 0, {}}) != Value(BytesValue{"a"}));
  CHECK(Value(DecimalValue{"1.0"}) == Value(DecimalValue{"1.0"}));
  CHECK(std::string(value_kind_name(ValueKind::kDateTime)) == "datetime");
  CHECK(std::string(value_kind_name(Value(EngineValue{}).kind())) == "engine");
  CHECK(Value(NullValue{}).get_if<NullValue>() != nullptr);
  CHECK(Value(NullValue{}).get_if<IntValue>() == nullptr);
}

}  // namespace tideway::test::binlog
