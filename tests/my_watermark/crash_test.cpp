// kill -9 of `tideway run` in the middle of a watermark-snapshot chunk (and right after
// one's target commit), with the application writing: the restart redoes only the unfinished chunks (each at new
// watermarks), the stream takes over from the first run's start, and every table ends
// identical to the source, no row twice.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "replication/mysql/my_connection.h"
#include "tests/my_full_load/my_test_db.h"
#include "tests/my_watermark/source_writer.h"
#include "tests/support/sandbox_env.h"
#include "tests/support/tideway_process.h"

using namespace tideway;
namespace fs = std::filesystem;

namespace {

using Exit = test::ProcessExit;

// One `tideway run` process on a task file for the sandbox pair.
class TidewayRun {
 public:
  TidewayRun(test::MyTestDb& db, const test::SourceUser& user, const std::string& signal_table)
      : id_(db.task_prefix() + "-crash") {
    char tmpl[] = "/tmp/tideway_mywm_crash_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    const auto source = test::MyTestDb::endpoint(true, db.name(), false);
    const auto target = test::MyTestDb::endpoint(false, db.name(), false);
    std::ofstream(dir_ / "task.yaml")
        << "id: " << id_ << "\n"
        << "source: {engine: mariadb, host: " << source.host << ", port: " << source.port
        << ", database: " << db.name() << ", user: " << user.name()
        << ", password_file: " << user.password_file() << "}\n"
        << "target: {engine: mariadb, host: " << target.host << ", port: " << target.port
        << ", database: " << db.name() << ", user: " << target.user
        << ", password_file: " << target.password_file << "}\n"
        << "tables: {include: [\"" << db.name() << ".*\"]}\n"
        << "mode: full_load_and_cdc\n"
        << "full_load: {workers: 2, chunk_rows: 500}\n"
        << "mysql: {snapshot: watermark, signal_table: " << signal_table << "}\n";
  }
  ~TidewayRun() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    fs::remove_all(dir_);
  }
  const std::string& id() const { return id_; }

  void start(const std::string& failpoint = "") {
    pid_ = test::spawn_tideway_run((dir_ / "task.yaml").string(), (dir_ / "data").string(),
                                   (dir_ / "run.log").string(), failpoint, false);
  }

  /// Waits up to `seconds` (0: just looks) for the process to end.
  std::optional<Exit> wait(int seconds) { return test::wait_for_exit(pid_, seconds); }
  void signal(int sig) { ::kill(pid_, sig); }

  std::string log() const {
    std::ifstream in(dir_ / "run.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::string id_;
  fs::path dir_;
  pid_t pid_ = 0;
};

// chunk -> recorded position, of the task's markers on the target.
std::map<std::string, std::string> chunk_markers(test::MyTestDb& db, const std::string& task) {
  auto r = db.target_admin().query(
      "SELECT CONCAT(table_name, '#', chunk), COALESCE(snapshot, '') FROM "
      "`_tideway`.`load_chunks` WHERE task_id = '" + task + "'");
  if (!r.ok()) throw std::runtime_error(r.error().message);
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i < r->size(); ++i) out[r->text(i, 0)] = r->text(i, 1);
  return out;
}

}  // namespace

TEST_CASE("Watermark snapshot: kill -9 mid-chunk, restart: only unfinished chunks again, identical") {
  // Mid-chunk (its first INSERT batch on the target, uncommitted), and between a chunk's
  // target commit and its state-store record (the restart finds it by its marker).
  const std::string failpoint = GENERATE(as<std::string>(), "load.mid_chunk:6",
                                         "load.after_chunk_commit:5");
  INFO(failpoint);
  test::MyTestDb db("my_wmcrash");
  constexpr int kRows = 8000;
  test::SourceWriter::create_tables(db, kRows);
  const std::string signal_db = db.name() + "_sig";
  struct DropSignal {
    std::string database;
    ~DropSignal() {
      try {
        test::admin_connection(true)->execute("DROP DATABASE IF EXISTS `" + database + "`")
            .ignore_error();
      } catch (...) {
      }
    }
  } drop_signal{signal_db};
  std::random_device rd;
  test::SourceUser user(
      "tw_wmc_" + std::to_string(rd() % 1000000),
      {"GRANT SELECT, SHOW VIEW, TRIGGER, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO {user}",
       "GRANT CREATE, INSERT, UPDATE ON `" + signal_db + "`.* TO {user}"});
  TidewayRun run(db, user, signal_db + ".tideway_signal");

  test::SourceWriter writer(db, kRows, 2);
  writer.wait_for(100);
  run.start(failpoint);
  const auto first = run.wait(240);
  REQUIRE(first);
  INFO(run.log());
  REQUIRE(first->killed);
  const auto before = chunk_markers(db, run.id());
  CHECK(before.size() >= 4);  // the chunks committed before the kill (2 workers)
  const auto total_chunks = std::stoi(db.source_value("SELECT CEIL(COUNT(*) / 500) FROM accounts"));
  REQUIRE(static_cast<int>(before.size()) < total_chunks);

  // The restart resumes the load and goes on streaming; the application keeps writing.
  run.start();
  const std::string applied =
      "SELECT COUNT(*) FROM `_tideway`.`apply_position` WHERE task_id = '" + run.id() + "'";
  bool streaming = false;
  std::optional<Exit> ended;
  for (int i = 0; i < 240 * 10 && !ended; ++i) {
    // The stream's first commit writes its position: the load is over by then.
    if (db.target_value("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                        "'_tideway' AND TABLE_NAME = 'apply_position'") == "1" &&
        db.target_value(applied) == "1") {
      streaming = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ended = run.wait(0);
  }
  REQUIRE_FALSE(ended);
  REQUIRE(streaming);
  writer.wait_for(200);
  const auto writer_error = writer.stop();
  REQUIRE_FALSE(writer_error);
  db.source_sql("INSERT INTO marker VALUES (1)");
  bool synced = false;
  for (int i = 0; i < 180 * 20 && !ended; ++i) {
    if (db.target_value("SELECT COUNT(*) FROM `" + db.name() + "`.marker WHERE n = 1") == "1") {
      synced = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ended = run.wait(0);
  }
  REQUIRE_FALSE(ended);
  REQUIRE(synced);
  run.signal(SIGTERM);
  const auto second = run.wait(60);
  REQUIRE(second);
  CHECK(second->code == 0);

  for (const std::string name : {"accounts", "pairs", "marker"}) {
    INFO(name);
    CHECK(db.source_rows(name) == db.target_rows(name));
  }
  // Chunks committed before the kill were not copied again (same recorded position);
  // the rest were, each at a newer one of its own.
  const auto after = chunk_markers(db, run.id());
  for (const auto& [chunk, position] : before) {
    INFO(chunk);
    REQUIRE(after.count(chunk) == 1);
    CHECK(after.at(chunk) == position);
  }
  CHECK(after.size() > before.size());
  auto signal_rows = db.source_admin().query(
      "SELECT CONCAT(table_name, '#', chunk), high_position FROM `" + signal_db +
      "`.tideway_signal WHERE task_id = '" + run.id() + "'");
  REQUIRE(signal_rows.ok());
  std::map<std::string, std::string> high;
  for (std::size_t i = 0; i < signal_rows->size(); ++i) {
    high[signal_rows->text(i, 0)] = signal_rows->text(i, 1);
  }
  for (const auto& [chunk, position] : after) {
    INFO(chunk);
    CHECK(high[chunk] == position);
  }
}
