// Recovery of the MariaDB change stream: a replica connection the source drops, and a
// schema change replayed after a crash between the DDL and its recorded position.
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "replication/core/load_state.h"
#include "replication/mysql/my_position.h"
#include "replication/mysql/my_stream_reader.h"
#include "tests/my_stream/my_stream_test_db.h"

using namespace tideway;
using namespace tideway::replication;

namespace {

using test::require_identical;

/// Where the transaction of the first statement containing `text` starts, at or after
/// `from`, read from the source's own binlog (SHOW BINLOG EVENTS).
std::string transaction_start(test::MyStreamDb& db, const mysql::BinlogPosition& from,
                              const std::string& text) {
  auto admin = mysql::MyConnection::connect(test::sandbox_endpoint(true, "", true));
  REQUIRE(admin.ok());
  auto events = (*admin)->query("SHOW BINLOG EVENTS IN '" + from.file + "' FROM " +
                                std::to_string(from.offset));
  REQUIRE(events.ok());
  std::string gtid_pos;
  for (std::size_t i = 0; i < events->size(); ++i) {
    const std::string type = events->text(i, 2);
    if (type == "Gtid") gtid_pos = events->text(i, 1);
    if (type == "Query" && events->text(i, 5).find(text) != std::string::npos) {
      REQUIRE_FALSE(gtid_pos.empty());
      mysql::BinlogPosition p{from.file, std::stoull(gtid_pos), ""};
      p.gtid = db.source_value("SELECT BINLOG_GTID_POS('" + p.file + "', " + gtid_pos + ")");
      return p.to_string();
    }
  }
  FAIL("no statement containing " << text << " in " << from.file);
  return "";
}

}  // namespace

TEST_CASE("A replica connection dropped by the source is resumed from the checkpoint") {
  test::MyStreamDb db("ms_reconnect");
  db.both_sql("CREATE TABLE t (id INT PRIMARY KEY, v INT)");
  db.start();
  db.source_sql("INSERT INTO t VALUES (1, 1), (2, 2), (3, 3)");
  REQUIRE(db.sync());
  // The source kills our dump thread (as a failover or an operator would).
  auto dumps = mysql::MyConnection::connect(test::sandbox_endpoint(true, "", true));
  REQUIRE(dumps.ok());
  auto threads = (*dumps)->query(
      "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'tideway_migrator' AND "
      "COMMAND LIKE 'Binlog Dump%'");
  REQUIRE(threads.ok());
  REQUIRE(threads->size() >= 1);
  for (std::size_t i = 0; i < threads->size(); ++i) {
    REQUIRE((*dumps)->execute("KILL " + threads->text(i, 0)).ok());
  }
  db.source_sql("INSERT INTO t VALUES (4, 4); UPDATE t SET v = 10 WHERE id = 1");
  REQUIRE(db.sync(180));
  CHECK(db.status().reconnects >= 1);
  // The status says why it reconnected, and that it streams again.
  const auto cut = db.status().interruption.view();
  CHECK_FALSE(cut.reconnecting);
  CHECK_FALSE(cut.last_error.empty());
  CHECK(cut.last_error_us > 0);
  require_identical(db, {"t", "stream_marker"});
  REQUIRE(db.stop().ok());
}

TEST_CASE("A DDL replayed after a crash before its position was recorded is tolerated") {
  test::MyStreamDb db("ms_ddlreplay");
  db.both_sql("CREATE TABLE t (id INT PRIMARY KEY)");
  db.start();
  db.source_sql("INSERT INTO t VALUES (1)");
  REQUIRE(db.sync());  // marker 1
  const auto before = mysql::BinlogPosition::parse(db.status().checkpointed_position());
  REQUIRE(before.has_value());
  db.source_sql("ALTER TABLE t ADD COLUMN c INT DEFAULT 7");
  db.source_sql("INSERT INTO t VALUES (2, 8)");
  REQUIRE(db.sync());  // marker 2
  REQUIRE(db.stop().ok());

  // As if the process died right after the ALTER ran on the target: the target's
  // position is still the ALTER's start, nothing after it is applied, and the RocksDB
  // checkpoint is there too.
  const std::string alter = transaction_start(db, *before, "ADD COLUMN c");
  db.target_sql("DELETE FROM t WHERE id = 2; DELETE FROM stream_marker WHERE n = 2");
  auto rewind = [&](bool marked) {
    db.target_sql("UPDATE `_tideway`.`apply_position` SET position = '" + alter +
                  "', ddl_pending = " + (marked ? "'" + alter + "'" : "NULL") +
                  " WHERE task_id = '" + db.spec().id + "'");
    LoadStateStore state(db.store(), db.spec().id);
    REQUIRE(state.save_checkpoint(alter).ok());
  };

  // Without the mark, an ALTER that fails is a real error: the stream stops on it.
  rewind(false);
  db.start();
  const auto ended = db.wait_end(120);
  REQUIRE(ended.has_value());
  REQUIRE_FALSE(ended->ok());
  INFO(ended->message());
  CHECK(ended->message().find("applying the schema change 'ALTER TABLE t ADD COLUMN c") !=
        std::string::npos);
  CHECK(ended->message().find("Duplicate column") != std::string::npos);

  // With the mark the applier writes before running a DDL, the replay goes through.
  rewind(true);
  db.start();
  REQUIRE(db.sync());
  REQUIRE(db.stop().ok());
  require_identical(db, {"t", "stream_marker"});
  CHECK(db.target_value("SELECT GROUP_CONCAT(id, ':', c ORDER BY id) FROM t") == "1:7,2:8");
  CHECK(db.target_value("SELECT COUNT(*) FROM `_tideway`.`apply_position` WHERE task_id = '" +
                        db.spec().id + "' AND ddl_pending IS NULL") == "1");
}

TEST_CASE("Changes a chunk already holds are replayed idempotently in its handoff window") {
  test::MyStreamDb db("ms_handoff");
  db.both_sql("CREATE TABLE t (id INT PRIMARY KEY, v INT); CREATE TABLE nokey (v INT)");
  auto start = mysql::current_binlog_position(db.spec().source);
  REQUIRE(start.ok());
  db.source_sql(
      "INSERT INTO t VALUES (1, 1), (2, 2); UPDATE t SET v = 10 WHERE id = 1; "
      "DELETE FROM t WHERE id = 2; INSERT INTO t VALUES (3, 3); "
      "INSERT INTO nokey VALUES (1), (1)");
  // The full load read both tables here, later than the stream's start: their copies
  // already hold the changes above.
  auto read_at = mysql::current_binlog_position(db.spec().source);
  REQUIRE(read_at.ok());
  db.target_sql("INSERT INTO t VALUES (1, 10), (3, 3); INSERT INTO nokey VALUES (1), (1)");
  {
    LoadStateStore state(db.store(), db.spec().id);
    TaskState task;
    task.phase = TaskPhase::kLoaded;
    task.start_position = start->to_string();
    REQUIRE(state.save_task(task).ok());
    for (const auto& [table, method] :
         {std::pair<std::string, std::string>{"t", "pk_range"}, {"nokey", "no_key"}}) {
      TablePlan plan;
      plan.table = db.name() + "." + table;
      plan.method = method;
      plan.chunks.push_back(PlannedChunk{0, "1=1", "all"});
      REQUIRE(state.save_plan(plan).ok());
      REQUIRE(state.mark_done(plan.table, 0, ChunkDone{2, 0, read_at->to_string()}).ok());
    }
  }
  db.source_sql(
      "INSERT INTO t VALUES (4, 4); UPDATE t SET v = 30 WHERE id = 3; "
      "INSERT INTO nokey VALUES (2)");
  db.start();
  REQUIRE(db.sync());
  REQUIRE(db.stop().ok());
  require_identical(db, {"t", "nokey"});
  CHECK(db.target_value("SELECT GROUP_CONCAT(id, ':', v ORDER BY id) FROM t") == "1:10,3:30,4:4");
  CHECK(db.target_value("SELECT GROUP_CONCAT(v ORDER BY v) FROM nokey") == "1,1,2");
}

TEST_CASE("A parent deleted in its handoff window takes its copied children with it") {
  // InnoDB does not log cascaded deletes, so only the target's own ON DELETE CASCADE can
  // remove the children. Here the child table was read before the parent's delete (its
  // copy holds the children) and the parent table after it (its copy lacks the parent):
  // the stream's replay of the delete, in the parent's window, must still cascade.
  test::MyStreamDb db("ms_handoff_fk");
  db.both_sql(
      "CREATE TABLE parent (id INT PRIMARY KEY) ENGINE=InnoDB;"
      "CREATE TABLE child (id INT PRIMARY KEY, parent_id INT NOT NULL,"
      " FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE) ENGINE=InnoDB;"
      "CREATE TABLE note (id INT PRIMARY KEY, parent_id INT NULL,"
      " FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE SET NULL) ENGINE=InnoDB");
  db.source_sql(
      "INSERT INTO parent VALUES (1), (2); INSERT INTO child VALUES (10, 1), (20, 2);"
      "INSERT INTO note VALUES (100, 1), (200, 2)");
  auto start = mysql::current_binlog_position(db.spec().source);
  REQUIRE(start.ok());
  db.source_sql("DELETE FROM parent WHERE id = 1");  // child 10 goes by cascade, unlogged
  auto parent_read_at = mysql::current_binlog_position(db.spec().source);
  REQUIRE(parent_read_at.ok());
  // The copies, as the full load left them (it loads with foreign_key_checks = 0).
  db.target_sql(
      "SET SESSION foreign_key_checks = 0; INSERT INTO parent VALUES (2);"
      "INSERT INTO child VALUES (10, 1), (20, 2); INSERT INTO note VALUES (100, 1), (200, 2);"
      "SET SESSION foreign_key_checks = 1");
  {
    LoadStateStore state(db.store(), db.spec().id);
    TaskState task;
    task.phase = TaskPhase::kLoaded;
    task.start_position = start->to_string();
    REQUIRE(state.save_task(task).ok());
    for (const auto& [table, read_at] :
         {std::pair<std::string, std::string>{"parent", parent_read_at->to_string()},
          {"child", start->to_string()},
          {"note", start->to_string()}}) {
      TablePlan plan;
      plan.table = db.name() + "." + table;
      plan.method = "pk_range";
      plan.chunks.push_back(PlannedChunk{0, "1=1", "all"});
      REQUIRE(state.save_plan(plan).ok());
      REQUIRE(state.mark_done(plan.table, 0, ChunkDone{2, 0, read_at}).ok());
    }
  }
  db.start();
  REQUIRE(db.sync());
  REQUIRE(db.stop().ok());
  CHECK(db.target_value("SELECT GROUP_CONCAT(id ORDER BY id) FROM child") == "20");
  CHECK(db.target_value("SELECT GROUP_CONCAT(id, ':', IFNULL(parent_id, 'null') ORDER BY id) "
                        "FROM note") == "100:null,200:2");
  require_identical(db, {"parent", "child", "note"});
}

TEST_CASE("A parent's key changed in its handoff window carries its copied children along") {
  // ON UPDATE CASCADE is not logged either. The child table's copy was read before the
  // parent's key changed (its rows name the old key), the parent's copy after it.
  test::MyStreamDb db("ms_handoff_upd");
  db.both_sql(
      "CREATE TABLE parent (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;"
      "CREATE TABLE child (id INT PRIMARY KEY, parent_id INT,"
      " FOREIGN KEY (parent_id) REFERENCES parent (id) ON UPDATE CASCADE) ENGINE=InnoDB;"
      "CREATE TABLE note (id INT PRIMARY KEY, parent_id INT NULL,"
      " FOREIGN KEY (parent_id) REFERENCES parent (id) ON UPDATE SET NULL) ENGINE=InnoDB");
  db.source_sql(
      "INSERT INTO parent VALUES (1, 1), (2, 2); INSERT INTO child VALUES (10, 1), (20, 2);"
      "INSERT INTO note VALUES (100, 1), (200, 2)");
  auto start = mysql::current_binlog_position(db.spec().source);
  REQUIRE(start.ok());
  db.source_sql("UPDATE parent SET id = 5, v = 50 WHERE id = 1");
  auto parent_read_at = mysql::current_binlog_position(db.spec().source);
  REQUIRE(parent_read_at.ok());
  db.target_sql(
      "SET SESSION foreign_key_checks = 0; INSERT INTO parent VALUES (5, 50), (2, 2);"
      "INSERT INTO child VALUES (10, 1), (20, 2); INSERT INTO note VALUES (100, 1), (200, 2);"
      "SET SESSION foreign_key_checks = 1");
  {
    LoadStateStore state(db.store(), db.spec().id);
    TaskState task;
    task.phase = TaskPhase::kLoaded;
    task.start_position = start->to_string();
    REQUIRE(state.save_task(task).ok());
    for (const auto& [table, read_at] :
         {std::pair<std::string, std::string>{"parent", parent_read_at->to_string()},
          {"child", start->to_string()},
          {"note", start->to_string()}}) {
      TablePlan plan;
      plan.table = db.name() + "." + table;
      plan.method = "pk_range";
      plan.chunks.push_back(PlannedChunk{0, "1=1", "all"});
      REQUIRE(state.save_plan(plan).ok());
      REQUIRE(state.mark_done(plan.table, 0, ChunkDone{2, 0, read_at}).ok());
    }
  }
  db.start();
  REQUIRE(db.sync());
  REQUIRE(db.stop().ok());
  CHECK(db.target_value("SELECT GROUP_CONCAT(id, ':', parent_id ORDER BY id) FROM child") ==
        "10:5,20:2");
  CHECK(db.target_value("SELECT GROUP_CONCAT(id, ':', IFNULL(parent_id, 'null') ORDER BY id) "
                        "FROM note") == "100:null,200:2");
  require_identical(db, {"parent", "child", "note"});
}

TEST_CASE("A parent deleted in its window while a later copy holds a RESTRICT child") {
  // The parent is deleted, inserted again and given a child under a RESTRICT key; both
  // copies were read after all of it. Replaying the delete with foreign keys checked
  // would be refused by that child; the applier retries it unchecked, and the replayed
  // inserts that follow restore the parent.
  test::MyStreamDb db("ms_handoff_restrict");
  db.both_sql(
      "CREATE TABLE parent (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;"
      "CREATE TABLE child (id INT PRIMARY KEY, parent_id INT NOT NULL,"
      " FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE RESTRICT) ENGINE=InnoDB");
  db.source_sql("INSERT INTO parent VALUES (1, 1)");
  auto start = mysql::current_binlog_position(db.spec().source);
  REQUIRE(start.ok());
  db.source_sql("DELETE FROM parent WHERE id = 1");
  db.source_sql("INSERT INTO parent VALUES (1, 2); INSERT INTO child VALUES (10, 1)");
  auto read_at = mysql::current_binlog_position(db.spec().source);
  REQUIRE(read_at.ok());
  db.target_sql("INSERT INTO parent VALUES (1, 2); INSERT INTO child VALUES (10, 1)");
  {
    LoadStateStore state(db.store(), db.spec().id);
    TaskState task;
    task.phase = TaskPhase::kLoaded;
    task.start_position = start->to_string();
    REQUIRE(state.save_task(task).ok());
    for (const std::string table : {"parent", "child"}) {
      TablePlan plan;
      plan.table = db.name() + "." + table;
      plan.method = "pk_range";
      plan.chunks.push_back(PlannedChunk{0, "1=1", "all"});
      REQUIRE(state.save_plan(plan).ok());
      REQUIRE(state.mark_done(plan.table, 0, ChunkDone{1, 0, read_at->to_string()}).ok());
    }
  }
  db.start();
  REQUIRE(db.sync());
  REQUIRE(db.stop().ok());
  require_identical(db, {"parent", "child"});
  CHECK(db.target_value("SELECT CONCAT(p.v, ':', c.id) FROM parent p JOIN child c ON "
                        "c.parent_id = p.id") == "2:10");
}

TEST_CASE("The reader can start by GTID alone and learns the file from the source") {
  test::MyStreamDb db("ms_bygtid");
  db.both_sql("CREATE TABLE t (id INT PRIMARY KEY)");
  auto head = mysql::current_binlog_position(db.spec().source);
  REQUIRE(head.ok());
  auto sql = mysql::MyConnection::connect(db.spec().source);
  REQUIRE(sql.ok());
  mysql::BinlogClientOptions options;
  options.server_id = mysql::default_server_id(db.spec().id);
  const mysql::BinlogPosition by_gtid{"", 0, head->gtid};
  auto reader = mysql::MyStreamReader::start(db.spec(), by_gtid, **sql, options);
  REQUIRE(reader.ok());
  db.source_sql("INSERT INTO t VALUES (1)");
  std::vector<StreamEvent> events;
  std::optional<CommitEvent> commit;
  // Bounded: the source sends a heartbeat every second while idle.
  for (int packets = 0; packets < 200 && !commit; ++packets) {
    events.clear();
    bool heartbeat = false;
    REQUIRE((*reader)->next(events, heartbeat).ok());
    for (const auto& e : events) {
      if (const auto* c = std::get_if<CommitEvent>(&e)) commit = *c;
    }
  }
  REQUIRE(commit.has_value());
  const auto at = mysql::BinlogPosition::parse(commit->position);
  REQUIRE(at.has_value());
  CHECK(at->file == head->file);
  CHECK(head->offset < at->offset);
  CHECK(mysql::gtid_sequence(at->gtid, 0) > mysql::gtid_sequence(head->gtid, 0));
}
