// The task spec's mysql section: the snapshot method and the watermark signal table,
// with defaults, and errors that name the key and the accepted values.
#include <catch2/catch.hpp>

#include "daemon/task_spec_json.h"
#include "daemon/task_spec_parser.h"

using namespace tideway;
using replication::MySnapshotMode;

namespace {

const char* kBase =
    "id: t1\n"
    "source: {engine: mysql, database: shop, user: u, password_env: SRC_PW}\n"
    "target: {engine: mariadb, database: shop, user: u, password_env: DST_PW}\n";

}  // namespace

TEST_CASE("mysql.snapshot and mysql.signal_table are read, with defaults") {
  auto plain = daemon::parse_task_spec(kBase, "task.yaml");
  REQUIRE(plain.ok());
  CHECK(plain->mysql.snapshot == MySnapshotMode::kAuto);
  CHECK(plain->mysql.signal_table == "_tideway.tideway_signal");

  auto set = daemon::parse_task_spec(
      std::string(kBase) + "mysql: {snapshot: watermark, signal_table: ops.wm_signal}\n",
      "task.yaml");
  REQUIRE(set.ok());
  CHECK(set->mysql.snapshot == MySnapshotMode::kWatermark);
  CHECK(set->mysql.signal_table == "ops.wm_signal");
  auto consistent = daemon::parse_task_spec(
      std::string(kBase) + "mysql: {snapshot: consistent_snapshot}\n", "task.yaml");
  REQUIRE(consistent.ok());
  CHECK(consistent->mysql.snapshot == MySnapshotMode::kConsistentSnapshot);

  // The stored form (JSON) reads back to the same spec.
  auto again = daemon::parse_task_spec(daemon::task_spec_to_json(*set).dump(), "stored");
  REQUIRE(again.ok());
  CHECK(again->mysql.snapshot == MySnapshotMode::kWatermark);
  CHECK(again->mysql.signal_table == "ops.wm_signal");
}

TEST_CASE("A wrong mysql section names the key and what is accepted") {
  auto bad_mode =
      daemon::parse_task_spec(std::string(kBase) + "mysql: {snapshot: flush_lock}\n", "task.yaml");
  REQUIRE_FALSE(bad_mode.ok());
  INFO(bad_mode.error().message);
  CHECK(bad_mode.error().message.find("'flush_lock' is not a snapshot method; expected auto, "
                                      "consistent_snapshot or watermark") != std::string::npos);
  auto bad_table = daemon::parse_task_spec(
      std::string(kBase) + "mysql: {signal_table: \"no-dot\"}\n", "task.yaml");
  REQUIRE_FALSE(bad_table.ok());
  CHECK(bad_table.error().message.find("expected database.table") != std::string::npos);
  auto injected = daemon::parse_task_spec(
      std::string(kBase) + "mysql: {signal_table: \"a.b`; DROP TABLE x\"}\n", "task.yaml");
  REQUIRE_FALSE(injected.ok());
  auto unknown = daemon::parse_task_spec(std::string(kBase) + "mysql: {snapshots: auto}\n",
                                         "task.yaml");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message.find("snapshot, signal_table") != std::string::npos);
}

TEST_CASE("mysql.resume_by is file by default, gtid when asked, and kept in the stored form") {
  auto plain = daemon::parse_task_spec(kBase, "task.yaml");
  REQUIRE(plain.ok());
  CHECK(plain->mysql.resume_by == replication::MyResumeBy::kFile);
  auto gtid =
      daemon::parse_task_spec(std::string(kBase) + "mysql: {resume_by: gtid}\n", "task.yaml");
  REQUIRE(gtid.ok());
  CHECK(gtid->mysql.resume_by == replication::MyResumeBy::kGtid);
  auto again = daemon::parse_task_spec(daemon::task_spec_to_json(*gtid).dump(), "stored");
  REQUIRE(again.ok());
  CHECK(again->mysql.resume_by == replication::MyResumeBy::kGtid);

  auto bad =
      daemon::parse_task_spec(std::string(kBase) + "mysql: {resume_by: offset}\n", "task.yaml");
  REQUIRE_FALSE(bad.ok());
  INFO(bad.error().message);
  CHECK(bad.error().message.find("'offset' is not a way to resume; expected file or gtid") !=
        std::string::npos);
  CHECK(bad.error().message.find("resume_by") != std::string::npos);
}
