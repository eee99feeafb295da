// The live write-rate sample against a known load: a thread inserts rows, each stamped by
// the server's clock, before, during and after the sample. The real rate is the number
// of rows stamped inside the sample window the report names, divided by that window, so
// nothing depends on how fast this machine happens to run.
#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "assess/assess.h"
#include "tests/assess/assess_test_util.h"
#include "tests/my_full_load/my_test_db.h"
#include "tests/support/pg_test_db.h"
#include "tests/support/sandbox_env.h"

namespace tideway::test {
namespace {

// "2026-11-27T09:20:00.123456Z" -> "2026-11-27 09:20:00.123456" (SQL literal text).
std::string sql_time(std::string iso) {
  if (iso.size() > 10 && iso[10] == 'T') iso[10] = ' ';
  if (!iso.empty() && iso.back() == 'Z') iso.pop_back();
  return iso;
}

void check_within_20_percent(double reported, double real) {
  INFO("reported " << reported << " rows/s, real " << real << " rows/s");
  REQUIRE(real > 0);
  CHECK(reported >= real * 0.8);
  CHECK(reported <= real * 1.2);
}

}  // namespace

TEST_CASE("MariaDB write rate: within 20% of a known load", "[assess][mysql][rate]") {
  MyTestDb db("assess_myrate");
  db.source_sql("CREATE TABLE load_rows (id BIGINT PRIMARY KEY AUTO_INCREMENT, "
                "ts DATETIME(6) NOT NULL DEFAULT NOW(6), v INT)");
  std::atomic<bool> stop{false};
  std::atomic<long> written{0};
  std::string load_error;
  std::thread load([&] {
    try {
      auto conn = replication::mysql::MyConnection::connect(
          MyTestDb::endpoint(true, db.name(), true), {});
      if (!conn.ok()) throw std::runtime_error(conn.error().message);
      while (!stop) {
        run_sql(**conn, "INSERT INTO load_rows (v) VALUES (1)");  // autocommit: one row each
        ++written;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    } catch (const std::exception& e) {
      load_error = e.what();
    }
  });
  while (written < 50 && load_error.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));

  assess::AssessOptions o;
  o.source = MyTestDb::endpoint(true, db.name(), false);
  o.sample_seconds = 4;
  auto a = assess::run_assessment(o);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the load outlasts the window
  stop = true;
  load.join();
  REQUIRE(load_error.empty());
  REQUIRE(a.ok());

  const auto& act = a->activity;
  const std::string in_window = db.source_value(
      "SELECT COUNT(*) FROM load_rows WHERE ts >= '" + sql_time(act.started_at) +
      "' AND ts < '" + sql_time(act.ended_at) + "'");
  const double real = std::stod(in_window) / act.sample_seconds;
  INFO("window " << act.started_at << " .. " << act.ended_at << " (" << act.sample_seconds
                 << " s), rows in it " << in_window << ", method: " << act.method);
  // MariaDB's counters are server-wide, and other tests write to the same sandbox server
  // at the same time: the overall figure can only be held to a lower bound here. The
  // table's own figure is the exact one.
  INFO("overall: reported " << act.inserts_per_second << " rows/s, real " << real);
  CHECK(act.inserts_per_second >= real * 0.8);
  // The table itself is in the per-table list, at the known rate.
  REQUIRE_FALSE(act.top_tables.empty());
  const assess::TableActivity* mine = nullptr;
  for (const auto& t : act.top_tables) {
    if (t.table == db.name() + ".load_rows") mine = &t;
  }
  REQUIRE(mine != nullptr);
  check_within_20_percent(mine->rows_per_second, real);
  CHECK(act.log_bytes_per_second > 0);
}

TEST_CASE("PostgreSQL write rate: within 20% of a known load", "[assess][pg][rate]") {
  PgTestDb db("assess_pgrate");
  db.source_sql("CREATE TABLE load_rows (id bigserial PRIMARY KEY, "
                "ts timestamptz NOT NULL DEFAULT clock_timestamp(), v int)");
  std::atomic<bool> stop{false};
  std::atomic<long> written{0};
  std::string load_error;
  std::thread load([&] {
    try {
      auto spec = db.task_spec("rate");
      replication::Endpoint admin = spec.source;
      admin.user = sandbox_setting("TIDEWAY_PG_SOURCE_ADMIN_USER");
      admin.password_file = sandbox_setting("TIDEWAY_PG_SOURCE_ADMIN_PASSWORD_FILE");
      auto conn = replication::postgres::PgConnection::connect(admin);
      if (!conn.ok()) throw std::runtime_error(conn.error().message);
      while (!stop) {
        auto r = (*conn)->exec("INSERT INTO load_rows (v) VALUES (1)");
        if (!r.ok()) throw std::runtime_error(r.error().message);
        ++written;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    } catch (const std::exception& e) {
      load_error = e.what();
    }
  });
  while (written < 50 && load_error.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));

  assess::AssessOptions o;
  o.source = db.task_spec("rate").source;
  // Backends report their counters about once a second: a 10-second window keeps the
  // report's edges small against the whole.
  o.sample_seconds = 10;
  auto a = assess::run_assessment(o);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  stop = true;
  load.join();
  REQUIRE(load_error.empty());
  REQUIRE(a.ok());

  const auto& act = a->activity;
  const std::string in_window = db.source_value(
      "SELECT count(*) FROM load_rows WHERE ts >= '" + act.started_at + "' AND ts < '" +
      act.ended_at + "'");
  const double real = std::stod(in_window) / act.sample_seconds;
  INFO("window " << act.started_at << " .. " << act.ended_at << " (" << act.sample_seconds
                 << " s), rows in it " << in_window);
  check_within_20_percent(act.inserts_per_second, real);
  REQUIRE_FALSE(act.top_tables.empty());
  CHECK(act.top_tables[0].table == "public.load_rows");
  CHECK(act.log_bytes_per_second > 0);
}

}  // namespace tideway::test
