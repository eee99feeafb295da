// kill -9 of `tideway run` at the points where a crash could lose or duplicate data:
// mid-chunk, after a chunk's target commit but before its state-store record, mid-batch
// in the stream, and after a stream commit but before its checkpoint; plus a plain
// external kill -9 while the source is writing. After each, a restart must leave the
// target identical to the source, with no duplicate row and the slot advanced.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "replication/core/lsn.h"
#include "tests/support/require_identical.h"
#include "tests/support/pg_test_db.h"
#include "tests/support/sandbox_env.h"
#include "tests/support/tideway_process.h"

using namespace tideway;
namespace fs = std::filesystem;

namespace {

using Exit = test::ProcessExit;

class TidewayRun {
 public:
  /// `postgresql_extra`: more keys for the task's postgresql section (", key: value").
  TidewayRun(test::PgTestDb& db, const std::string& id, const std::string& postgresql_extra = "")
      : db_(db) {
    char tmpl[] = "/tmp/tideway_crash_test_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    spec_ = db.task_spec(id);
    std::ofstream(dir_ / "task.yaml")
        << "id: " << id << "\n"
        << "source: {engine: postgresql, host: " << spec_.source.host << ", port: "
        << spec_.source.port << ", database: " << spec_.source.database << ", user: "
        << spec_.source.user << ", password_file: " << spec_.source.password_file << "}\n"
        << "target: {engine: postgresql, host: " << spec_.target.host << ", port: "
        << spec_.target.port << ", database: " << spec_.target.database << ", user: "
        << spec_.target.user << ", password_file: " << spec_.target.password_file << "}\n"
        << "tables: {include: [\"public.*\"]}\n"
        << "mode: full_load_and_cdc\n"
        << "full_load: {workers: 2, chunk_rows: 1000}\n"
        << "postgresql: {slot_name: " << spec_.postgres.slot_name
        << ", publication_name: " << spec_.postgres.publication_name << postgresql_extra
        << "}\n";
  }
  ~TidewayRun() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    fs::remove_all(dir_);
  }

  void start(const std::string& failpoint = "") {
    pid_ = test::spawn_tideway_run((dir_ / "task.yaml").string(), (dir_ / "data").string(),
                                   (dir_ / "run.log").string(), failpoint, false);
  }

  /// Waits up to `seconds` for the process to end.
  std::optional<Exit> wait(int seconds) { return test::wait_for_exit(pid_, seconds); }
  void signal(int sig) { ::kill(pid_, sig); }

  /// Waits until the task's stream (after the full load) is reading the slot.
  bool wait_streaming(int seconds = 120) {
    for (int i = 0; i < seconds * 10; ++i) {
      // The stream's own walsender, not the one that creates the slot for the snapshot
      // (that one makes the slot active too, but changes made then are in the copy).
      if (db_.source_value("SELECT count(*) FROM pg_replication_slots s JOIN pg_stat_replication r "
                           "ON r.pid = s.active_pid WHERE s.slot_name = '" +
                           spec_.postgres.slot_name + "' AND r.application_name = "
                           "'tideway-stream'") == "1") {
        return true;
      }
      if (pid_ == 0) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  /// Commits marker n on the source and waits until the target has it.
  bool sync(int n, int seconds = 120) {
    db_.source_sql("INSERT INTO marker VALUES (" + std::to_string(n) + ")");
    for (int i = 0; i < seconds * 20; ++i) {
      if (db_.target_value("SELECT count(*) FROM marker WHERE n = " + std::to_string(n)) == "1") {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::string log() const {
    std::ifstream in(dir_ / "run.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  const replication::TaskSpec& spec() const { return spec_; }
  fs::path data_dir() const { return dir_ / "data"; }

 private:
  test::PgTestDb& db_;
  fs::path dir_;
  replication::TaskSpec spec_;
  pid_t pid_ = 0;
};

void seed(test::PgTestDb& db, const std::string& publication) {
  db.source_sql(R"(
    CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, note text);
    CREATE TABLE ledger (account int, amount bigint);
    ALTER TABLE ledger REPLICA IDENTITY FULL;
    CREATE TABLE marker (n int PRIMARY KEY);
    INSERT INTO accounts SELECT g, 1000, 'a' || g FROM generate_series(1, 12000) g;
    INSERT INTO ledger SELECT g % 100, g FROM generate_series(1, 6000) g;
    ANALYZE;)");
  db.source_sql("CREATE PUBLICATION " + publication + " FOR TABLE accounts, ledger, marker");
}

/// Twenty source transactions of mixed changes, including duplicate rows in the keyless
/// table, so a replayed or lost change shows up in the comparison.
void write_burst(test::PgTestDb& db, int round) {
  for (int i = 0; i < 20; ++i) {
    const int k = round * 100 + i;
    db.source_sql("BEGIN;"
                  "UPDATE accounts SET balance = balance - 7 WHERE id % 20 = " + std::to_string(i) + ";"
                  "INSERT INTO accounts VALUES (" + std::to_string(100000 + k) + ", 7, 'new');"
                  "INSERT INTO ledger VALUES (" + std::to_string(k) + ", 7), (" +
                  std::to_string(k) + ", 7);"
                  "DELETE FROM accounts WHERE id = " + std::to_string(1 + k) + ";"
                  "COMMIT");
  }
}

void require_identical(test::PgTestDb& db) {
  test::require_identical(db, {"accounts", "ledger", "marker"});
}

// The slot was told exactly what the target holds: no more (a lost change), no less
// (WAL held forever).
void require_slot_confirms_applied(test::PgTestDb& db, const TidewayRun& run) {
  const auto confirmed = replication::Lsn::parse(db.source_value(
      "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '" +
      run.spec().postgres.slot_name + "'"));
  const auto applied = replication::Lsn::parse(db.target_value(
      "SELECT end_lsn FROM _tideway.apply_position WHERE task_id = 'crash'"));
  REQUIRE(confirmed.has_value());
  REQUIRE(applied.has_value());
  CHECK(*confirmed == *applied);
}

/// Runs the crash scenario for one failpoint; `during_stream`: the failpoint is on the
/// stream side, so writes must happen before it can trigger.
void crash_and_recover(const std::string& failpoint, bool during_stream) {
  test::PgTestDb db("crash");
  TidewayRun run(db, "crash");
  seed(db, run.spec().postgres.publication_name);

  run.start(failpoint);
  if (during_stream) {
    REQUIRE(run.wait_streaming());
    write_burst(db, 1);
  }
  auto died = run.wait(180);
  REQUIRE(died.has_value());
  INFO(run.log());
  REQUIRE(died->killed);
  REQUIRE(run.log().find("failpoint reached; killing the process") != std::string::npos);

  // The source keeps writing while tideway is down. After a load crash these changes
  // fall between the slot's start and the snapshot the restart reads unfinished chunks
  // at: the handoff window, applied idempotently (keyed table) or skipped (keyless
  // table, copied whole again).
  write_burst(db, 5);

  // Restart without the failpoint; writes continue; everything converges.
  run.start();
  REQUIRE(run.wait_streaming());
  write_burst(db, 2);
  REQUIRE(run.sync(1));
  run.signal(SIGTERM);
  auto stopped = run.wait(60);
  REQUIRE(stopped.has_value());
  CHECK(stopped->code == 0);
  require_identical(db);
  if (!during_stream) {
    // The restart read the unfinished chunks at a new snapshot and handed off through
    // the window.
    CHECK(run.log().find("resuming full load at a new snapshot") != std::string::npos);
    CHECK(run.log().find("msg=\"handoff window\"") != std::string::npos);
  }
  // The slot was told what the target holds.
  require_slot_confirms_applied(db, run);
}

}  // namespace

TEST_CASE("kill -9 in the middle of a chunk copy") { crash_and_recover("load.mid_chunk:3", false); }

TEST_CASE("kill -9 after a chunk's target commit, before its record") {
  crash_and_recover("load.after_chunk_commit:4", false);
}

TEST_CASE("kill -9 in the middle of an apply batch") {
  crash_and_recover("apply.mid_batch:30", true);
}

TEST_CASE("kill -9 after a target commit, before the checkpoint") {
  crash_and_recover("apply.after_target_commit:1", true);
}

TEST_CASE("External kill -9 while the source keeps writing") {
  test::PgTestDb db("crash_ext");
  TidewayRun run(db, "crash");
  seed(db, run.spec().postgres.publication_name);
  run.start();
  REQUIRE(run.wait_streaming());
  write_burst(db, 1);
  REQUIRE(run.sync(1));
  std::thread writer([&] { write_burst(db, 2); });
  run.signal(SIGKILL);
  writer.join();
  auto died = run.wait(30);
  REQUIRE(died.has_value());
  CHECK(died->killed);
  run.start();
  REQUIRE(run.wait_streaming());
  write_burst(db, 3);
  REQUIRE(run.sync(2));
  run.signal(SIGTERM);
  REQUIRE(run.wait(60).has_value());
  require_identical(db);
}

TEST_CASE("kill -9 while a streamed transaction is spooled, then the restart receives it whole") {
  test::PgTestDb db("crash_spool");
  // The server streams every transaction of more than a few rows while it runs.
  TidewayRun run(db, "crash", ", logical_decoding_work_mem: 64kB");
  seed(db, run.spec().postgres.publication_name);
  run.start();
  REQUIRE(run.wait_streaming());
  REQUIRE(run.sync(1));

  auto open = db.new_source_admin();
  auto exec = [&](const std::string& sql) {
    auto r = open->exec(sql);
    if (!r.ok()) FAIL(r.error().message);
    return r->rows() > 0 ? r->text(0, 0) : std::string();
  };
  exec("BEGIN");
  const std::string xid = exec("SELECT pg_current_xact_id()::xid");
  exec("INSERT INTO accounts SELECT g, 1, md5(g::text) FROM generate_series(200001, 260000) g");
  exec("UPDATE accounts SET balance = balance + 1 WHERE id > 250000");  // its own rows
  const fs::path spool = run.data_dir() / "spool" / "crash";
  const fs::path file = spool / ("xid-" + xid + ".spool");
  bool spooled = false;
  for (int i = 0; i < 1200 && !spooled; ++i) {
    spooled = fs::exists(file) && fs::file_size(file) > 0;
    if (!spooled) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(run.log());
  REQUIRE(spooled);
  write_burst(db, 1);  // ordinary transactions commit while it is open
  REQUIRE(run.sync(2));
  CHECK(db.target_value("SELECT count(*) FROM accounts WHERE id > 200000") == "0");

  run.signal(SIGKILL);
  auto died = run.wait(30);
  REQUIRE(died.has_value());
  REQUIRE(died->killed);
  CHECK(fs::exists(file));  // what a killed process leaves behind

  exec("DELETE FROM accounts WHERE id BETWEEN 200001 AND 200100");
  exec("COMMIT");
  run.start();
  REQUIRE(run.wait_streaming());
  CHECK_FALSE(fs::exists(file));  // emptied before the stream started
  write_burst(db, 2);
  REQUIRE(run.sync(3, 300));
  run.signal(SIGTERM);
  auto stopped = run.wait(60);
  REQUIRE(stopped.has_value());
  CHECK(stopped->code == 0);
  CHECK_FALSE(fs::exists(spool));
  require_identical(db);
  CHECK(db.target_value("SELECT count(*) FROM accounts WHERE id > 200000") == "59900");
  require_slot_confirms_applied(db, run);
}
