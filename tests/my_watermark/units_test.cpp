// The parts of the watermark snapshot that cannot run live here (a MySQL server is not
// in the sandbox): choosing the method by server version, and the binlog_order_commits
// requirement MySQL must meet for watermarks to bound what a read sees.
#include <catch2/catch.hpp>

#include "replication/mysql/my_watermark.h"

using namespace tideway;
using namespace tideway::replication;
using mysql::SnapshotMethod;

TEST_CASE("auto picks consistent snapshots on MariaDB and watermarks on MySQL") {
  CHECK(*mysql::resolve_snapshot_method(MySnapshotMode::kAuto, "10.11.6-MariaDB-log") ==
        SnapshotMethod::kConsistentSnapshot);
  CHECK(*mysql::resolve_snapshot_method(MySnapshotMode::kAuto, "8.0.35") ==
        SnapshotMethod::kWatermark);
  CHECK(*mysql::resolve_snapshot_method(MySnapshotMode::kAuto, "8.0.mysql_aurora.3.05.2") ==
        SnapshotMethod::kWatermark);
  CHECK(*mysql::resolve_snapshot_method(MySnapshotMode::kWatermark, "10.11.6-MariaDB") ==
        SnapshotMethod::kWatermark);
  CHECK(*mysql::resolve_snapshot_method(MySnapshotMode::kConsistentSnapshot, "10.6.16-MariaDB") ==
        SnapshotMethod::kConsistentSnapshot);
  auto refused = mysql::resolve_snapshot_method(MySnapshotMode::kConsistentSnapshot, "8.0.35");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kInvalidArgument);
  CHECK(refused.error().message ==
        "mysql.snapshot: consistent_snapshot needs a MariaDB source (MySQL 8.0.35 has no "
        "binlog_snapshot_file/position to tie a snapshot to the binlog without locks); use "
        "snapshot: watermark or auto");
}

TEST_CASE("MySQL must commit in binlog order for watermarks, MariaDB always does") {
  using Vars = std::vector<std::pair<std::string, std::string>>;
  CHECK(mysql::watermark_setting_problems(false, Vars{{"binlog_order_commits", "ON"}}).empty());
  CHECK(mysql::watermark_setting_problems(false, Vars{{"binlog_order_commits", "1"}}).empty());
  CHECK(mysql::watermark_setting_problems(false, Vars{{"binlog_order_commits", "on"}}).empty());
  CHECK(mysql::watermark_setting_problems(false, Vars{{"binlog_order_commits", "OFF"}}) ==
        std::vector<std::string>{
            "binlog_order_commits is OFF; the watermark snapshot needs transactions to become "
            "visible in binlog order: SET GLOBAL binlog_order_commits = ON (Aurora/RDS: the "
            "parameter group)"});
  const auto missing = mysql::watermark_setting_problems(false, Vars{});
  REQUIRE(missing.size() == 1);
  CHECK(missing[0].find("does not report binlog_order_commits") != std::string::npos);
  // MariaDB has no such variable and needs none.
  CHECK(mysql::watermark_setting_problems(true, Vars{}).empty());
  CHECK(mysql::watermark_setting_problems(true, Vars{{"binlog_order_commits", "OFF"}}).empty());
}

TEST_CASE("The signal table is named database.table and kept out of the copy and the stream") {
  const auto signal = mysql::parse_signal_table("ops.tideway_signal");
  CHECK(signal.database == "ops");
  CHECK(signal.table == "tideway_signal");
  CHECK(signal.sql_name() == "`ops`.`tideway_signal`");
  TaskSpec spec;
  spec.tables.include = {"ops.*", "shop.*"};
  spec.tables.exclude = {"shop.tmp"};
  spec.mysql.signal_table = "ops.tideway_signal";
  const TableFilter filter = mysql::without_signal_table(spec);
  CHECK_FALSE(filter.matches("ops", "tideway_signal"));
  CHECK(filter.matches("ops", "orders"));
  CHECK_FALSE(filter.matches("shop", "tmp"));
  CHECK(filter.matches("shop", "items"));
  CHECK(TaskSpec{}.mysql.signal_table == "_tideway.tideway_signal");
  CHECK(TaskSpec{}.mysql.snapshot == MySnapshotMode::kAuto);
}
