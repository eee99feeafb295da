// The MariaDB change stream against the real sandbox servers: transactions, cascades,
// DDL mid-stream, restarts, divergence, and a transaction larger than memory.
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "replication/core/load_state.h"
#include "replication/mysql/my_position.h"
#include "tests/my_stream/my_stream_test_db.h"

using namespace tideway;
using namespace tideway::replication;

namespace {

using test::require_identical;

}  // namespace

TEST_CASE("Inserts, updates and deletes of a multi-statement transaction arrive in order") {
  test::MyStreamDb db("ms_txn");
  db.both_sql("CREATE TABLE account (id INT PRIMARY KEY, owner VARCHAR(40), balance BIGINT)");
  db.start();
  db.source_sql(
      "START TRANSACTION;"
      "INSERT INTO account VALUES (1, 'ann', 100), (2, 'bob', 50), (3, 'cy', 0);"
      "UPDATE account SET balance = balance - 30 WHERE id = 1;"
      "UPDATE account SET balance = balance + 30 WHERE id = 2;"
      "DELETE FROM account WHERE id = 3;"
      "UPDATE account SET id = 10 WHERE id = 2;"  // a key change: matched by the old key
      "COMMIT");
  // An update that changes nothing still has to match its row.
  db.source_sql("UPDATE account SET owner = owner WHERE id = 1");
  REQUIRE(db.sync());
  require_identical(db, {"account"});
  CHECK(db.target_value("SELECT GROUP_CONCAT(id, ':', balance ORDER BY id) FROM account") ==
        "1:70,10:80");
  REQUIRE(db.stop().ok());
  CHECK(db.status().transactions_applied > 0);
  const auto applied = mysql::BinlogPosition::parse(db.status().checkpointed_position());
  REQUIRE(applied.has_value());
  CHECK(applied->gtid.find("0-1-") != std::string::npos);

  // The apply figures behind the per-table metrics count what was committed.
  std::int64_t inserts = 0, updates = 0, deletes = 0, total = 0;
  const auto figures = db.status().apply.figures();
  for (const auto& [key, n] : figures.changes) {
    total += n;
    if (key.first.size() < 8 || key.first.substr(key.first.size() - 8) != ".account") continue;
    if (key.second == "insert") inserts += n;
    if (key.second == "update") updates += n;
    if (key.second == "delete") deletes += n;
  }
  CHECK(inserts == 3);
  CHECK(deletes == 1);
  CHECK(updates >= 3);
  CHECK(figures.batch_changes.sum == static_cast<double>(total));
  CHECK(figures.batch_changes.count >= 1);
}

TEST_CASE("ON DELETE/UPDATE CASCADE: the target's foreign keys change the children") {
  test::MyStreamDb db("ms_cascade");
  db.both_sql(
      "CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(10)) ENGINE=InnoDB;"
      "CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, "
      " FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE ON UPDATE CASCADE"
      ") ENGINE=InnoDB");
  db.start();
  db.source_sql(
      "INSERT INTO parent VALUES (1, 'a'), (2, 'b'), (3, 'c');"
      "INSERT INTO child VALUES (10, 1), (11, 1), (20, 2), (30, 3)");
  REQUIRE(db.sync());
  // InnoDB logs only the parent rows; the children change by cascade on each side.
  db.source_sql("DELETE FROM parent WHERE id = 1");
  db.source_sql("UPDATE parent SET id = 4 WHERE id = 2");
  REQUIRE(db.sync());
  CHECK(db.target_value("SELECT GROUP_CONCAT(id, ':', parent_id ORDER BY id) FROM child") ==
        "20:4,30:3");
  require_identical(db, {"parent", "child"});
  REQUIRE(db.stop().ok());
}

TEST_CASE("DDL mid-stream: ALTER, RENAME, CREATE, TRUNCATE and DROP, with writes around them") {
  test::MyStreamDb db("ms_ddl");
  db.both_sql("CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(20))");
  db.start();
  db.source_sql("INSERT INTO item VALUES (1, 'one'), (2, 'two')");
  db.source_sql("ALTER TABLE item ADD COLUMN price DECIMAL(10,2) NOT NULL DEFAULT 0");
  db.source_sql(
      "INSERT INTO item VALUES (3, 'three', 9.99); "
      "UPDATE item SET price = 1.50 WHERE id = 1");
  db.source_sql("RENAME TABLE item TO product");
  db.source_sql("INSERT INTO product VALUES (4, 'four', 4.00); DELETE FROM product WHERE id = 2");
  db.source_sql(
      "ALTER TABLE product CHANGE price cost DECIMAL(12,3) NOT NULL, "
      "DROP COLUMN name, ADD INDEX by_cost (cost)");
  db.source_sql("UPDATE product SET cost = cost * 2");
  db.source_sql("CREATE TABLE extra (k VARCHAR(5) PRIMARY KEY, v JSON)");
  db.source_sql("INSERT INTO extra VALUES ('a', '[1]'), ('b', '{}')");
  db.source_sql("TRUNCATE TABLE extra");
  db.source_sql("INSERT INTO extra VALUES ('c', '\"x\"')");
  db.source_sql("CREATE TABLE gone (id INT PRIMARY KEY); INSERT INTO gone VALUES (1)");
  db.source_sql("DROP TABLE gone");
  REQUIRE(db.sync());
  require_identical(db, {"product", "extra"});
  CHECK(db.target_value("SELECT GROUP_CONCAT(id, '=', cost ORDER BY id) FROM product") ==
        "1=3.000,3=19.980,4=8.000");
  CHECK(db.target_value("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" +
                        db.name() + "' AND TABLE_NAME IN ('item', 'gone')") == "0");
  CHECK(db.target_value("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE "
                        "TABLE_SCHEMA = '" +
                        db.name() + "' AND INDEX_NAME = 'by_cost'") == "1");
  REQUIRE(db.stop().ok());
}

TEST_CASE("A restarted stream resumes exactly where the target is") {
  test::MyStreamDb db("ms_restart");
  db.both_sql("CREATE TABLE t (id INT PRIMARY KEY, v INT)");
  db.start();
  db.source_sql("INSERT INTO t VALUES (1, 1)");
  db.source_sql("FLUSH BINARY LOGS");  // the stream follows the ROTATE into the next file
  db.source_sql("INSERT INTO t VALUES (2, 2)");
  REQUIRE(db.sync());
  REQUIRE(db.stop().ok());
  const std::string first_stop = db.status().checkpointed_position();
  db.source_sql("FLUSH BINARY LOGS");  // the restart starts in an older file than the head

  // Written while no stream runs: a transaction, a DDL and another transaction.
  db.source_sql("INSERT INTO t VALUES (3, 3); UPDATE t SET v = 10 WHERE id = 1");
  db.source_sql("ALTER TABLE t ADD COLUMN w VARCHAR(5) DEFAULT 'd'");
  db.source_sql("INSERT INTO t VALUES (4, 4, 'x'); DELETE FROM t WHERE id = 2");
  // A restarted process: the state store is reopened, and its checkpoint is set back to
  // the first stop, as if the process died after the target commit but before the
  // checkpoint; the target's own position must win.
  db.reopen_store();
  db.start();
  REQUIRE(db.sync());
  REQUIRE(db.stop().ok());
  {
    LoadStateStore state(db.store(), db.spec().id);
    REQUIRE(state.save_checkpoint(first_stop).ok());
  }
  db.reopen_store();
  db.start();
  db.source_sql("INSERT INTO t VALUES (5, 5, 'y')");
  REQUIRE(db.sync());
  REQUIRE(db.stop().ok());
  require_identical(db, {"t", "stream_marker"});
  CHECK(db.target_value("SELECT GROUP_CONCAT(id, ':', v, ':', w ORDER BY id) FROM t") ==
        "1:10:d,3:3:d,4:4:x,5:5:y");
  const auto a = mysql::BinlogPosition::parse(first_stop);
  const auto b = mysql::BinlogPosition::parse(db.status().checkpointed_position());
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(*a < *b);
}

TEST_CASE("A target that diverged stops the stream with table, key and position") {
  test::MyStreamDb db("ms_diverge");
  db.both_sql("CREATE TABLE t (id INT PRIMARY KEY, v INT)");
  db.start();
  db.source_sql("INSERT INTO t VALUES (4, 0), (5, 0)");
  REQUIRE(db.sync());
  db.target_sql("DELETE FROM t WHERE id = 5");  // someone wrote to the target
  db.source_sql("UPDATE t SET v = 1 WHERE id = 5");
  const auto ended = db.wait_end(120);
  REQUIRE(ended.has_value());
  REQUIRE_FALSE(ended->ok());
  INFO(ended->message());
  CHECK(ended->error().code == ErrorCode::kConflict);
  CHECK(ended->message().find("update matched no row on " + db.name() + ".t (id=5)") !=
        std::string::npos);
  CHECK(ended->message().find("at the transaction at mariadb-bin.") != std::string::npos);
  // Nothing of the failed transaction was committed, and the checkpoint is before it.
  CHECK(db.target_value("SELECT v FROM t WHERE id = 4") == "0");
}

TEST_CASE("A 1,000,000-row transaction streams within the memory bound") {
  test::MyStreamDb db("ms_bigtxn");
  db.both_sql("CREATE TABLE big (id INT PRIMARY KEY, payload CHAR(32))");
  mysql::MyStreamOptions options;
  options.queue_bytes = 16 << 20;
  db.start(options);
  db.source_sql("INSERT INTO big SELECT seq, MD5(seq) FROM seq_1_to_1000000");
  REQUIRE(db.sync(900));
  REQUIRE(db.stop().ok());
  const std::string digest =
      "SELECT CONCAT(COUNT(*), ':', SUM(CRC32(CONCAT(id, payload)))) FROM big";
  CHECK(db.target_value(digest) == db.source_value(digest));
  CHECK(db.target_value("SELECT COUNT(*) FROM big") == "1000000");
  // Peak resident memory of this whole test process (the stream included): the rows
  // (~100 MB as values) never sat in memory at once.
  rusage usage{};
  REQUIRE(::getrusage(RUSAGE_SELF, &usage) == 0);
  const long peak_mib = usage.ru_maxrss / 1024;
  INFO("peak RSS " << peak_mib << " MiB");
  CHECK(peak_mib < 256);
}

TEST_CASE("Statement-based DML on a replicated table stops the stream") {
  test::MyStreamDb db("ms_stmt");
  db.both_sql("CREATE TABLE t (id INT PRIMARY KEY)");
  db.start();
  db.source_sql(
      "SET SESSION binlog_format = 'STATEMENT'; INSERT INTO t VALUES (1); "
      "SET SESSION binlog_format = 'ROW'");
  const auto ended = db.wait_end(120);
  REQUIRE(ended.has_value());
  REQUIRE_FALSE(ended->ok());
  INFO(ended->message());
  CHECK(ended->message().find("binlog_format=ROW is required") != std::string::npos);
  CHECK(ended->message().find("INSERT INTO t VALUES (1)") != std::string::npos);
  CHECK(ended->message().find("binlog mariadb-bin.") != std::string::npos);
}

TEST_CASE("A start position the source no longer has asks for a new full load") {
  test::MyStreamDb db("ms_purged");
  {
    LoadStateStore state(db.store(), db.spec().id);
    TaskState t;
    t.phase = TaskPhase::kLoaded;
    t.start_position = "mariadb-bin.000000:4;gtid=0-1-1";
    REQUIRE(state.save_task(t).ok());
  }
  db.start();
  const auto ended = db.wait_end(60);
  REQUIRE(ended.has_value());
  REQUIRE_FALSE(ended->ok());
  INFO(ended->message());
  CHECK(ended->error().code == ErrorCode::kNotFound);
  CHECK(ended->message().find("position mariadb-bin.000000:4;gtid=0-1-1 no longer on the source") !=
        std::string::npos);
  CHECK(ended->message().find("a new full load is needed") != std::string::npos);
}

TEST_CASE("The applier reports that it could not turn the target's binlog off") {
  test::MyStreamDb db("ms_logbin");
  db.both_sql("CREATE TABLE t (id INT PRIMARY KEY)");
  db.start();
  db.source_sql("INSERT INTO t VALUES (1)");
  REQUIRE(db.sync());
  REQUIRE(db.stop().ok());
  // The sandbox's migration user has no SUPER/BINLOG ADMIN, as on Aurora.
  CHECK_FALSE(db.status().target_binlog_disabled);
  CHECK(db.target_value("SELECT COUNT(*) FROM t") == "1");
}
