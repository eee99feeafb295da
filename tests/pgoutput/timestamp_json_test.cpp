// PgTimestamp conversions (PostgreSQL epoch to Unix time and ISO-8601 text) and the JSON
// rendering of decoded messages.

#include <catch2/catch.hpp>
#include <limits>

#include "replication/postgres/pgoutput_decoder.h"
#include "replication/postgres/pgoutput_json.h"
#include "tests/pgoutput/fixture_vectors.h"
#include "tests/pgoutput/wire_builder.h"

namespace tideway::replication::postgres {
namespace {

using nlohmann::json;

TEST_CASE("pgoutput: PgTimestamp to Unix time and ISO-8601", "[pgoutput]") {
  struct Case {
    std::int64_t micros;
    const char* iso;
  };
  for (const Case& c : {
           Case{0, "2000-01-01T00:00:00.000000Z"},
           Case{-1, "1999-12-31T23:59:59.999999Z"},
           Case{-946'684'800'000'000, "1970-01-01T00:00:00.000000Z"},
           Case{762'523'200'000'000, "2024-02-29T12:00:00.000000Z"},
           Case{3'160'857'600'000'000, "2100-03-01T00:00:00.000000Z"},  // 2100 is no leap year
           Case{252'455'615'999'999'999, "9999-12-31T23:59:59.999999Z"},
           Case{-63'082'281'600'000'000, "0001-01-01T00:00:00.000000Z"},
       }) {
    INFO(c.micros);
    CHECK(PgTimestamp{c.micros}.to_iso8601() == c.iso);
  }
  CHECK(PgTimestamp{0}.unix_micros() == 946'684'800'000'000);
  CHECK(PgTimestamp{-946'684'800'000'000}.unix_micros() == 0);
  CHECK(PgTimestamp{-1}.unix_micros() == 946'684'799'999'999);
}

TEST_CASE("pgoutput: PgTimestamp sentinels and out-of-range values", "[pgoutput]") {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  CHECK(PgTimestamp{kMax}.to_iso8601() == "infinity");
  CHECK(PgTimestamp{kMin}.to_iso8601() == "-infinity");
  CHECK(PgTimestamp{kMax}.unix_micros() == kMax);  // saturates instead of overflowing
  CHECK(PgTimestamp{kMin}.unix_micros() == kMin + PgTimestamp::kUnixEpochOffsetMicros);
  // Past year 9999 or before year 1 there is no plain ISO-8601 form.
  CHECK(PgTimestamp{252'455'616'000'000'000}.to_iso8601() ==
        "252455616000000000us-since-2000-01-01");
  CHECK(PgTimestamp{-63'082'281'600'000'001}.to_iso8601() ==
        "-63082281600000001us-since-2000-01-01");
}

PgoutputMessage decode_fixture(const std::string& source, const std::string& name) {
  for (const auto& v : test::load_pgoutput_vectors(source)) {
    if (v.name != name) continue;
    auto decoded = decode_pgoutput(v.bytes, DecodeOptions{});
    REQUIRE(decoded.ok());
    return *decoded;
  }
  FAIL("no vector " << name);
  return StreamStopMessage{};
}

TEST_CASE("pgoutput: JSON rendering of decoded vectors", "[pgoutput]") {
  CHECK(to_json(decode_fixture("electric", "begin")) ==
        json{{"type", "Begin"},
             {"type_byte", "B"},
             {"final_lsn", "2/A7F4A880"},
             {"commit_time", "2019-07-18T17:02:35.726322Z"},
             {"xid", 619}});
  CHECK(to_json(decode_fixture("electric", "insert_with_unchanged_toast")) ==
        json{{"type", "Insert"},
             {"type_byte", "I"},
             {"relation_id", 24576},
             {"new_tuple", json::array({json{{"kind", "unchanged_toast"}},
                                        json{{"kind", "text"}, {"value", "560"}}})}});
  CHECK(to_json(decode_fixture("pypgoutput", "relation_test_table")) ==
        json{{"type", "Relation"},
             {"type_byte", "R"},
             {"relation_id", 16385},
             {"namespace", "public"},
             {"relation_name", "test_table"},
             {"replica_identity", "default"},
             {"columns", json::array({json{{"flags", 1},
                                           {"key", true},
                                           {"name", "id"},
                                           {"type_oid", 23},
                                           {"type_modifier", -1}},
                                      json{{"flags", 0},
                                           {"key", false},
                                           {"name", "created"},
                                           {"type_oid", 1184},
                                           {"type_modifier", -1}}})}});
  CHECK(to_json(decode_fixture("electric", "truncate_options_3")) ==
        json{{"type", "Truncate"},
             {"type_byte", "T"},
             {"options", 3},
             {"cascade", true},
             {"restart_identity", true},
             {"relation_ids", json::array({24576})}});
}

TEST_CASE("pgoutput: JSON renders non-UTF-8 bytes as hex and never throws", "[pgoutput]") {
  test::WireBuilder w;
  w.type('I').u32(9).u32(16385).type('N').u16(3);
  w.column('b', std::string_view("\xff\x00\x10", 3));
  w.column('t', "caf\xc3\xa9");  // UTF-8 text stays text
  w.column('t', "caf\xe9");      // LATIN1 text is not UTF-8
  auto decoded = decode_pgoutput(w.span(), DecodeOptions{2, true, false});
  REQUIRE(decoded.ok());
  const json j = to_json(*decoded);
  CHECK(j.at("xid") == 9);
  CHECK(j.at("new_tuple") == json::array({json{{"kind", "binary"}, {"value_hex", "ff0010"}},
                                          json{{"kind", "text"}, {"value", "caf\xc3\xa9"}},
                                          json{{"kind", "text"}, {"value_hex", "636166e9"}}}));
  CHECK_NOTHROW(j.dump());

  test::WireBuilder abort;
  abort.type('A').u32(5).u32(6).u64(0x10).i64(0);
  auto aborted = decode_pgoutput(abort.span(), DecodeOptions{4, false, true});
  REQUIRE(aborted.ok());
  CHECK(to_json(*aborted) == json{{"type", "Stream Abort"},
                                  {"type_byte", "A"},
                                  {"xid", 5},
                                  {"subxid", 6},
                                  {"abort_lsn", "0/10"},
                                  {"abort_time", "2000-01-01T00:00:00.000000Z"}});
}

}  // namespace
}  // namespace tideway::replication::postgres
