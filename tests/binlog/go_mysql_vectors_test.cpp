// go-mysql's byte vectors (row_event_test_vectors.json): NEWDECIMAL, DATETIME2 and TIME2
// images, unsigned integers, and TABLE_MAP bodies from MySQL 5.7/8.0 and MariaDB
// 10.4/10.5 with the optional metadata upstream asserted.

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "common/byte_reader.h"
#include "replication/mysql/column_decoder.h"
#include "replication/mysql/decimal.h"
#include "replication/mysql/table_map_event.h"
#include "replication/mysql/temporal.h"
#include "tests/binlog/fixture_support.h"

namespace tideway::test::binlog {
namespace {

using nlohmann::json;
using namespace replication;
using namespace replication::mysql;

const json& vectors() {
  static const json doc =
      json::parse(read_fixture_text("mysql/go-mysql/row_event_test_vectors.json"));
  return doc;
}

TableMapEvent parse_map(const json& test_case) {
  const auto bytes = from_hex(test_case["hex"]);
  ByteReader r(bytes.data(), bytes.size());
  const std::string flavor = test_case["flavor"];
  auto map = parse_table_map(
      r, 8, flavor.find("mariadb") != std::string::npos ? Flavor::kMariadb : Flavor::kMysql);
  if (!map.ok()) FAIL(map.error().message);
  return *map;
}

std::map<std::string, json> by_index(const json& object) {
  std::map<std::string, json> out;
  for (auto it = object.begin(); it != object.end(); ++it) out[it.key()] = it.value();
  return out;
}

bool enum_or_set(const ColumnDef& c) {
  return c.column_type() == ColumnType::kEnum || c.column_type() == ColumnType::kSet;
}

}  // namespace

TEST_CASE("NEWDECIMAL images by precision and scale", "[binlog][vectors]") {
  const auto& list = vectors()["newdecimal_by_precision_scale"]["vectors"];
  REQUIRE(list.size() == 187);
  for (const auto& v : list) {
    INFO(v.dump());
    const auto bytes = from_hex(v["hex"]);
    ByteReader r(bytes.data(), bytes.size());
    auto text = read_decimal(r, v["precision"].get<int>(), v["scale"].get<int>());
    REQUIRE(text.ok());
    CHECK(*text == v["expected"].get<std::string>());
    CHECK(r.position() == v["consumed_bytes"].get<std::size_t>());
    CHECK(decimal_binary_size(v["precision"].get<int>(), v["scale"].get<int>()) == r.position());
  }
}

TEST_CASE("NEWDECIMAL images by TABLE_MAP metadata", "[binlog][vectors]") {
  const auto& list = vectors()["newdecimal_by_meta"]["vectors"];
  REQUIRE(list.size() == 12);
  for (const auto& v : list) {
    INFO(v.dump());
    const auto bytes = from_hex(v["hex"]);
    ColumnDef c;
    c.type = c.real_type = static_cast<std::uint8_t>(ColumnType::kNewDecimal);
    c.metadata = v["meta"].get<std::uint16_t>();
    CHECK(c.precision() == v["precision"].get<int>());
    CHECK(c.scale() == v["scale"].get<int>());
    ByteReader r(bytes.data(), bytes.size());
    auto value = read_column_value(r, ColumnContext{&c, false, 0, false});
    REQUIRE(value.ok());
    CHECK(*value == Value(DecimalValue{v["expected"]}));
    CHECK(r.at_end());
  }
}

TEST_CASE("DATETIME2 images with fsp 0-6, zero and partial-zero dates", "[binlog][vectors]") {
  const auto& list = vectors()["datetime2"]["vectors"];
  REQUIRE(list.size() == 11);
  for (const auto& v : list) {
    INFO(v.dump());
    const auto bytes = from_hex(v["hex"]);
    ByteReader r(bytes.data(), bytes.size());
    auto dt = read_datetime2(r, v["fsp"].get<std::uint8_t>());
    REQUIRE(dt.ok());
    CHECK(Value(*dt).to_string() == v["expected"].get<std::string>());
    CHECK(r.at_end());
  }
}

TEST_CASE("TIME2 images with fsp 0-6 and negative values", "[binlog][vectors]") {
  const auto& list = vectors()["time2"]["vectors"];
  REQUIRE(list.size() == 15);
  for (const auto& v : list) {
    INFO(v.dump());
    const auto bytes = from_hex(v["hex"]);
    ByteReader r(bytes.data(), bytes.size());
    auto t = read_time2(r, v["fsp"].get<std::uint8_t>());
    REQUIRE(t.ok());
    CHECK(Value(*t).to_string() == v["expected"].get<std::string>());
    CHECK(r.at_end());
  }
}

TEST_CASE("integer images decoded as UNSIGNED (and as signed without the flag)",
          "[binlog][vectors]") {
  const std::map<std::string, ColumnType> types = {{"TINY", ColumnType::kTiny},
                                                   {"SHORT", ColumnType::kShort},
                                                   {"INT24", ColumnType::kInt24},
                                                   {"LONG", ColumnType::kLong},
                                                   {"LONGLONG", ColumnType::kLongLong}};
  const auto& list = vectors()["unsigned_integers"]["vectors"];
  REQUIRE(list.size() == 25);
  for (const auto& v : list) {
    INFO(v.dump());
    ColumnDef c;
    c.type = c.real_type = static_cast<std::uint8_t>(types.at(v["type"]));
    const auto bytes = from_hex(v["hex"]);
    const std::uint64_t expected = v["unsigned_expected"].get<std::uint64_t>();

    ByteReader u(bytes.data(), bytes.size());
    auto as_unsigned = read_column_value(u, ColumnContext{&c, true, 0, false});
    REQUIRE(as_unsigned.ok());
    CHECK(*as_unsigned == Value(UIntValue{expected}));
    CHECK(u.at_end());

    // The same bytes without SIGNEDNESS: two's complement of the column's width.
    ByteReader s(bytes.data(), bytes.size());
    auto as_signed = read_column_value(s, ColumnContext{&c, false, 0, false});
    REQUIRE(as_signed.ok());
    const unsigned bits = static_cast<unsigned>(bytes.size() * 8);
    const std::int64_t signed_expected =
        bits == 64 ? static_cast<std::int64_t>(expected)
        : (expected >> (bits - 1)) != 0
            ? static_cast<std::int64_t>(expected) - (std::int64_t{1} << bits)
            : static_cast<std::int64_t>(expected);
    CHECK(*as_signed == Value(IntValue{signed_expected}));
  }
}

TEST_CASE("TABLE_MAP bodies: nullability", "[binlog][vectors]") {
  for (const auto& test_case : vectors()["table_map_events"]["tests"]["nullable"]["cases"]) {
    INFO(test_case["flavor"]);
    const TableMapEvent map = parse_map(test_case);
    std::vector<bool> nullable;
    for (const auto& c : map.columns) nullable.push_back(c.nullable);
    CHECK(nullable == test_case["expected"]["nullable"].get<std::vector<bool>>());
  }
}

TEST_CASE("TABLE_MAP bodies: column names and ENUM/SET values", "[binlog][vectors]") {
  for (const auto& test_case : vectors()["table_map_events"]["tests"]["opt_meta_names"]["cases"]) {
    INFO(test_case["flavor"]);
    const TableMapEvent map = parse_map(test_case);
    REQUIRE(map.columns.size() == 42);
    const json& want = test_case["expected"];
    if (want["column_names"].is_null()) {
      for (const auto& c : map.columns) CHECK_FALSE(c.name.has_value());
    } else {
      std::vector<std::string> names;
      for (const auto& c : map.columns) names.push_back(c.name.value_or("<none>"));
      CHECK(names == want["column_names"].get<std::vector<std::string>>());
    }
    std::vector<std::vector<std::string>> enums;
    std::vector<std::vector<std::string>> sets;
    for (const auto& c : map.columns) {
      if (c.enum_values) enums.push_back(*c.enum_values);
      if (c.set_values) sets.push_back(*c.set_values);
    }
    if (want["enum_str_values"].is_null()) {
      CHECK(enums.empty());
    } else {
      CHECK(enums == want["enum_str_values"].get<std::vector<std::vector<std::string>>>());
    }
    if (want["set_str_values"].is_null()) {
      CHECK(sets.empty());
    } else {
      CHECK(sets == want["set_str_values"].get<std::vector<std::vector<std::string>>>());
    }
  }
}

TEST_CASE("TABLE_MAP bodies: primary key with prefixes", "[binlog][vectors]") {
  for (const auto& test_case :
       vectors()["table_map_events"]["tests"]["opt_meta_primary_key"]["cases"]) {
    INFO(test_case["flavor"]);
    const TableMapEvent map = parse_map(test_case);
    const json& want = test_case["expected"];
    if (want["primary_key"].is_null()) {
      CHECK_FALSE(map.primary_key.has_value());
      continue;
    }
    REQUIRE(map.primary_key.has_value());
    std::vector<std::uint32_t> columns;
    std::vector<std::uint32_t> prefixes;
    for (const auto& [index, prefix] : *map.primary_key) {
      columns.push_back(index);
      prefixes.push_back(prefix);
    }
    CHECK(columns == want["primary_key"].get<std::vector<std::uint32_t>>());
    CHECK(prefixes == want["primary_key_prefix"].get<std::vector<std::uint32_t>>());
  }
}

TEST_CASE("TABLE_MAP bodies: column visibility", "[binlog][vectors]") {
  for (const auto& test_case :
       vectors()["table_map_events"]["tests"]["opt_meta_visibility"]["cases"]) {
    INFO(test_case["flavor"]);
    const TableMapEvent map = parse_map(test_case);
    const json& want = test_case["expected"]["visible"];
    if (want.is_null()) {
      for (const auto& c : map.columns) CHECK_FALSE(c.visible.has_value());
      continue;
    }
    std::vector<bool> visible;
    for (const auto& c : map.columns) {
      REQUIRE(c.visible.has_value());
      visible.push_back(*c.visible);
    }
    CHECK(visible == want.get<std::vector<bool>>());
  }
}

TEST_CASE("TABLE_MAP bodies: signedness, collations and geometry types", "[binlog][vectors]") {
  const auto& cases = vectors()["table_map_events"]["tests"]["opt_meta_helper_maps"]["cases"];
  REQUIRE(cases.size() == 4);
  for (const auto& test_case : cases) {
    INFO(test_case["flavor"]);
    const TableMapEvent map = parse_map(test_case);
    REQUIRE(map.columns.size() == 51);
    const json& want = test_case["expected"];

    std::map<std::string, json> is_unsigned, collation, enum_set_collation, geometry;
    std::map<std::string, json> enum_values, set_values;
    for (std::size_t i = 0; i < map.columns.size(); ++i) {
      const ColumnDef& c = map.columns[i];
      const std::string key = std::to_string(i);
      if (c.is_unsigned) is_unsigned[key] = *c.is_unsigned;
      if (c.collation_id) (enum_or_set(c) ? enum_set_collation : collation)[key] = *c.collation_id;
      if (c.geometry_type) geometry[key] = *c.geometry_type;
      if (c.enum_values) enum_values[key] = *c.enum_values;
      if (c.set_values) set_values[key] = *c.set_values;
    }
    auto expect = [&](const char* name, const std::map<std::string, json>& got) {
      INFO(name);
      if (want[name].is_null()) {
        CHECK(got.empty());
      } else {
        CHECK(json(got) == json(by_index(want[name])));
      }
    };
    expect("unsigned", is_unsigned);
    expect("collation", collation);
    expect("enum_set_collation", enum_set_collation);
    expect("geometry_type", geometry);
    expect("enum_str_values", enum_values);
    expect("set_str_values", set_values);
  }
}

}  // namespace tideway::test::binlog
