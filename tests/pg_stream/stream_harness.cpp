#include "tests/pg_stream/stream_harness.h"

#include <catch2/catch.hpp>

#include <chrono>

#include "replication/postgres/pg_full_load.h"

namespace tideway::test {


StreamHarness::StreamHarness(PgTestDb& db, const std::string& task_id)
    : db_(db), spec_(db.task_spec(task_id)) {
  spec_.mode = replication::TaskMode::kFullLoadAndCdc;
  char tmpl[] = "/tmp/tideway_stream_test_XXXXXX";
  dir_ = ::mkdtemp(tmpl);
  reopen_store();
  db_.source_sql("CREATE TABLE IF NOT EXISTS stream_marker (n int PRIMARY KEY)");
}

StreamHarness::~StreamHarness() {
  if (thread_.joinable()) (void)stop_stream();
  store_.reset();
  std::filesystem::remove_all(dir_);
}

void StreamHarness::reopen_store() {
  store_.reset();
  auto s = storage::StateStore::open(dir_.string());
  REQUIRE(s.ok());
  store_ = std::move(s).value();
}

void StreamHarness::full_load() {
  // The publication an operator creates for the task, with every table in public.
  auto tables = db_.source_value(
      "SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') FROM pg_tables "
      "WHERE schemaname = 'public'");
  db_.source_sql("DROP PUBLICATION IF EXISTS " + spec_.postgres.publication_name +
                 "; CREATE PUBLICATION " + spec_.postgres.publication_name + " FOR TABLE " +
                 tables);
  replication::LoadProgress progress;
  std::atomic<bool> no_stop{false};
  auto r = replication::postgres::run_full_load(spec_, *store_, progress, no_stop);
  if (!r.ok()) FAIL(r.error().message);
}

void StreamHarness::start_stream(replication::postgres::StreamOptions options) {
  stop_ = false;
  ended_ = false;
  result_.reset();
  thread_ = std::thread([this, options] {
    result_ = replication::postgres::run_stream(spec_, *store_, status_, stop_, options);
    ended_ = true;
  });
}

Status StreamHarness::stop_stream() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return result_.value_or(Status());
}

bool StreamHarness::sync(int seconds) {
  const int n = ++marker_;
  db_.source_sql("INSERT INTO stream_marker VALUES (" + std::to_string(n) + ")");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline && !ended_) {
    if (db_.target_value("SELECT count(*) FROM stream_marker WHERE n = " + std::to_string(n)) ==
        "1") {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace tideway::test
