// The per-worker snapshots of a MariaDB source: each sees exactly the transactions
// before its own binlog position, and with writes running during a parallel load every
// chunk holds the rows as of the position it records — the property the change stream's
// handoff relies on (my_snapshot.h).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "replication/core/load_state.h"
#include "replication/mysql/my_full_load.h"
#include "replication/mysql/my_handoff.h"
#include "replication/mysql/my_position.h"
#include "replication/mysql/my_snapshot.h"
#include "storage/state_store.h"
#include "tests/my_full_load/my_test_db.h"

using namespace tideway;
using namespace tideway::replication;
namespace fs = std::filesystem;

namespace {

std::uint64_t domain0(const std::string& gtid) {
  auto seq = mysql::gtid_sequence(gtid, 0);
  if (!seq) throw std::runtime_error("no domain 0 in GTID list '" + gtid + "'");
  return *seq;
}

std::string read_one(mysql::MyConnection& conn, const std::string& sql) {
  return test::value_of(conn, sql);
}

}  // namespace

TEST_CASE("Each snapshot session sees exactly the transactions before its own position") {
  test::MyTestDb db("my_snap");
  db.source_sql("CREATE TABLE t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;"
                "INSERT INTO t VALUES (1, 0)");
  const auto source = db.task_spec().source;
  auto first = mysql::open_snapshot_session(source, true);
  if (!first.ok()) FAIL(first.error().message);
  db.source_sql("UPDATE t SET v = 1 WHERE id = 1");
  const std::uint64_t update = domain0(db.source_value("SELECT @@last_gtid"));
  auto second = mysql::open_snapshot_session(source, true);
  if (!second.ok()) FAIL(second.error().message);

  REQUIRE(first->position);
  REQUIRE(second->position);
  CHECK(*first->position < *second->position);
  CHECK(domain0(first->position->gtid) < update);
  CHECK(domain0(second->position->gtid) >= update);
  const std::string select = "SELECT v FROM `" + db.name() + "`.t WHERE id = 1";
  CHECK(read_one(*first->connection, select) == "0");
  CHECK(read_one(*second->connection, select) == "1");

  // A later commit is seen by neither: each keeps its own snapshot.
  db.source_sql("UPDATE t SET v = 2 WHERE id = 1");
  CHECK(read_one(*first->connection, select) == "0");
  CHECK(read_one(*second->connection, select) == "1");

  // Sessions opened together each get a position; the earliest is the stream's start.
  auto set = mysql::open_snapshot_sessions(source, 3, true);
  if (!set.ok()) FAIL(set.error().message);
  REQUIRE(set->size() == 3);
  const auto earliest = mysql::earliest_position(*set);
  REQUIRE(earliest);
  for (const auto& s : *set) {
    REQUIRE(s.position);
    CHECK(*earliest <= *s.position);
    CHECK(*second->position < *s.position);
    CHECK(read_one(*s.connection, select) == "2");
  }
}

TEST_CASE("With writes running, every chunk holds its rows as of its own recorded position") {
  test::MyTestDb db("my_live");
  constexpr int kRows = 30000;
  db.source_sql("CREATE TABLE accounts (id INT PRIMARY KEY, v BIGINT NOT NULL) ENGINE=InnoDB;"
                "INSERT INTO accounts SELECT seq, 0 FROM seq_1_to_30000");

  // One writer, one row per transaction; each commit's GTID sequence number orders it
  // against the snapshot positions exactly.
  struct Update {
    int id;
    std::uint64_t seq;
  };
  std::vector<Update> updates;
  std::atomic<bool> writing{true};
  std::atomic<int> written{0};
  std::optional<std::string> writer_error;
  auto write_one = [&](mysql::MyConnection& conn, std::mt19937& rng) {
    const int id = 1 + static_cast<int>(rng() % kRows);
    test::run_sql(conn, "UPDATE `" + db.name() + "`.accounts SET v = v + 1 WHERE id = " +
                            std::to_string(id));
    updates.push_back({id, domain0(test::value_of(conn, "SELECT @@last_gtid"))});
    ++written;
  };
  std::thread writer([&] {
    try {
      auto conn = test::admin_connection(true);
      std::mt19937 rng(42);
      while (writing) write_one(*conn, rng);
    } catch (const std::exception& e) {
      writer_error = e.what();
    }
  });
  while (written < 50 && !writer_error) std::this_thread::yield();  // writes are under way

  char tmpl[] = "/tmp/tideway_mylive_test_XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  auto store = std::move(storage::StateStore::open(dir.string())).value();
  TaskSpec spec = db.task_spec();
  spec.mode = TaskMode::kFullLoadAndCdc;
  spec.full_load.workers = 4;
  spec.full_load.chunk_rows = 1000;
  LoadProgress progress;
  std::atomic<bool> stop{false};
  auto result = mysql::run_mysql_full_load(spec, *store, progress, stop);
  writing = false;
  writer.join();
  REQUIRE_FALSE(writer_error);
  if (!result.ok()) FAIL(result.error().message);

  const auto start = mysql::BinlogPosition::parse(result->start_position);
  REQUIRE(start);
  LoadStateStore state(*store, spec.id);
  const std::string table = db.name() + ".accounts";
  auto plan = state.load_plan(table);
  REQUIRE(plan.ok());
  REQUIRE(plan->has_value());
  CHECK((*plan)->chunks.size() == 30);
  auto done = state.load_done(table);
  REQUIRE(done.ok());
  REQUIRE(done->size() == (*plan)->chunks.size());

  // Positions: one per worker snapshot at most (no connection broke), the earliest
  // being the stream's start.
  std::set<std::string> positions;
  std::optional<mysql::BinlogPosition> earliest;
  for (const auto& [index, chunk] : *done) {
    auto p = mysql::BinlogPosition::parse(chunk.snapshot);
    REQUIRE(p);
    positions.insert(chunk.snapshot);
    if (!earliest || *p < *earliest) earliest = p;
  }
  CHECK(positions.size() <= 4);
  CHECK(earliest->to_string() == start->to_string());
  // What the stream will read from these records: replay idempotently up to the latest.
  auto windows = mysql::binlog_handoff_windows(state, *start);
  REQUIRE(windows.ok());
  if (positions.size() == 1) {
    CHECK(windows->empty());
  } else {
    REQUIRE(windows->count(table) == 1);
    CHECK_FALSE(windows->at(table).skip);
    CHECK(*earliest < windows->at(table).until);
    CHECK(positions.count(windows->at(table).until.to_string()) == 1);
  }

  // Every row of every chunk: the initial 0 plus each update committed before the
  // chunk's position, and none after it.
  std::map<int, std::vector<std::uint64_t>> by_row;
  for (const auto& u : updates) by_row[u.id].push_back(u.seq);
  std::int64_t rows_checked = 0, updated_rows = 0;
  for (const auto& chunk : (*plan)->chunks) {
    const std::uint64_t read_at = domain0(mysql::BinlogPosition::parse(
        done->at(chunk.index).snapshot)->gtid);
    const std::string where = chunk.where_sql.empty() ? "" : " WHERE " + chunk.where_sql;
    auto rows = db.target_admin().query("SELECT id, v FROM `" + db.name() + "`.accounts" + where);
    REQUIRE(rows.ok());
    for (std::size_t r = 0; r < rows->size(); ++r) {
      const int id = static_cast<int>(rows->as_int(r, 0));
      std::int64_t expected = 0;
      for (std::uint64_t seq : by_row[id]) expected += seq <= read_at ? 1 : 0;
      if (rows->as_int(r, 1) != expected) {
        FAIL("row " << id << " of chunk " << chunk.index << " read at " << read_at << " holds "
                    << rows->as_int(r, 1) << ", expected " << expected);
      }
      updated_rows += expected > 0 ? 1 : 0;
      ++rows_checked;
    }
  }
  CHECK(rows_checked == kRows);
  CHECK(updated_rows > 0);
  // Some updates came after the snapshots: the stream's job, not the load's.
  CHECK(std::any_of(updates.begin(), updates.end(),
                    [&](const Update& u) { return u.seq > domain0(start->gtid); }));
  store.reset();
  fs::remove_all(dir);
}

TEST_CASE("A resumed load keeps the stream's start and records newer positions for new chunks") {
  test::MyTestDb db("my_resnap");
  db.source_sql("CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB;"
                "INSERT INTO t SELECT seq, 0 FROM seq_1_to_20000");
  char tmpl[] = "/tmp/tideway_myresnap_test_XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  auto store = std::move(storage::StateStore::open(dir.string())).value();
  TaskSpec spec = db.task_spec();
  spec.mode = TaskMode::kFullLoadAndCdc;
  spec.full_load.workers = 2;
  spec.full_load.chunk_rows = 500;

  LoadProgress first_progress;
  std::atomic<bool> stop{false};
  std::atomic<bool> watching{true};
  std::thread watcher([&] {
    while (watching) {
      int done = 0;
      for (const auto& v : first_progress.snapshot()) done += v.chunks_done;
      if (done >= 3) {
        stop = true;
        return;
      }
      std::this_thread::yield();
    }
  });
  auto first = mysql::run_mysql_full_load(spec, *store, first_progress, stop);
  watching = false;
  watcher.join();
  REQUIRE_FALSE(first.ok());
  REQUIRE(first.error().code == ErrorCode::kUnavailable);

  LoadStateStore state(*store, spec.id);
  const std::string table = db.name() + ".t";
  auto task = state.load_task();
  REQUIRE(task.ok());
  const std::string start_text = (*task)->start_position;
  const auto start = mysql::BinlogPosition::parse(start_text);
  REQUIRE(start);
  auto before = state.load_done(table);
  REQUIRE(before.ok());
  REQUIRE(before->size() >= 3);
  REQUIRE(before->size() < 40);

  // The source moves on between the runs; the rest is read at newer snapshots, which
  // see that write.
  db.source_sql("UPDATE t SET v = 7");
  const std::uint64_t update = domain0(db.source_value("SELECT @@last_gtid"));
  LoadProgress second_progress;
  std::atomic<bool> no_stop{false};
  auto second = mysql::run_mysql_full_load(spec, *store, second_progress, no_stop);
  if (!second.ok()) FAIL(second.error().message);
  CHECK(second->start_position == start_text);
  auto after = state.load_done(table);
  REQUIRE(after.ok());
  REQUIRE(after->size() == 40);
  for (const auto& [index, chunk] : *after) {
    INFO("chunk " << index);
    const auto read_at = mysql::BinlogPosition::parse(chunk.snapshot);
    REQUIRE(read_at);
    if (before->count(index) != 0) {
      CHECK(chunk.snapshot == before->at(index).snapshot);  // not copied again
      CHECK(domain0(read_at->gtid) < update);
    } else {
      CHECK(*start < *read_at);
      CHECK(domain0(read_at->gtid) >= update);
    }
  }
  // Rows of the first run's chunks predate the update; the rest carry it. The stream
  // replays the update on the first ones: their window reaches past it.
  CHECK(db.target_value("SELECT COUNT(*) FROM `" + db.name() + "`.t WHERE v = 7") ==
        std::to_string(20000 - 500 * static_cast<int>(before->size())));
  auto windows = mysql::binlog_handoff_windows(state, *start);
  REQUIRE(windows.ok());
  REQUIRE(windows->count(table) == 1);
  CHECK(domain0(windows->at(table).until.gtid) >= update);
  store.reset();
  fs::remove_all(dir);
}
