// kill -9 of `tideway run` on a MariaDB -> MariaDB full_load_and_cdc task while the source
// keeps writing, at each point where a crash could lose or duplicate data: mid-chunk,
// after a chunk's target commit but before its state-store record, mid-batch in the
// stream, after a stream commit but before its checkpoint, and right after a DDL. After
// each, a restart must leave every table identical to the source row by row (keyless
// table included, so a replayed or lost change shows up as a duplicate or a gap), the
// children of deleted parents gone (InnoDB does not log cascades), and the checkpoint
// advanced to what the target holds.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "replication/core/load_state.h"
#include "replication/mysql/my_position.h"
#include "storage/state_store.h"
#include "tests/support/require_identical.h"
#include "tests/my_full_load/my_test_db.h"
#include "tests/support/sandbox_env.h"
#include "tests/support/tideway_process.h"

using namespace tideway;
using replication::mysql::BinlogPosition;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kTables = {"accounts", "ledger", "parent", "child", "marker"};

using Exit = test::ProcessExit;

class TidewayRun {
 public:
  TidewayRun(test::MyTestDb& db) : db_(db) {
    char tmpl[] = "/tmp/tideway_my_crash_test_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    spec_ = db.task_spec();
    auto endpoint = [](const replication::Endpoint& e) {
      return "{engine: mariadb, host: " + e.host + ", port: " + std::to_string(e.port) +
             ", database: " + e.database + ", user: " + e.user +
             ", password_file: " + e.password_file + "}";
    };
    std::ofstream(dir_ / "task.yaml") << "id: " << spec_.id << "\n"
                                      << "source: " << endpoint(spec_.source) << "\n"
                                      << "target: " << endpoint(spec_.target) << "\n"
                                      << "tables: {include: [\"" << db.name() << ".*\"]}\n"
                                      << "mode: full_load_and_cdc\n"
                                      << "full_load: {workers: 2, chunk_rows: 1000}\n";
  }
  ~TidewayRun() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    try {
      db_.target_sql("DELETE FROM `_tideway`.`apply_position` WHERE task_id = '" + spec_.id + "'");
    } catch (...) {
      // Best effort: the row only matters to a task of this id, which never runs again.
    }
    fs::remove_all(dir_);
  }

  void start(const std::string& failpoint = "") {
    // Each run logs to its own file, so "streaming" means this run is streaming.
    ++runs_;
    pid_ = test::spawn_tideway_run((dir_ / "task.yaml").string(), data_dir(),
                                   log_path(runs_).string(), failpoint, true);
  }

  /// Waits up to `seconds` for the process to end.
  std::optional<Exit> wait(int seconds) { return test::wait_for_exit(pid_, seconds); }
  void signal(int sig) { ::kill(pid_, sig); }

  /// Waits until the current run has finished its load and reads the binlog.
  bool wait_streaming(int seconds = 180) {
    for (int i = 0; i < seconds * 10; ++i) {
      if (log().find("component=my.stream msg=streaming ") != std::string::npos) return true;
      if (pid_ == 0) return false;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  /// Commits marker n on the source and waits until the target has it.
  bool sync(int n, int seconds = 180) {
    db_.source_sql("INSERT INTO marker VALUES (" + std::to_string(n) + ")");
    const std::string q =
        "SELECT COUNT(*) FROM `" + db_.name() + "`.marker WHERE n = " + std::to_string(n);
    for (int i = 0; i < seconds * 20; ++i) {
      try {
        if (db_.target_value(q) == "1") return true;
      } catch (const std::exception&) {
        // The table may not exist on the target yet.
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  /// The current run's log (all runs' with `all`).
  std::string log(bool all = false) const {
    std::string out;
    for (int r = all ? 1 : runs_; r <= runs_; ++r) {
      std::ifstream in(log_path(r));
      out += std::string(std::istreambuf_iterator<char>(in), {});
    }
    return out;
  }

  /// The checkpoint in the state store (the process must not be running).
  std::optional<BinlogPosition> checkpoint() const {
    auto store = storage::StateStore::open_read_only(data_dir());
    if (!store.ok()) return std::nullopt;
    replication::LoadStateStore state(**store, spec_.id);
    auto c = state.load_checkpoint();
    if (!c.ok() || !c->has_value()) return std::nullopt;
    return BinlogPosition::parse(**c);
  }
  std::optional<BinlogPosition> start_position() const {
    auto store = storage::StateStore::open_read_only(data_dir());
    if (!store.ok()) return std::nullopt;
    replication::LoadStateStore state(**store, spec_.id);
    auto t = state.load_task();
    if (!t.ok() || !t->has_value()) return std::nullopt;
    return BinlogPosition::parse((*t)->start_position);
  }

  const replication::TaskSpec& spec() const { return spec_; }

 private:
  std::string data_dir() const { return (dir_ / "data").string(); }
  fs::path log_path(int run) const { return dir_ / ("run" + std::to_string(run) + ".log"); }

  test::MyTestDb& db_;
  fs::path dir_;
  replication::TaskSpec spec_;
  pid_t pid_ = 0;
  int runs_ = 0;
};

void seed(test::MyTestDb& db) {
  db.source_sql(R"(
    CREATE TABLE accounts (id INT PRIMARY KEY, balance BIGINT NOT NULL, note VARCHAR(40),
                           updated DATETIME(6)) ENGINE=InnoDB;
    CREATE TABLE ledger (account INT, amount BIGINT, memo VARCHAR(20)) ENGINE=InnoDB;
    CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(20)) ENGINE=InnoDB;
    CREATE TABLE child (id INT PRIMARY KEY, parent_id INT NOT NULL, qty INT,
                        FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE)
                        ENGINE=InnoDB;
    CREATE TABLE marker (n INT PRIMARY KEY) ENGINE=InnoDB;
    INSERT INTO accounts SELECT seq, 1000, CONCAT('a', seq), '2020-01-01 00:00:00.000001'
      FROM seq_1_to_12000;
    INSERT INTO ledger SELECT seq % 100, seq, 'seed' FROM seq_1_to_6000;
    INSERT INTO parent SELECT seq, CONCAT('p', seq) FROM seq_1_to_3000;
    INSERT INTO child SELECT seq, 1 + seq % 3000, seq FROM seq_1_to_6000;)");
}

/// Source transactions of mixed changes on every table, one every few milliseconds
/// until stopped, on its own connection: updates spanning all chunks, new and deleted
/// keys, duplicate rows in the keyless table (and an update of one of two equal rows),
/// and parents deleted so their children cascade away on the source only.
class Writer {
 public:
  Writer(const std::string& database, int first) : database_(database), next_(first) {
    thread_ = std::thread([this] { run(); });
  }
  ~Writer() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int transactions() const { return done_; }
  const std::string& error() const { return error_; }

 private:
  void run() {
    try {
      auto conn = test::admin_connection(true);
      test::run_sql(*conn, "USE `" + database_ + "`");
      while (!stop_) {
        const int k = next_++;
        const std::string ks = std::to_string(k);
        test::run_sql(
            *conn,
            "START TRANSACTION;"
            "UPDATE accounts SET balance = balance - 7, updated = NOW(6) WHERE id % 97 = " +
                std::to_string(k % 97) +
                ";"
                "INSERT INTO accounts (id, balance, note, updated) VALUES (" +
                std::to_string(100000 + k) +
                ", 7, 'new', NOW(6));"
                "DELETE FROM accounts WHERE id = " +
                std::to_string(1 + (k * 7) % 12000) +
                ";"
                "INSERT INTO ledger (account, amount, memo) VALUES (" +
                ks + ", 7, 'dup'), (" + ks +
                ", 7, 'dup');"
                "UPDATE ledger SET amount = amount + 1 WHERE account = " +
                ks +
                " LIMIT 1;"
                "DELETE FROM parent WHERE id = " +
                std::to_string(1 + (k * 13) % 3000) +
                ";"
                "INSERT INTO parent (id, name) VALUES (" +
                std::to_string(10000 + k) +
                ", 'new');"
                "INSERT INTO child (id, parent_id, qty) VALUES (" +
                std::to_string(100000 + k) + ", " + std::to_string(10000 + k) + ", " + ks +
                ");"
                "COMMIT");
        ++done_;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }

  std::string database_;
  std::atomic<int> next_;
  std::atomic<bool> stop_{false};
  std::atomic<int> done_{0};
  std::string error_;
  std::thread thread_;
};

void require_identical(test::MyTestDb& db) {
  test::require_identical(db, kTables);
  // The keyless table's rows come in equal pairs from the writer; a replayed or lost
  // insert would leave an odd count somewhere (the comparison above catches it too, but
  // this names the failure).
  const std::string q = "SELECT COUNT(*) FROM (SELECT account FROM `" + db.name() +
                        "`.ledger WHERE memo = 'dup' GROUP BY account HAVING COUNT(*) <> 2) x";
  CHECK(db.target_value(q) == "0");
  // No orphans: the target removed the children of every parent the source deleted.
  CHECK(db.target_value("SELECT COUNT(*) FROM `" + db.name() + "`.child c LEFT JOIN `" + db.name() +
                        "`.parent p ON p.id = c.parent_id WHERE p.id IS NULL") == "0");
}

enum class Phase { kLoad, kStream };

/// Runs the crash scenario for one failpoint. `ddl`: an ALTER TABLE ADD COLUMN and a
/// RENAME TABLE of an extra table are issued once the stream runs (the failpoint
/// my_apply.after_ddl is reached by the first of them).
void crash_and_recover(const std::string& failpoint, Phase phase, bool ddl = false) {
  test::MyTestDb db("my_crash");
  TidewayRun run(db);
  seed(db);
  if (ddl) db.source_sql("CREATE TABLE scratch (id INT PRIMARY KEY, v INT)");

  Writer writer(db.name(), 1);
  run.start(failpoint);
  if (phase == Phase::kStream) {
    INFO(run.log());
    REQUIRE(run.wait_streaming());
  }
  if (ddl) {
    // The writer's first transactions are checkpointed before the DDL comes, so the
    // crash right after the DDL finds a checkpoint behind it (on a busy machine the
    // stream may still be starting when it says it streams).
    for (int i = 0; i < 600 && !run.checkpoint(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(run.checkpoint().has_value());
    db.source_sql("ALTER TABLE accounts ADD COLUMN flag TINYINT NOT NULL DEFAULT 3");
    db.source_sql("RENAME TABLE scratch TO scratch_renamed");
    db.source_sql("INSERT INTO scratch_renamed VALUES (1, 1)");
  }
  auto died = run.wait(240);
  REQUIRE(died.has_value());
  INFO(run.log());
  REQUIRE(died->killed);
  REQUIRE(run.log().find("failpoint reached; killing the process") != std::string::npos);
  const auto at_crash = run.checkpoint();
  if (phase == Phase::kStream) REQUIRE(at_crash.has_value());

  // The source keeps writing while tideway is down; then the restart (without the
  // failpoint) catches up with writes still running.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  run.start();
  {
    INFO(run.log());
    REQUIRE(run.wait_streaming());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  writer.stop();
  REQUIRE(writer.error().empty());
  REQUIRE(writer.transactions() > 0);
  {
    INFO(run.log());
    REQUIRE(run.sync(1));
  }
  run.signal(SIGTERM);
  auto stopped = run.wait(60);
  REQUIRE(stopped.has_value());
  INFO(run.log(true));
  CHECK(stopped->code == 0);

  require_identical(db);
  if (phase == Phase::kLoad) {
    // The restart copied the unfinished chunks at new snapshots and handed off through
    // their windows.
    CHECK(run.log(true).find("resuming full load at new snapshots") != std::string::npos);
    CHECK(run.log(true).find("msg=\"handoff window\"") != std::string::npos);
  }
  if (ddl) {
    CHECK(db.target_value("SELECT COUNT(*) FROM `" + db.name() + "`.accounts WHERE flag = 3") ==
          db.source_value("SELECT COUNT(*) FROM accounts"));
    CHECK(db.target_value("SELECT COUNT(*) FROM `" + db.name() + "`.scratch_renamed") == "1");
  }
  // The checkpoint is what the target holds, and past where the stream started (and
  // past where it was at the crash).
  const auto checkpoint = run.checkpoint();
  const auto start = run.start_position();
  REQUIRE(checkpoint.has_value());
  REQUIRE(start.has_value());
  const auto applied = BinlogPosition::parse(db.target_value(
      "SELECT position FROM `_tideway`.`apply_position` WHERE task_id = '" + run.spec().id + "'"));
  REQUIRE(applied.has_value());
  CHECK(*checkpoint == *applied);
  CHECK(*start < *checkpoint);
  if (at_crash) CHECK(*at_crash < *checkpoint);
}

}  // namespace

TEST_CASE("MariaDB: kill -9 in the middle of a chunk copy") {
  crash_and_recover("load.mid_chunk:3", Phase::kLoad);
}

TEST_CASE("MariaDB: kill -9 after a chunk's target commit, before its record") {
  crash_and_recover("load.after_chunk_commit:4", Phase::kLoad);
}

TEST_CASE("MariaDB: kill -9 in the middle of a stream transaction") {
  // Far enough into the stream that earlier batches have committed and checkpointed.
  crash_and_recover("my_apply.mid_batch:30000", Phase::kStream);
}

TEST_CASE("MariaDB: kill -9 after a target commit, before the checkpoint") {
  crash_and_recover("my_apply.after_target_commit:2", Phase::kStream);
}

TEST_CASE("MariaDB: kill -9 right after a DDL was applied") {
  crash_and_recover("my_apply.after_ddl:1", Phase::kStream, true);
}
