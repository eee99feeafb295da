// MySQL GTID sets (replication/mysql/gtid_set.h): the text form as servers print it, the
// canonical form, set operations, the binary SID block of COM_BINLOG_DUMP_GTID (checked
// byte for byte against an example worked out by hand from the protocol description),
// PREVIOUS_GTIDS events of real MySQL binlogs, and positions that carry a set.

#include "replication/mysql/gtid_set.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "replication/mysql/binlog_client.h"
#include "replication/mysql/gtid_events.h"
#include "replication/mysql/my_position.h"
#include "tests/binlog/fixture_support.h"

namespace tideway::test::binlog {
namespace {

using namespace replication::mysql;

constexpr const char* kA = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
constexpr const char* kB = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";

GtidUuid uuid(const char* text) {
  auto u = parse_gtid_uuid(text);
  REQUIRE(u.ok());
  return *u;
}

GtidSet set_of(const std::string& text) {
  auto s = GtidSet::parse(text);
  INFO(text);
  REQUIRE(s.ok());
  return *s;
}

std::string parse_error(const std::string& text) {
  auto s = GtidSet::parse(text);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == ErrorCode::kInvalidArgument);
  return s.error().message;
}

/// Bytes from hex written with spaces and line breaks for reading.
std::vector<std::uint8_t> hex(const std::string& text) {
  std::string digits;
  for (char c : text) {
    if (c != ' ' && c != '\n') digits += c;
  }
  return from_hex(digits);
}

}  // namespace

TEST_CASE("GTID set text: the server's form parses to the canonical form") {
  // As @@gtid_executed prints it: newline after each ',', upper case allowed.
  const GtidSet s =
      set_of(std::string(kA) + ":1-5:11-18,\n" + "0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9:7");
  CHECK(s.text() == std::string(kB) + ":7," + kA + ":1-5:11-18");  // sorted by UUID
  CHECK(s.uuid_count() == 2);
  // The canonical text parses to itself.
  CHECK(set_of(s.text()).text() == s.text());
  CHECK(set_of(s.text()) == s);

  // Unsorted, overlapping and adjacent intervals, a UUID given twice, spaces anywhere.
  const GtidSet messy =
      set_of(std::string(" ") + kA + " : 11-18 : 3 : 1-2 : 4-5 , " + kA + ":17-20:30\n");
  CHECK(messy.text() == std::string(kA) + ":1-5:11-20:30");
  const auto iv = messy.intervals(uuid(kA));
  REQUIRE(iv.size() == 3);
  CHECK(iv[0] == GtidSet::Interval{1, 6});
  CHECK(iv[1] == GtidSet::Interval{11, 21});
  CHECK(iv[2] == GtidSet::Interval{30, 31});

  // The empty set: "" as a server with no GTIDs prints it, or only whitespace.
  CHECK(set_of("").empty());
  CHECK(set_of(" \n").text().empty());

  // The largest transaction number (2^63 - 2).
  CHECK(set_of(std::string(kA) + ":9223372036854775806").text() ==
        std::string(kA) + ":9223372036854775806");
}

TEST_CASE("GTID set text: errors name the bad part and its offset") {
  std::string m = parse_error("3e11fa47-71ca-11e1-9e33:1-5");
  CHECK(m.find("'3e11fa47-71ca-11e1-9e33' is not a server UUID") != std::string::npos);
  CHECK(m.find("offset 0") != std::string::npos);

  m = parse_error(std::string(kA) + ":1-5,");
  CHECK(m.find("a ',' must be followed by another UUID at offset 41") != std::string::npos);

  m = parse_error(std::string(kA) + ":5-3");
  CHECK(m.find("interval 5-3 is not within 1-9223372036854775806 in ascending order at offset "
               "37") != std::string::npos);
  m = parse_error(std::string(kA) + ":0");
  CHECK(m.find("interval 0-0") != std::string::npos);
  m = parse_error(std::string(kA) + ":9223372036854775807");
  CHECK(m.find("interval 9223372036854775807-9223372036854775807") != std::string::npos);
  m = parse_error(std::string(kA) + ":99999999999999999999");
  CHECK(m.find("transaction number out of range at offset 37") != std::string::npos);

  m = parse_error(kA);
  CHECK(m.find("expected ':' and a transaction interval after the UUID at offset 36") !=
        std::string::npos);
  m = parse_error(std::string(kA) + ":1-");
  CHECK(m.find("expected a transaction number at offset 39 (the end)") != std::string::npos);
  m = parse_error(std::string(kA) + ":1;" + kB + ":2");
  CHECK(m.find("expected ',' or ':' at offset 38 (at ';0a1b2c3d") != std::string::npos);

  // MySQL 8.4 tagged GTIDs are refused, saying so.
  m = parse_error(std::string(kA) + ":mytag:1-5");
  CHECK(m.find("tagged GTIDs (uuid:tag:interval, MySQL 8.4+) are not supported") !=
        std::string::npos);
  CHECK(m.find("offset 37") != std::string::npos);
}

TEST_CASE("GTID set add, contains and union") {
  GtidSet s;
  const GtidUuid a = uuid(kA);
  const GtidUuid b = uuid(kB);
  for (std::uint64_t g = 1; g <= 1000; ++g) REQUIRE(s.add(a, g).ok());  // the usual case
  CHECK(s.text() == std::string(kA) + ":1-1000");
  REQUIRE(s.intervals(a).size() == 1);

  REQUIRE(s.add(a, 1002).ok());  // a gap
  CHECK(s.text() == std::string(kA) + ":1-1000:1002");
  REQUIRE(s.add(a, 1001).ok());  // fills it: the two intervals merge
  CHECK(s.text() == std::string(kA) + ":1-1002");
  REQUIRE(s.add(a, 500).ok());  // already there: no change
  CHECK(s.text() == std::string(kA) + ":1-1002");
  REQUIRE(s.add(b, 3).ok());
  REQUIRE(s.add(b, 1).ok());  // before the only interval
  CHECK(s.text() == std::string(kB) + ":1:3," + kA + ":1-1002");

  CHECK(s.contains(a, 1));
  CHECK(s.contains(a, 1002));
  CHECK_FALSE(s.contains(a, 1003));
  CHECK_FALSE(s.contains(a, 0));
  CHECK(s.contains(b, 3));
  CHECK_FALSE(s.contains(b, 2));
  CHECK_FALSE(s.contains(uuid("11111111-1111-1111-1111-111111111111"), 1));

  auto bad = s.add(a, 0);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.message().find("outside 1-9223372036854775806") != std::string::npos);

  // Subsets.
  CHECK(s.contains(set_of(std::string(kA) + ":5-10:1000-1002")));
  CHECK(s.contains(set_of("")));
  CHECK(s.contains(s));
  CHECK_FALSE(s.contains(set_of(std::string(kA) + ":1000-1003")));
  CHECK_FALSE(s.contains(set_of(std::string(kB) + ":1-3")));
  CHECK_FALSE(set_of("").contains(s));

  // Union, in place.
  GtidSet u = set_of(std::string(kB) + ":2:10-12");
  u.add(s);
  CHECK(u.text() == std::string(kB) + ":1-3:10-12," + kA + ":1-1002");
  CHECK(u.contains(s));
}

TEST_CASE("GTID set binary form matches COM_BINLOG_DUMP_GTID's SID block byte for byte") {
  const GtidSet s = set_of(std::string(kA) + ":1-5:11-18," + kB + ":7");
  // Worked out by hand: n_sids, then per sid in UUID order its 16 bytes, n_intervals and
  // [start, end) pairs, every integer 8 bytes little-endian.
  const auto expected = hex(R"(
      02 00 00 00 00 00 00 00
      0a 1b 2c 3d 4e 5f 60 71 82 93 a4 b5 c6 d7 e8 f9
      01 00 00 00 00 00 00 00
      07 00 00 00 00 00 00 00  08 00 00 00 00 00 00 00
      3e 11 fa 47 71 ca 11 e1 9e 33 c8 0a a9 42 95 62
      02 00 00 00 00 00 00 00
      01 00 00 00 00 00 00 00  06 00 00 00 00 00 00 00
      0b 00 00 00 00 00 00 00  13 00 00 00 00 00 00 00)");
  REQUIRE(expected.size() == 104);
  CHECK(s.encode() == expected);

  // The whole command argument for server id 0x80010203: flags BINLOG_THROUGH_GTID, the
  // id, no file name, position 4, the block's size (104 = 0x68), the block.
  auto packet = hex(R"(
      04 00
      03 02 01 80
      00 00 00 00
      04 00 00 00 00 00 00 00
      68 00 00 00)");
  packet.insert(packet.end(), expected.begin(), expected.end());
  CHECK(binlog_dump_gtid_packet(0x80010203U, s) == packet);

  // The empty set: just n_sids = 0.
  CHECK(GtidSet().encode() == hex("00 00 00 00 00 00 00 00"));

  // And back.
  ByteReader r(expected);
  auto decoded = GtidSet::decode(r);
  REQUIRE(decoded.ok());
  CHECK(*decoded == s);
  CHECK(r.at_end());
}

TEST_CASE("GTID set binary form: a corrupt block is an error naming the byte") {
  // Claims 2 sids with room for none.
  auto too_many = hex("02 00 00 00 00 00 00 00  00 00 00 00");
  ByteReader r1(too_many);
  auto e1 = GtidSet::decode(r1);
  REQUIRE_FALSE(e1.ok());
  CHECK(e1.error().message.find("2 sids cannot fit in the 4 bytes left at byte 8") !=
        std::string::npos);
  // An empty interval [5, 5).
  auto empty_interval = hex(R"(
      01 00 00 00 00 00 00 00
      3e 11 fa 47 71 ca 11 e1 9e 33 c8 0a a9 42 95 62
      01 00 00 00 00 00 00 00
      05 00 00 00 00 00 00 00  05 00 00 00 00 00 00 00)");
  ByteReader r2(empty_interval);
  auto e2 = GtidSet::decode(r2);
  REQUIRE_FALSE(e2.ok());
  CHECK(e2.error().message.find("interval [5, 5) of " + std::string(kA) +
                                " is empty or out of range at byte 32") != std::string::npos);
  // Truncated in the middle of an interval.
  auto truncated = hex(R"(
      01 00 00 00 00 00 00 00
      3e 11 fa 47 71 ca 11 e1 9e 33 c8 0a a9 42 95 62
      01 00 00 00 00 00 00 00
      05 00 00 00)");
  ByteReader r3(truncated);
  auto e3 = GtidSet::decode(r3);
  REQUIRE_FALSE(e3.ok());
  CHECK(e3.error().message.find("1 intervals cannot fit in the 4 bytes left") != std::string::npos);
}

TEST_CASE("PREVIOUS_GTIDS of real MySQL binlogs as GTID sets") {
  // MySQL 8.0.40: upstream asserts one untagged entry, b9b88c66-..., interval [1, 3).
  auto file =
      decode_fixture("mysql/rust_mysql_common/binlog_transaction_previous_GTID_no_tag.000001");
  REQUIRE_FALSE(file.error.has_value());
  auto prev = events_of_type(file, "PREVIOUS_GTIDS");
  REQUIRE(prev.size() == 1);
  auto set = GtidSet::from_previous_gtids(*prev[0]->get_if<PreviousGtidsEvent>());
  REQUIRE(set.ok());
  CHECK(set->text() == "b9b88c66-0755-11f1-9899-4a9da94c4d71:1-2");

  // MySQL 9.6.0 with tagged GTIDs: refused, saying why.
  auto tagged = decode_fixture("mysql/rust_mysql_common/binlog_transaction_with_GTID_TAG.000001");
  REQUIRE_FALSE(tagged.error.has_value());
  auto tprev = events_of_type(tagged, "PREVIOUS_GTIDS");
  REQUIRE(tprev.size() == 1);
  auto refused = GtidSet::from_previous_gtids(*tprev[0]->get_if<PreviousGtidsEvent>());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("tagged GTIDs") != std::string::npos);
  CHECK(refused.error().message.find("55778904-0299-11f1-b1b8-4ef0c4956feb") != std::string::npos);
}

TEST_CASE("Positions carry MySQL GTID sets through their text form") {
  const std::string set = std::string(kB) + ":7," + kA + ":1-5:11-18";
  auto p = BinlogPosition::parse("binlog.000012:4711;gtid=" + set);
  REQUIRE(p.has_value());
  CHECK(p->file == "binlog.000012");
  CHECK(p->offset == 4711);
  CHECK(p->mysql_gtid_set);
  CHECK(p->gtid == set);
  CHECK(p->to_string() == "binlog.000012:4711;gtid=" + set);
  CHECK(BinlogPosition::parse(p->to_string())->gtid == set);

  // The server's own spelling is stored canonical.
  auto raw = BinlogPosition::parse("binlog.000012:4711;gtid=" + std::string(kA) +
                                   ":11-18:1-5,\n0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9:7");
  REQUIRE(raw.has_value());
  CHECK(raw->gtid == set);

  // gtid_mode=ON with nothing executed yet: the empty set survives the round trip.
  auto empty = BinlogPosition::parse("binlog.000001:157;gtid=");
  REQUIRE(empty.has_value());
  CHECK(empty->mysql_gtid_set);
  CHECK(empty->gtid.empty());
  CHECK(empty->to_string() == "binlog.000001:157;gtid=");

  // MariaDB lists stay what they were.
  auto maria = BinlogPosition::parse("mariadb-bin.000004:1563;gtid=0-1-90,1-2-7");
  REQUIRE(maria.has_value());
  CHECK_FALSE(maria->mysql_gtid_set);
  CHECK(maria->to_string() == "mariadb-bin.000004:1563;gtid=0-1-90,1-2-7");
  auto plain = BinlogPosition::parse("mysql-bin.000004:1563");
  REQUIRE(plain.has_value());
  CHECK_FALSE(plain->mysql_gtid_set);
  CHECK(plain->to_string() == "mysql-bin.000004:1563");

  // A set that does not parse makes the position invalid.
  CHECK_FALSE(BinlogPosition::parse("binlog.000012:4711;gtid=" + std::string(kA) + ":tag:1"));
  CHECK_FALSE(BinlogPosition::parse("binlog.000012:4711;gtid=nonsense:1"));
}

TEST_CASE("Positions compare by GTIDs across servers") {
  const auto at = [](const std::string& text) {
    auto p = BinlogPosition::parse(text);
    REQUIRE(p.has_value());
    return *p;
  };
  // Another server's file names and offsets: only the GTIDs say which is further.
  const auto old_source = at("source-bin.000019:9000;gtid=" + std::string(kA) + ":1-100");
  const auto replica = at("replica-bin.000002:400;gtid=" + std::string(kA) + ":1-120," + kB + ":1");
  CHECK(gtid_at_or_after(replica, old_source) == true);
  CHECK(gtid_at_or_after(old_source, replica) == false);
  CHECK(gtid_at_or_after(old_source, old_source) == true);
  CHECK(replica < old_source);  // by file, which is why GTIDs are needed here

  CHECK(gtid_at_or_after(at("b.000001:4;gtid=0-1-10,1-2-5"), at("a.000009:4;gtid=0-1-9")) == true);
  CHECK(gtid_at_or_after(at("b.000001:4;gtid=0-1-10"), at("a.000009:4;gtid=0-1-9,1-2-5")) == false);
  // Different kinds, or no GTIDs: no answer.
  CHECK_FALSE(gtid_at_or_after(old_source, at("a.000009:4;gtid=0-1-9")).has_value());
  CHECK_FALSE(gtid_at_or_after(at("a.000009:4"), at("a.000009:5")).has_value());
}

}  // namespace tideway::test::binlog
