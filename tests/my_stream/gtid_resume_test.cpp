// mysql.resume_by: gtid on the sandbox's MariaDB pair: a stream stopped and started again
// resumes after the GTIDs of its checkpoint (@slave_connect_state), not at its binlog
// file. To prove the file plays no part, the source rotates its binlog and purges the
// file the checkpoint names before the stream is started again: resuming by file must
// then fail ("no longer on the source"), resuming by GTID must go on with nothing lost
// and nothing applied twice (a keyless table would show a second copy of a row).
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "replication/mysql/my_connection.h"
#include "replication/mysql/my_position.h"
#include "tests/my_stream/my_stream_test_db.h"

using namespace tideway;
using namespace tideway::replication;

namespace {

using test::require_identical;

mysql::BinlogPosition position_of(const std::string& text) {
  auto p = mysql::BinlogPosition::parse(text);
  INFO(text);
  REQUIRE(p.has_value());
  return *p;
}

}  // namespace

TEST_CASE("resume_by gtid resumes after the checkpoint's GTIDs, though its binlog is purged") {
  test::MyStreamDb db("ms_gtidresume");
  db.spec().mysql.resume_by = MyResumeBy::kGtid;
  db.both_sql("CREATE TABLE t (id INT PRIMARY KEY, v INT)");
  db.both_sql("CREATE TABLE log (n INT, note VARCHAR(20))");  // keyless: shows duplicates
  db.start();
  db.source_sql("INSERT INTO t VALUES (1, 1), (2, 2), (3, 3)");
  db.source_sql("INSERT INTO log VALUES (1, 'first'), (2, 'second')");
  REQUIRE(db.sync());
  CHECK(db.status().started_by_gtid);
  REQUIRE(db.stop().ok());
  const auto checkpoint = position_of(db.status().checkpointed_position());
  REQUIRE_FALSE(checkpoint.gtid.empty());
  CHECK_FALSE(checkpoint.mysql_gtid_set);

  // The source moves to a new binlog and drops the one the checkpoint is in.
  auto admin = mysql::MyConnection::connect(test::sandbox_endpoint(true, "", true));
  REQUIRE(admin.ok());
  REQUIRE((*admin)->execute("FLUSH BINARY LOGS").ok());
  auto head = mysql::current_binlog_position(db.spec().source);
  REQUIRE(head.ok());
  REQUIRE(head->file != checkpoint.file);
  // The server keeps a file while it may still need it (its binlog checkpoint trails
  // InnoDB's flushes by up to a second, and a dump thread may still be reading it), and
  // PURGE then leaves it with a warning: try again, bounded.
  bool purged = false;
  for (int attempt = 0; attempt < 150 && !purged; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    REQUIRE((*admin)->execute("PURGE BINARY LOGS TO '" + head->file + "'").ok());
    auto logs = (*admin)->query("SHOW BINARY LOGS");
    REQUIRE(logs.ok());
    purged = true;
    for (std::size_t i = 0; i < logs->size(); ++i)
      purged = purged && logs->text(i, 0) != checkpoint.file;
  }
  REQUIRE(purged);

  // More changes while the stream is down.
  db.source_sql(
      "INSERT INTO t VALUES (4, 4); UPDATE t SET v = 20 WHERE id = 2; "
      "DELETE FROM t WHERE id = 3");
  db.source_sql("INSERT INTO log VALUES (3, 'third')");

  // By file the checkpoint is gone for good.
  db.spec().mysql.resume_by = MyResumeBy::kFile;
  db.start();
  auto by_file = db.wait_end(120);
  REQUIRE(by_file.has_value());
  REQUIRE_FALSE(by_file->ok());
  INFO(by_file->message());
  CHECK(by_file->message().find("no longer on the source") != std::string::npos);
  CHECK(by_file->message().find(checkpoint.file) != std::string::npos);

  // By GTID the source finds the place itself, in the binlog it still has.
  db.spec().mysql.resume_by = MyResumeBy::kGtid;
  db.start();
  REQUIRE(db.sync());
  CHECK(db.status().started_by_gtid);
  db.source_sql("INSERT INTO log VALUES (4, 'fourth'); UPDATE t SET v = 40 WHERE id = 4");
  REQUIRE(db.sync());
  REQUIRE(db.stop().ok());
  require_identical(db, {"t", "log", "stream_marker"});
  CHECK(db.target_value("SELECT COUNT(*) FROM log") == "4");
  CHECK(db.target_value("SELECT GROUP_CONCAT(CONCAT(id, '=', v) ORDER BY id) FROM t") ==
        "1=1,2=20,4=40");
  // The checkpoint moved on in the source's new binlog, its GTIDs past the old ones.
  const auto after = position_of(db.status().checkpointed_position());
  CHECK(after.file != checkpoint.file);
  CHECK(mysql::gtid_at_or_after(after, checkpoint) == true);
  CHECK(mysql::gtid_sequence(after.gtid, 0) > mysql::gtid_sequence(checkpoint.gtid, 0));
}

TEST_CASE("resume_by file still starts at the file and offset") {
  test::MyStreamDb db("ms_fileresume");
  db.both_sql("CREATE TABLE t (id INT PRIMARY KEY)");
  db.start();
  db.source_sql("INSERT INTO t VALUES (1)");
  REQUIRE(db.sync());
  CHECK_FALSE(db.status().started_by_gtid);
  REQUIRE(db.stop().ok());
  db.source_sql("INSERT INTO t VALUES (2)");
  db.start();
  REQUIRE(db.sync());
  CHECK_FALSE(db.status().started_by_gtid);
  REQUIRE(db.stop().ok());
  require_identical(db, {"t", "stream_marker"});
}
