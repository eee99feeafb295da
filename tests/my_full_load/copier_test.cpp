// One chunk copy on its own: INSERT statements bounded by size (not one per chunk, not
// one per row), the marker committed with the rows, and a failed or stopped chunk
// leaving nothing on the target.
#include <catch2/catch.hpp>

#include <atomic>

#include "replication/mysql/my_catalog.h"
#include "replication/mysql/my_chunk_copier.h"
#include "replication/mysql/my_snapshot.h"
#include "tests/my_full_load/my_test_db.h"

using namespace tideway;
using namespace tideway::replication;

TEST_CASE("A chunk goes out in size-bounded INSERTs and commits with its marker, or not at all") {
  test::MyTestDb db("my_copier");
  db.source_sql("CREATE TABLE t (id INT PRIMARY KEY, body VARCHAR(200)) ENGINE=InnoDB;"
                "INSERT INTO t SELECT seq, REPEAT('x', 100) FROM seq_1_to_10000");
  db.target_sql("CREATE DATABASE `" + db.name() + "`;"
                "CREATE TABLE `" + db.name() + "`.t (id INT PRIMARY KEY, body VARCHAR(200))");
  const TaskSpec spec = db.task_spec();
  const std::string table_name = db.name() + ".t";

  auto session = mysql::open_snapshot_session(spec.source, true);
  if (!session.ok()) FAIL(session.error().message);
  auto target = mysql::MyConnection::connect(spec.target, {mysql::SessionKind::kTarget, false,
                                                           false, 10});
  if (!target.ok()) FAIL(target.error().message);
  REQUIRE(mysql::ensure_load_markers(**target).ok());
  auto tables = mysql::list_tables(*session->connection, spec.tables);
  REQUIRE(tables.ok());
  REQUIRE(tables->size() == 1);
  const mysql::MyTable& table = tables->front();

  constexpr std::size_t kBatch = 16 * 1024;
  const std::string position = session->position->to_string();
  mysql::ChunkCopyContext ctx{spec.id, position, nullptr, nullptr, kBatch};
  const mysql::Chunk upper{0, "`id` >= 1001", "id in [1001, +inf)"};
  auto copied = mysql::copy_chunk(*session->connection, **target, table, upper, ctx);
  if (!copied.ok()) FAIL(copied.error().message);
  CHECK(copied->rows == 9000);
  // Value bytes: the ids' digits (1001..9999: 4, 10000: 5) and 100 per body.
  CHECK(copied->bytes == 8999 * 4 + 5 + 9000 * 100);

  // Each INSERT carries rows until it reaches 16 KiB: ~1 MiB of row text in 16 KiB
  // statements, plus the marker's INSERT.
  auto status = (*target)->query("SHOW SESSION STATUS LIKE 'Com_insert'");
  REQUIRE(status.ok());
  REQUIRE(status->size() == 1);
  const std::int64_t inserts = status->as_int(0, 1);
  const std::int64_t row_text = 9000 * 100;  // at least this much SQL was sent
  CHECK(inserts >= row_text / static_cast<std::int64_t>(kBatch));
  CHECK(inserts <= 2 * row_text / static_cast<std::int64_t>(kBatch) + 2);

  auto marker = mysql::find_chunk_marker(**target, spec.id, table_name, 0);
  REQUIRE(marker.ok());
  REQUIRE(marker->has_value());
  CHECK((*marker)->rows == 9000);
  CHECK((*marker)->snapshot == position);
  CHECK(db.target_value("SELECT CONCAT(COUNT(*), ' ', MIN(id), ' ', MAX(id)) FROM `" + db.name() +
                        "`.t") == "9000 1001 10000");

  // Copying it again collides with the rows already there: the chunk fails whole,
  // naming itself and the server's error, and the target keeps exactly what it had.
  auto again = mysql::copy_chunk(*session->connection, **target, table, upper, ctx);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == ErrorCode::kConflict);
  CHECK(again.error().message.find(table_name + " chunk 0 (id in [1001, +inf))") !=
        std::string::npos);
  CHECK(again.error().message.find("(MySQL error 1062)") != std::string::npos);
  CHECK(db.target_value("SELECT COUNT(*) FROM `" + db.name() + "`.t") == "9000");

  // A stop between rows rolls the chunk back: no row, no marker. (The failed copy
  // above abandoned its source result, so this needs a new snapshot session.)
  auto fresh = mysql::open_snapshot_session(spec.source, true);
  REQUIRE(fresh.ok());
  std::atomic<bool> stop{true};
  mysql::ChunkCopyContext stopping{spec.id, position, &stop, nullptr, kBatch};
  const mysql::Chunk lower{1, "`id` < 1001", "id in [-inf, 1001)"};
  auto stopped = mysql::copy_chunk(*fresh->connection, **target, table, lower, stopping);
  REQUIRE_FALSE(stopped.ok());
  CHECK(stopped.error().code == ErrorCode::kUnavailable);
  CHECK(stopped.error().message.find("stopped before the chunk finished") != std::string::npos);
  CHECK(db.target_value("SELECT COUNT(*) FROM `" + db.name() + "`.t WHERE id < 1001") == "0");
  auto no_marker = mysql::find_chunk_marker(**target, spec.id, table_name, 1);
  REQUIRE(no_marker.ok());
  CHECK_FALSE(no_marker->has_value());
}

TEST_CASE("A MyISAM chunk cut short on the target is cleared and copied exactly again") {
  test::MyTestDb db("my_myisam");
  db.source_sql("CREATE TABLE m (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=MyISAM;"
                "INSERT INTO m SELECT seq, CONCAT('v', seq) FROM seq_1_to_3000");
  // What an interrupted copy leaves in a table without transactions: some of the chunk's
  // rows (one of them stale), next to rows of another chunk that must stay.
  db.target_sql("CREATE DATABASE `" + db.name() + "`;"
                "CREATE TABLE `" + db.name() + "`.m (id INT PRIMARY KEY, v VARCHAR(20)) "
                "ENGINE=MyISAM;"
                "INSERT INTO `" + db.name() +
                "`.m VALUES (5, 'v5'), (6, 'stale'), (2500, 'other')");
  const TaskSpec spec = db.task_spec();
  auto session = mysql::open_snapshot_session(spec.source, true);
  if (!session.ok()) FAIL(session.error().message);
  auto target = mysql::MyConnection::connect(spec.target, {mysql::SessionKind::kTarget, false,
                                                           false, 10});
  if (!target.ok()) FAIL(target.error().message);
  REQUIRE(mysql::ensure_load_markers(**target).ok());
  auto tables = mysql::list_tables(*session->connection, spec.tables);
  REQUIRE(tables.ok());
  REQUIRE(tables->size() == 1);
  CHECK_FALSE(tables->front().transactional());

  mysql::ChunkCopyContext ctx{spec.id, session->position->to_string(), nullptr, nullptr, 4096};
  auto copied = mysql::copy_chunk(*session->connection, **target, tables->front(),
                                  {0, "`id` < 2000", "id in [-inf, 2000)"}, ctx);
  if (!copied.ok()) FAIL(copied.error().message);
  CHECK(copied->rows == 1999);
  const std::string m = "`" + db.name() + "`.m";
  CHECK(db.target_value("SELECT COUNT(*) FROM " + m + " WHERE id < 2000") == "1999");
  CHECK(db.target_value("SELECT v FROM " + m + " WHERE id = 6") == "v6");
  CHECK(db.target_value("SELECT v FROM " + m + " WHERE id = 2500") == "other");
}
