// The change builder keeps a MySQL source's executed GTID set: real MySQL binlogs (the
// shared fixtures, read in place) fed through MyChangeBuilder from their PREVIOUS_GTIDS
// set, as a stream started at that point would be. The expected sets were read by hand
// from the fixtures' GTID event bytes (the 16-byte UUID and 8-byte number after the flags
// byte; the MariaDB mysqlbinlog decodes beside them print these events only as "Ignorable
// event type 33"): no fixture series has a next file whose PREVIOUS_GTIDS could serve.
// The source session is needed by the builder only for tables without names in the
// binlog; the filter here replicates none of the fixtures' tables, so it stays unused.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "replication/mysql/gtid_events.h"
#include "replication/mysql/gtid_set.h"
#include "replication/mysql/my_change_builder.h"
#include "replication/mysql/my_connection.h"
#include "tests/binlog/fixture_support.h"
#include "tests/my_stream/my_stream_test_db.h"

using namespace tideway;
using namespace tideway::replication;
using namespace tideway::replication::mysql;

namespace {

struct Tracked {
  std::vector<std::string> begins;   // BeginEvent positions
  std::vector<std::string> commits;  // CommitEvent positions
  BinlogPosition end;                // the builder's position after the last event
};

/// Feeds `fixture` from the event after its PREVIOUS_GTIDS (or from offset `from`, with
/// `start_set` as the set there) through a builder and records the positions it gives.
Tracked track(const std::string& fixture, std::uint64_t from = 0, std::string start_set = "") {
  auto conn = MyConnection::connect(test::sandbox_endpoint(true, "", false));
  REQUIRE(conn.ok());
  StreamSchemaCache cache(**conn);
  auto file = test::binlog::decode_fixture(fixture);
  REQUIRE_FALSE(file.error.has_value());
  const auto prev = test::binlog::events_of_type(file, "PREVIOUS_GTIDS");
  REQUIRE(prev.size() == 1);
  if (from == 0) {
    auto set = GtidSet::from_previous_gtids(*prev[0]->get_if<PreviousGtidsEvent>());
    REQUIRE(set.ok());
    start_set = set->text();
    from = prev[0]->next_offset();
  }
  const std::string name = fixture.substr(fixture.rfind('/') + 1);
  auto start = BinlogPosition::parse(name + ":" + std::to_string(from) + ";gtid=" + start_set);
  REQUIRE(start.has_value());
  REQUIRE(start->mysql_gtid_set);
  TableFilter filter;
  filter.include = {"no_such_database.*"};
  MyChangeBuilder builder(filter, *start, cache);
  Tracked t;
  std::vector<StreamEvent> out;
  for (const auto& event : file.events) {
    if (event.offset < from) continue;
    out.clear();
    Status s = builder.feed(event, out);
    INFO(fixture << " at " << event.offset << " (" << event.type_name() << ")");
    REQUIRE(s.ok());
    for (const auto& e : out) {
      if (const auto* b = std::get_if<BeginEvent>(&e)) t.begins.push_back(b->position);
      if (const auto* c = std::get_if<CommitEvent>(&e)) t.commits.push_back(c->position);
    }
  }
  t.end = builder.position();
  return t;
}

std::string gtid_of(const std::string& position) {
  auto p = BinlogPosition::parse(position);
  REQUIRE(p.has_value());
  REQUIRE(p->mysql_gtid_set);
  return p->gtid;
}

}  // namespace

TEST_CASE("A MySQL 8 binlog's GTIDs are added to the set at each commit (XID and DDL)") {
  // MySQL 8.0.26: empty PREVIOUS_GTIDS, then GTIDs 1-5 of 97c7af02-4c50-11ec-acd8-
  // 681842034964 at offsets 156, 491, 787, 1120, 1438: ALTER USER and CREATE TABLE
  // (statements that commit themselves), then three row transactions ending in XID.
  const std::string uuid = "97c7af02-4c50-11ec-acd8-681842034964";
  const Tracked t = track("mysql/rust_mysql_common/binlog-invisible-columns.000001");
  REQUIRE(t.commits.size() == 5);
  REQUIRE(t.begins.size() == 5);
  CHECK(gtid_of(t.begins[0]).empty());
  for (int k = 1; k <= 5; ++k) {
    INFO("transaction " << k);
    CHECK(gtid_of(t.commits[k - 1]) == uuid + (k == 1 ? ":1" : ":1-" + std::to_string(k)));
    // A transaction starts with the set of those before it.
    if (k > 1) CHECK(gtid_of(t.begins[k - 1]) == gtid_of(t.commits[k - 2]));
  }
  CHECK(t.end.gtid == uuid + ":1-5");
  // The commit positions are the offsets after each transaction's last event.
  CHECK(t.commits[4] == "binlog-invisible-columns.000001:1787;gtid=" + uuid + ":1-5");

  // Started mid-file, as a checkpoint after transaction 3 would be (offset 1120, where
  // GTID 4 begins), with another source's GTIDs in the set too: they are kept.
  const std::string other = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9:1-40";
  const Tracked mid = track("mysql/rust_mysql_common/binlog-invisible-columns.000001", 1120,
                            uuid + ":1-3," + other);
  REQUIRE(mid.commits.size() == 2);
  CHECK(gtid_of(mid.commits[0]) == other + "," + uuid + ":1-4");
  CHECK(mid.end.gtid == other + "," + uuid + ":1-5");
}

TEST_CASE("GTIDs are tracked through other MySQL binlogs, COMMIT statements included") {
  // MySQL 8.0.28: GTIDs 1-5 of 93e95066-a2f4-11ec-9b69-9657f0ae95e2.
  CHECK(track("mysql/rust_mysql_common/mysql-enum-string-set.000001").end.gtid ==
        "93e95066-a2f4-11ec-9b69-9657f0ae95e2:1-5");
  // MySQL 8.0.26: GTIDs 1-3 of fbda2ad0-7c46-11ec-ae30-4ef7efc81a2a.
  CHECK(track("mysql/rust_mysql_common/mysql_type_bit.000001").end.gtid ==
        "fbda2ad0-7c46-11ec-ae30-4ef7efc81a2a:1-3");
  // MySQL 5.6.41: six GTIDs of 11111111-1111-1111-1111-111111111111, two of them
  // BEGIN ... COMMIT (QUERY events) rather than XID, the others DDL.
  const Tracked q = track("mysql/rust_mysql_common/binlog_56_gtid_reserved_word.000001");
  CHECK(q.commits.size() == 6);
  CHECK(q.end.gtid == "11111111-1111-1111-1111-111111111111:1-6");
}

TEST_CASE("A tagged GTID stops a stream that keeps a GTID set, naming the GTID") {
  // MySQL 9.6.0: GTID_TAGGED at offset 245, 55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:3
  // (EXPECTED.md). A set that cannot hold it must not silently leave it out.
  auto conn = MyConnection::connect(test::sandbox_endpoint(true, "", false));
  REQUIRE(conn.ok());
  StreamSchemaCache cache(**conn);
  auto file = test::binlog::decode_fixture(
      "mysql/rust_mysql_common/binlog_transaction_with_GTID_TAG.000001");
  REQUIRE_FALSE(file.error.has_value());
  auto start = BinlogPosition::parse("binlog_transaction_with_GTID_TAG.000001:245;gtid=");
  REQUIRE(start.has_value());
  TableFilter filter;
  filter.include = {"no_such_database.*"};
  MyChangeBuilder builder(filter, *start, cache);
  std::vector<StreamEvent> out;
  bool stopped = false;
  for (const auto& event : file.events) {
    if (event.offset < 245) continue;
    Status s = builder.feed(event, out);
    if (!s.ok()) {
      INFO(s.message());
      CHECK(event.offset == 245);
      CHECK(s.message().find("tagged GTID (55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:3)") !=
            std::string::npos);
      stopped = true;
      break;
    }
  }
  CHECK(stopped);
}
