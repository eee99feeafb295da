// The watermark snapshot (my_watermark.h) on the real MariaDB sandbox, forced with
// mysql.snapshot: watermark (MySQL 8 cannot run here; MariaDB commits in binlog order,
// which is what the method needs from MySQL's binlog_order_commits=ON). With an
// application writing throughout the load and the stream, every table ends identical to
// the source; each chunk's recorded position is its high watermark; a source user that
// may not write the signal table is told the exact GRANT before any data moves.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "replication/core/load_state.h"
#include "replication/mysql/my_full_load.h"
#include "replication/mysql/my_handoff.h"
#include "replication/mysql/my_position.h"
#include "replication/mysql/my_stream.h"
#include "replication/mysql/my_watermark.h"
#include "storage/state_store.h"
#include "tests/my_full_load/my_test_db.h"
#include "tests/my_watermark/source_writer.h"

using namespace tideway;
using namespace tideway::replication;
namespace fs = std::filesystem;

namespace {

struct TempStore {
  fs::path dir;
  std::unique_ptr<storage::StateStore> store;
  TempStore() {
    char tmpl[] = "/tmp/tideway_mywm_test_XXXXXX";
    dir = ::mkdtemp(tmpl);
    store = std::move(storage::StateStore::open(dir.string())).value();
  }
  ~TempStore() {
    store.reset();
    fs::remove_all(dir);
  }
};

std::string unique_suffix() {
  std::random_device rd;
  return std::to_string(rd() % 1000000);
}

const char* kReadGrants =
    "GRANT SELECT, SHOW VIEW, TRIGGER, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO {user}";

// A signal table of the test's own (in database <db>_sig), dropped afterwards.
struct SignalDb {
  std::string database;
  explicit SignalDb(const test::MyTestDb& db) : database(db.name() + "_sig") {}
  ~SignalDb() {
    try {
      auto admin = test::admin_connection(true);
      admin->execute("DROP DATABASE IF EXISTS `" + database + "`").ignore_error();
    } catch (...) {
      // Best effort.
    }
  }
  std::string table() const { return database + ".tideway_signal"; }
  std::string grant() const { return "GRANT CREATE, INSERT, UPDATE ON `" + database + "`.* TO {user}"; }
};

TaskSpec watermark_spec(test::MyTestDb& db, const test::SourceUser& user, const SignalDb& signal) {
  TaskSpec spec = db.task_spec();
  spec.mode = TaskMode::kFullLoadAndCdc;
  spec.source.user = user.name();
  spec.source.password_file = user.password_file();
  spec.full_load.workers = 3;
  spec.full_load.chunk_rows = 500;
  spec.mysql.snapshot = MySnapshotMode::kWatermark;
  spec.mysql.signal_table = signal.table();
  return spec;
}

std::uint64_t domain0(const std::string& gtid) {
  auto seq = mysql::gtid_sequence(gtid, 0);
  if (!seq) throw std::runtime_error("no domain 0 in GTID list '" + gtid + "'");
  return *seq;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The change stream on its own thread, stopped and joined however the test ends.
class StreamThread {
 public:
  StreamThread(const TaskSpec& spec, storage::StateStore& store)
      : thread_([this, &spec, &store] {
          result_ = mysql::run_mysql_stream(spec, store, status_, stop_);
          ended_ = true;
        }) {}
  ~StreamThread() { stop().ignore_error(); }
  bool ended() const { return ended_; }
  Status stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return result_;
  }

 private:
  mysql::MyStreamStatus status_;
  std::atomic<bool> stop_{false}, ended_{false};
  Status result_;
  std::thread thread_;
};

// Commits marker n on the source and waits (bounded) until the stream brought it.
bool sync_marker(test::MyTestDb& db, int n, const StreamThread& stream) {
  db.source_sql("INSERT INTO marker VALUES (" + std::to_string(n) + ")");
  for (int i = 0; i < 180 * 20 && !stream.ended(); ++i) {
    if (db.target_value("SELECT COUNT(*) FROM `" + db.name() + "`.marker WHERE n = " +
                        std::to_string(n)) == "1") {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace

TEST_CASE("Watermark snapshot: with writes throughout load and stream, every table ends identical") {
  test::MyTestDb db("my_wm");
  constexpr int kRows = 12000;
  test::SourceWriter::create_tables(db, kRows);
  SignalDb signal(db);
  test::SourceUser user("tw_wm_" + unique_suffix(), {kReadGrants, signal.grant()});
  const TaskSpec spec = watermark_spec(db, user, signal);
  TempStore temp;

  test::SourceWriter writer(db, kRows, 2);
  writer.wait_for(100);  // the application is busy before the load starts
  LoadProgress progress;
  std::atomic<bool> no_stop{false};
  auto load = mysql::run_mysql_full_load(spec, *temp.store, progress, no_stop);
  if (!load.ok()) FAIL(load.error().message);

  // Every chunk is recorded at its high watermark, which is in the signal table with
  // the low one, both after the stream's start.
  const auto start = mysql::BinlogPosition::parse(load->start_position);
  REQUIRE(start);
  LoadStateStore state(*temp.store, spec.id);
  std::optional<mysql::BinlogPosition> latest;
  int chunks = 0;
  for (const std::string name : {"accounts", "pairs", "marker"}) {
    const std::string table = db.name() + "." + name;
    INFO(table);
    auto plan = state.load_plan(table);
    REQUIRE(plan.ok());
    REQUIRE(plan->has_value());
    auto done = state.load_done(table);
    REQUIRE(done.ok());
    REQUIRE(done->size() == (*plan)->chunks.size());
    for (const auto& [index, chunk] : *done) {
      INFO("chunk " << index << " at " << chunk.snapshot);
      const auto high = mysql::BinlogPosition::parse(chunk.snapshot);
      REQUIRE(high);
      CHECK(*start < *high);
      auto row = db.source_admin().query(fmt::format(
          "SELECT low_position, high_position FROM `{}`.tideway_signal WHERE task_id = '{}' "
          "AND table_name = '{}' AND chunk = {}",
          signal.database, spec.id, table, index));
      REQUIRE(row.ok());
      REQUIRE(row->size() == 1);
      CHECK(row->text(0, 1) == chunk.snapshot);
      const auto low = mysql::BinlogPosition::parse(row->text(0, 0));
      REQUIRE(low);
      CHECK(*start <= *low);
      CHECK(*low < *high);
      if (!latest || *latest < *high) latest = high;
      ++chunks;
    }
  }
  CHECK(chunks > 20);
  // The application really wrote during the load: far more transactions were binlogged
  // between the start and the last chunk than the two watermarks each chunk writes.
  CHECK(domain0(latest->gtid) - domain0(start->gtid) > static_cast<std::uint64_t>(2 * chunks));
  auto windows = mysql::binlog_handoff_windows(state, *start);
  REQUIRE(windows.ok());
  REQUIRE(windows->count(db.name() + ".accounts") == 1);
  CHECK_FALSE(windows->at(db.name() + ".accounts").skip);
  CHECK(windows->count(spec.mysql.signal_table) == 0);

  // The stream takes over while the application keeps writing, then catches up.
  StreamThread stream(spec, *temp.store);
  writer.wait_for(300);
  const auto writer_error = writer.stop();
  REQUIRE_FALSE(writer_error);
  const bool synced = sync_marker(db, 1, stream);
  const Status stream_result = stream.stop();
  if (!stream_result.ok()) FAIL(stream_result.message());
  REQUIRE(synced);

  for (const std::string name : {"accounts", "pairs", "marker"}) {
    INFO(name);
    const auto source_rows = db.source_rows(name);
    CHECK_FALSE(source_rows.empty());
    CHECK(source_rows == db.target_rows(name));
  }
  // Key updates moved rows across chunks (ids flipped to their negatives) and within the
  // composite key, and some rows were deleted: the window replay had all of those to do.
  CHECK(db.source_value("SELECT COUNT(*) > 0 FROM accounts WHERE id < 0") == "1");
  CHECK(db.source_value("SELECT COUNT(*) > 0 FROM pairs WHERE b = 'm'") == "1");
  CHECK(db.source_value("SELECT COUNT(*) < " + std::to_string(kRows) +
                        " FROM accounts WHERE ABS(id) <= " + std::to_string(kRows)) == "1");
  // The signal table is the load's bookkeeping, not data: never on the target.
  CHECK(db.target_value("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '" +
                        signal.database + "'") == "0");
}

TEST_CASE("Watermark snapshot: a source user that may not write the signal table is told the grant") {
  test::MyTestDb db("my_wmgrant");
  db.source_sql("CREATE TABLE t (id INT PRIMARY KEY, v INT, UNIQUE KEY uv (v)) ENGINE=InnoDB;"
                "INSERT INTO t SELECT seq, seq FROM seq_1_to_2000");
  SignalDb signal(db);
  test::SourceUser user("tw_wmg_" + unique_suffix(), {kReadGrants});
  const TaskSpec spec = watermark_spec(db, user, signal);
  TempStore temp;
  LoadProgress progress;
  std::atomic<bool> no_stop{false};
  auto refused = mysql::run_mysql_full_load(spec, *temp.store, progress, no_stop);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kInvalidArgument);
  const std::string& m = refused.error().message;
  INFO(m);
  CHECK(contains(m, fmt::format("user {} cannot write the watermark signal table {}.tideway_signal",
                                user.account(), signal.database)));
  CHECK(contains(m, fmt::format("run GRANT CREATE, INSERT, UPDATE ON `{}`.* TO {}",
                                signal.database, user.account())));
  // Nothing moved: no database on the target, no signal table on the source.
  CHECK(db.target_value("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '" +
                        db.name() + "'") == "0");
  CHECK(db.source_value("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '" +
                        signal.database + "'") == "0");

  // An operator may create the signal table instead; then CREATE is not needed.
  {
    auto admin = test::admin_connection(true);
    REQUIRE(mysql::create_signal_table(*admin, mysql::parse_signal_table(signal.table())).ok());
  }
  auto still = mysql::run_mysql_full_load(spec, *temp.store, progress, no_stop);
  REQUIRE_FALSE(still.ok());
  INFO(still.error().message);
  CHECK(contains(still.error().message, fmt::format("run GRANT INSERT, UPDATE ON `{}`.* TO {}",
                                                    signal.database, user.account())));

  // Granted as the message says, the load runs and records positions from watermarks.
  user.grant("GRANT INSERT, UPDATE ON `" + signal.database + "`.* TO {user}");
  auto ok = mysql::run_mysql_full_load(spec, *temp.store, progress, no_stop);
  if (!ok.ok()) FAIL(ok.error().message);
  CHECK(db.source_rows("t") == db.target_rows("t"));
  // The unique secondary index is added after the load: the operator is told the risk.
  CHECK(ok->warnings == std::vector<std::string>{fmt::format(
                            "table {}.t has unique index uv besides its primary key: with "
                            "watermark snapshots its chunks show different moments, so if rows "
                            "hand values of that index to each other while it is copied, adding "
                            "the index after the load fails with a duplicate entry and the task "
                            "stops (nothing is applied wrongly; a new load is needed); on "
                            "MariaDB, mysql.snapshot: consistent_snapshot avoids this whenever its "
                            "workers' snapshots open at one binlog position, as they do "
                            "unless commits land during every attempt to align them",
                            db.name())});
  LoadStateStore state(*temp.store, spec.id);
  auto done = state.load_done(db.name() + ".t");
  REQUIRE(done.ok());
  CHECK(done->size() >= 4);
  CHECK(db.source_value("SELECT COUNT(*) FROM `" + signal.database + "`.tideway_signal WHERE "
                        "task_id = '" + spec.id + "' AND high_position IS NOT NULL") ==
        std::to_string(done->size()));
}

TEST_CASE("Watermark snapshot: a keyless table is read at one exact position") {
  test::MyTestDb db("my_wmkeyless");
  db.source_sql("CREATE TABLE loose (v INT, w TEXT) ENGINE=InnoDB;"
                "INSERT INTO loose SELECT seq % 7, 'x' FROM seq_1_to_3000;"
                "CREATE TABLE marker (n INT PRIMARY KEY) ENGINE=InnoDB");
  SignalDb signal(db);
  test::SourceUser user("tw_wmk_" + unique_suffix(), {kReadGrants, signal.grant()});
  const TaskSpec spec = watermark_spec(db, user, signal);
  TempStore temp;
  LoadProgress progress;
  std::atomic<bool> no_stop{false};
  auto load = mysql::run_mysql_full_load(spec, *temp.store, progress, no_stop);
  if (!load.ok()) FAIL(load.error().message);
  LoadStateStore state(*temp.store, spec.id);
  auto done = state.load_done(db.name() + ".loose");
  REQUIRE(done.ok());
  REQUIRE(done->size() == 1);
  const std::string read_at = done->begin()->second.snapshot;
  auto row = db.source_admin().query(fmt::format(
      "SELECT low_position, high_position FROM `{}`.tideway_signal WHERE task_id = '{}' AND "
      "table_name = '{}.loose'", signal.database, spec.id, db.name()));
  REQUIRE(row.ok());
  REQUIRE(row->size() == 1);
  CHECK(row->text(0, 1) == read_at);
  CHECK(*mysql::BinlogPosition::parse(row->text(0, 0)) < *mysql::BinlogPosition::parse(read_at));
  auto windows = mysql::binlog_handoff_windows(state, *mysql::BinlogPosition::parse(load->start_position));
  REQUIRE(windows.ok());
  REQUIRE(windows->count(db.name() + ".loose") == 1);
  CHECK(windows->at(db.name() + ".loose").skip);
  CHECK(db.source_rows("loose") == db.target_rows("loose"));

  // Changes after the load reach the target once each (the window skips none of them).
  StreamThread stream(spec, *temp.store);
  db.source_sql("INSERT INTO loose VALUES (100, 'after'); DELETE FROM loose WHERE v = 3 LIMIT 5");
  const bool synced = sync_marker(db, 1, stream);
  const Status stream_result = stream.stop();
  if (!stream_result.ok()) FAIL(stream_result.message());
  REQUIRE(synced);
  CHECK(db.source_rows("loose") == db.target_rows("loose"));
}

TEST_CASE("Watermark snapshot: a cdc task only records where the stream starts") {
  test::MyTestDb db("my_wmcdc");
  db.source_sql("CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO t VALUES (1)");
  db.target_sql("CREATE DATABASE IF NOT EXISTS `" + db.name() + "`");
  db.target_sql("CREATE TABLE `" + db.name() + "`.t (id INT PRIMARY KEY) ENGINE=InnoDB;"
                "INSERT INTO `" + db.name() + "`.t VALUES (1)");
  SignalDb signal(db);
  // No grant on the signal table: a cdc task copies nothing, so it writes no watermark.
  test::SourceUser user("tw_wmcdc_" + unique_suffix(), {kReadGrants});
  TaskSpec spec = watermark_spec(db, user, signal);
  spec.mode = TaskMode::kCdc;
  spec.schema.create = false;
  auto before = db.source_admin().query("SHOW MASTER STATUS");
  REQUIRE(before.ok());
  const mysql::BinlogPosition was{before->text(0, 0), std::stoull(before->text(0, 1)), ""};
  TempStore temp;
  LoadProgress progress;
  std::atomic<bool> no_stop{false};
  auto r = mysql::run_mysql_full_load(spec, *temp.store, progress, no_stop);
  if (!r.ok()) FAIL(r.error().message);
  const auto start = mysql::BinlogPosition::parse(r->start_position);
  REQUIRE(start);
  CHECK(was <= *start);
  CHECK_FALSE(start->gtid.empty());
  CHECK(r->chunks_copied == 0);
  CHECK(db.source_value("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '" +
                        signal.database + "'") == "0");
}

TEST_CASE("Only writes to the table itself make a keyless read between watermarks inexact") {
  test::MyTestDb db("my_wmtouch");
  db.source_sql("CREATE TABLE loose (v INT) ENGINE=InnoDB;"
                "CREATE TABLE other (v INT) ENGINE=InnoDB;"
                "CREATE TABLE loose2 (v INT) ENGINE=InnoDB");
  auto admin = test::admin_connection(true);
  auto at = [&] {
    auto p = mysql::read_binlog_position(*admin);
    if (!p.ok()) throw std::runtime_error(p.error().message);
    return *p;
  };
  auto touches = [&](const mysql::BinlogPosition& from, const mysql::BinlogPosition& to,
                     int page) {
    auto r = mysql::binlog_touches_table(*admin, from, to, db.name(), "loose", page);
    if (!r.ok()) throw std::runtime_error(r.error().message);
    return *r;
  };
  const auto p0 = at();
  CHECK_FALSE(touches(p0, p0, 1000));  // nothing in between
  for (int i = 0; i < 7; ++i) {
    db.source_sql("INSERT INTO other VALUES (1); INSERT INTO loose2 VALUES (2)");
  }
  const auto p1 = at();
  CHECK_FALSE(touches(p0, p1, 1000));
  CHECK_FALSE(touches(p0, p1, 3));  // paged: the same answer a few events at a time
  db.source_sql("INSERT INTO loose VALUES (1)");
  const auto p2 = at();
  CHECK(touches(p0, p2, 1000));
  CHECK(touches(p0, p2, 3));
  CHECK_FALSE(touches(p2, at(), 1000));
  // Across a binlog rotation, and a DDL naming the table counts as a write.
  db.source_sql("FLUSH BINARY LOGS");
  db.source_sql("ALTER TABLE loose ADD COLUMN w INT");
  const auto p3 = at();
  CHECK(p2.file_sequence() < p3.file_sequence());
  CHECK(touches(p2, p3, 1000));
  CHECK_FALSE(touches(p2, mysql::BinlogPosition{p3.file, 4, ""}, 1000));  // the old file's tail
}
