// The JSON form of decoded events (`tideway binlog decode FILE...`): every fixture
// renders to serializable JSON, fields carry the decoded values, and a broken file ends
// in an Error naming the file and offset after the events before it were emitted.

#include "replication/mysql/binlog_event_json.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/binlog/fixture_support.h"

namespace tideway::test::binlog {
namespace {

using nlohmann::json;
using namespace replication;
using namespace replication::mysql;

std::vector<json> decode_to_json(const std::string& relative, Status& status) {
  std::vector<json> out;
  status = decode_binlog_file(fixture_path(relative), [&](const json& j) { out.push_back(j); });
  return out;
}

}  // namespace

TEST_CASE("every fixture renders to JSON that serializes", "[binlog][json-output]") {
  std::size_t events = 0;
  for (const auto& file : all_binlog_fixtures()) {
    if (file.ends_with(".gz")) continue;  // the command reads plain binlogs
    INFO(file);
    Status status;
    const auto out = decode_to_json(file, status);
    CHECK(status.ok() == !decode_fixture(file).error.has_value());
    for (const auto& j : out) {
      // nlohmann refuses invalid UTF-8: non-UTF-8 text must have gone to a *_hex field.
      CHECK_NOTHROW(j.dump());
      CHECK(j.at("next_offset").get<std::uint64_t>() ==
            j.at("offset").get<std::uint64_t>() + j.at("event_size").get<std::uint64_t>());
      ++events;
    }
  }
  CHECK(events > 2000);
}

TEST_CASE("event JSON carries header, GTID and typed row values", "[binlog][json-output]") {
  Status status;
  const auto out =
      decode_to_json("mysql/mysql-binlog-connector-java/mysql-bin.checksum-crc32", status);
  REQUIRE(status.ok());
  REQUIRE(out.size() == 303);
  CHECK(out[0]["type"] == "FORMAT_DESCRIPTION");
  CHECK(out[0]["server_version"] == "5.7.21-log");
  CHECK(out[0]["checksum"] == "crc32");
  CHECK(out[1]["type"] == "PREVIOUS_GTIDS");
  CHECK(out[1]["ignorable"] == true);
  CHECK(out[2]["type"] == "ANONYMOUS_GTID");
  CHECK(out[2]["gtid"] == "ANONYMOUS");

  // mysqlbinlog: "# at 384 ... Write_rows: table id 215 flags: STMT_END_F",
  //   @1=12300113  @2='test2'  @5=1525422719 (TIMESTAMP(0))  @9=0 (TINYINT)
  const json& rows = out[5];
  CHECK(rows["type"] == "WRITE_ROWS_V2");
  CHECK(rows["offset"] == 384);
  CHECK(rows["next_offset"] == 486);
  CHECK(rows["log_pos"] == 486);
  CHECK(rows["schema"] == "simu_file_dev");
  CHECK(rows["table"] == "folder");
  const json& after = rows["rows"][0]["after"];
  CHECK(after[0] == json({{"type", "int"}, {"value", 12300113}}));
  CHECK(after[1] == json({{"type", "text"}, {"value", "test2"}}));
  CHECK(after[4] == json({{"type", "timestamp"}, {"value", "2018-05-04T08:31:59Z"}}));
  CHECK(after[8] == json({{"type", "int"}, {"value", 0}}));
  CHECK(out[6]["type"] == "XID");
  CHECK(out[6]["xid"] == 1012);
}

TEST_CASE("value JSON keeps kinds apart", "[binlog][json-output]") {
  CHECK(value_to_json(FloatValue{1.1f}).dump() == R"({"type":"float","value":1.1})");
  CHECK(value_to_json(UIntValue{18446744073709551615ULL}).dump() ==
        R"({"type":"uint","value":18446744073709551615})");
  CHECK(value_to_json(DecimalValue{"-0.10"}).dump() == R"({"type":"decimal","value":"-0.10"})");
  CHECK(value_to_json(TextValue{"\xff", 8, {}}).dump() ==
        R"({"collation":8,"type":"text","value_hex":"0xff"})");
  CHECK(value_to_json(EnumValue{2, "b"}).dump() == R"({"label":"b","type":"enum","value":2})");
  CHECK(value_to_json(Value()).dump() == R"({"type":"null","value":null})");
}

TEST_CASE("a broken file ends in an Error naming the file and offset", "[binlog][json-output]") {
  Status status;
  const auto out = decode_to_json("mysql/rust_mysql_common/corrupt-relay-bin.000624", status);
  REQUIRE_FALSE(status.ok());
  CHECK_THAT(status.message(),
             Catch::Contains("corrupt-relay-bin.000624: offset 91204: QUERY event"));
  REQUIRE_FALSE(out.empty());
  CHECK(out.back()["next_offset"] == 91204);

  Status missing = decode_binlog_file(fixture_path("no-such-binlog.000001"), [](const json&) {});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kIo);
  Status not_binlog = decode_binlog_file(fixture_path("SOURCES.md"), [](const json&) {});
  REQUIRE_FALSE(not_binlog.ok());
  CHECK_THAT(not_binlog.message(), Catch::Contains("not a binlog file"));
}

}  // namespace tideway::test::binlog
