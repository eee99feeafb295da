// JSON columns: the binary documents of json.binlog.000001 checked against the
// generated columns MySQL computed from them in the same rows (name = json->>'$.name',
// age = json->'$.age'), partial JSON updates against the new generated value, and the
// renderer on documents built from the binary format's definition.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "replication/mysql/binlog_event.h"
#include "replication/mysql/json_binary.h"
#include "tests/binlog/fixture_support.h"

namespace tideway::test::binlog {
namespace {

using nlohmann::json;
using namespace replication;
using namespace replication::mysql;

std::string text_of(const std::optional<Value>& v) {
  REQUIRE(v.has_value());
  const auto* t = v->get_if<TextValue>();
  REQUIRE(t != nullptr);
  return t->bytes;
}

std::int64_t int_of(const std::optional<Value>& v) {
  REQUIRE(v.has_value());
  const auto* i = v->get_if<IntValue>();
  REQUIRE(i != nullptr);
  return i->value;
}

// A document: type byte + value bytes.
std::string render(std::initializer_list<int> bytes) {
  std::vector<std::uint8_t> doc;
  for (int b : bytes) doc.push_back(static_cast<std::uint8_t>(b));
  auto text = json_binary_to_text(doc);
  if (!text.ok()) return "ERROR: " + text.error().message;
  return *text;
}

}  // namespace

TEST_CASE("json.binlog.000001: documents agree with MySQL's generated columns", "[binlog][json]") {
  const DecodedFile file = decode_fixture("mysql/rust_mysql_common/json.binlog.000001");
  REQUIRE_FALSE(file.error.has_value());
  const auto ddl = events_of_type(file, "QUERY");
  REQUIRE(ddl.size() >= 2);
  CHECK_THAT(ddl[1]->get_if<QueryEvent>()->query,
             Catch::Contains("name VARCHAR(100) AS (json_col->>'$.name')") &&
                 Catch::Contains("age INT AS (json_col->'$.age')"));

  std::size_t documents = 0;
  std::size_t diffs = 0;
  for (const auto& ev : file.events) {
    const auto* rows = ev.get_if<RowsEvent>();
    if (rows == nullptr) continue;
    for (const auto& change : rows->rows) {
      for (const auto* image :
           {change.before ? &*change.before : nullptr, change.after ? &*change.after : nullptr}) {
        if (image == nullptr || !image->columns[1]) continue;
        const Value& doc = *image->columns[1];
        if (const auto* j = doc.get_if<JsonValue>()) {
          const json parsed = json::parse(j->text);
          CHECK(parsed["name"] == text_of(image->columns[2]));
          CHECK(parsed["age"] == int_of(image->columns[3]));
          // MySQL's own spacing, and its key order (by length, then bytes).
          CHECK(parsed.dump() == json::parse(j->text).dump());
          CHECK(j->text.starts_with("{\"age\": "));
          ++documents;
        } else {
          // PARTIAL_UPDATE_ROWS: a list of diffs, here JSON_REPLACE of $.age.
          const auto* e = doc.get_if<EngineValue>();
          REQUIRE(e != nullptr);
          CHECK(e->type_name == "mysql_json_diff");
          const json list = json::parse(e->bytes);
          REQUIRE(list.size() == 1);
          CHECK(list[0]["op"] == "replace");
          CHECK(list[0]["path"] == "$.age");
          CHECK(list[0]["value"] == int_of(image->columns[3]));
          ++diffs;
        }
      }
    }
  }
  CHECK(documents > 10);
  CHECK(diffs == 6);
}

TEST_CASE("binary JSON scalars and containers render as MySQL prints them", "[binlog][json]") {
  CHECK(render({0x04, 0x00}) == "null");
  CHECK(render({0x04, 0x01}) == "true");
  CHECK(render({0x04, 0x02}) == "false");
  CHECK(render({0x05, 0xff, 0xff}) == "-1");                       // int16
  CHECK(render({0x06, 0xff, 0xff}) == "65535");                    // uint16
  CHECK(render({0x07, 0x00, 0x00, 0x00, 0x80}) == "-2147483648");  // int32
  CHECK(render({0x08, 0xff, 0xff, 0xff, 0xff}) == "4294967295");   // uint32
  CHECK(render({0x09, 0, 0, 0, 0, 0, 0, 0, 0x80}) == "-9223372036854775808");
  CHECK(render({0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) == "18446744073709551615");
  CHECK(render({0x0b, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f}) == "1.5");
  CHECK(render({0x0b, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}) == "1.0");  // integral doubles keep ".0"
  CHECK(render({0x0c, 0x05, 'a', '"', '\\', '\n', 0x01}) == R"("a\"\\\n\u0001")");
  // Object {"a": 1, "bb": [true]}: count 2, size, key entries, value entries, keys, value.
  CHECK(render({0x00, 0x02, 0x00, 0x1c, 0x00, 0x12, 0x00, 0x01, 0x00,  // key "a" at 18
                0x13, 0x00, 0x02, 0x00,                                // key "bb" at 19
                0x05, 0x01, 0x00,                                      // int16 1, inlined
                0x02, 0x15, 0x00,                                      // small array at 21
                'a',  'b',  'b',  0x01, 0x00, 0x07, 0x00, 0x04, 0x01, 0x00}) ==
        R"({"a": 1, "bb": [true]})");
  // Large array [70000]: 4-byte count/size, int32 inlined in a large container.
  CHECK(render({0x03, 0x01, 0, 0, 0, 0x0d, 0, 0, 0, 0x07, 0x70, 0x11, 0x01, 0x00}) == "[70000]");
  CHECK(render({0x02, 0x00, 0x00, 0x04, 0x00}) == "[]");
  CHECK(render({0x00, 0x00, 0x00, 0x04, 0x00}) == "{}");
  CHECK(json_binary_to_text({}).value() == "null");  // MySQL reads an empty value as null
}

TEST_CASE("doubles follow my_gcvt's choice of notation", "[binlog][json]") {
  CHECK(json_double_text(0.1) == "0.1");
  CHECK(json_double_text(-2.5) == "-2.5");
  CHECK(json_double_text(100.0) == "100.0");
  CHECK(json_double_text(0.0001) == "0.0001");
  CHECK(json_double_text(0.00001) == "1e-5");
  CHECK(json_double_text(1.5e20) == "1.5e20");
  CHECK(json_double_text(123456789012345.0) == "123456789012345.0");
}

TEST_CASE("damaged binary JSON is an Error, not a guess", "[binlog][json]") {
  CHECK(render({0x0c, 0x05, 'a'}).starts_with("ERROR"));  // string past the end
  CHECK(render({0x02, 0x01, 0x00, 0x40, 0x00, 0x04, 0x01}).starts_with("ERROR"));  // size > data
  CHECK(render({0x04, 0x07}).starts_with("ERROR"));  // unknown literal
  CHECK(render({0x0e, 0x00}).starts_with("ERROR"));  // unknown type
  CHECK(render({0x02, 0x01, 0x00, 0x07, 0x00, 0x0c, 0x01, 0x00})
            .starts_with("ERROR"));  // offset in header
}

}  // namespace tideway::test::binlog
