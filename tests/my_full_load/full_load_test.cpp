// MySQL/MariaDB full load against the real sandbox servers: schema objects recreated
// (indexes, foreign keys, CHECKs, views, triggers, routines, AUTO_INCREMENT counters),
// every row identical, and a stopped load resumed without copying any chunk twice.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "replication/core/load_state.h"
#include "replication/mysql/my_full_load.h"
#include "storage/state_store.h"
#include "tests/support/require_identical.h"
#include "tests/my_full_load/my_test_db.h"

using namespace tideway;
using namespace tideway::replication;
namespace fs = std::filesystem;

namespace {

using test::require_identical;

struct TempStore {
  fs::path dir;
  std::unique_ptr<storage::StateStore> store;
  TempStore() {
    char tmpl[] = "/tmp/tideway_myload_test_XXXXXX";
    dir = ::mkdtemp(tmpl);
    reopen();
  }
  void reopen() {
    store.reset();
    auto s = storage::StateStore::open(dir.string());
    if (!s.ok()) FAIL(s.error().message);
    store = std::move(s).value();
  }
  ~TempStore() {
    store.reset();
    fs::remove_all(dir);
  }
};

const std::vector<std::string> kShopTables = {"customers", "orders", "items", "tags", "events",
                                              "counters"};

void seed_shop(test::MyTestDb& db) {
  db.source_sql(R"(
    CREATE TABLE customers (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
                            email VARCHAR(100) NOT NULL, name VARCHAR(100),
                            UNIQUE KEY email (email), KEY name (name)) ENGINE=InnoDB;
    CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_id INT UNSIGNED NOT NULL,
                         total DECIMAL(12,2) NOT NULL, created DATETIME(6) NOT NULL, note TEXT,
                         KEY customer (customer_id), FULLTEXT KEY note_ft (note),
                         CONSTRAINT orders_customer FOREIGN KEY (customer_id)
                           REFERENCES customers (id) ON DELETE CASCADE,
                         CONSTRAINT total_positive CHECK (total >= 0)) ENGINE=InnoDB;
    CREATE TABLE items (order_id BIGINT NOT NULL, line INT NOT NULL, sku VARCHAR(20) NOT NULL,
                        qty INT, PRIMARY KEY (order_id, line),
                        CONSTRAINT items_order FOREIGN KEY (order_id) REFERENCES orders (id))
                        ENGINE=InnoDB;
    CREATE TABLE tags (name VARCHAR(40) PRIMARY KEY, color CHAR(6)) ENGINE=InnoDB;
    CREATE TABLE events (seq INT NOT NULL, kind VARCHAR(10), payload VARBINARY(64)) ENGINE=InnoDB;
    CREATE TABLE counters (k INT NOT NULL, id INT NOT NULL AUTO_INCREMENT, PRIMARY KEY (k, id),
                           KEY id (id)) ENGINE=InnoDB;
    CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 500;
    CREATE VIEW big_order_count AS SELECT COUNT(*) AS n FROM big_orders;
    CREATE TRIGGER orders_note BEFORE INSERT ON orders FOR EACH ROW
      SET NEW.note = COALESCE(NEW.note, 'none');
    CREATE PROCEDURE order_count(OUT n INT) SELECT COUNT(*) INTO n FROM orders;
    CREATE FUNCTION double_it(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;
    INSERT INTO customers (email, name)
      SELECT CONCAT('c', seq, '@example.com'), CONCAT('name ', seq) FROM seq_1_to_5000;
    INSERT INTO orders (customer_id, total, created, note)
      SELECT 1 + seq % 5000, seq % 1000, DATE_ADD('2024-01-01', INTERVAL seq SECOND),
             IF(seq % 3 = 0, NULL, CONCAT('note ', seq)) FROM seq_1_to_20000;
    DELETE FROM orders WHERE id > 19990;
    INSERT INTO items SELECT 1 + seq DIV 3, seq % 3, CONCAT('sku', seq), seq FROM seq_0_to_23999;
    INSERT INTO tags SELECT CONCAT('tag', seq), 'ff0000' FROM seq_1_to_3000;
    INSERT INTO events SELECT seq, 'kind', UNHEX(SHA2(seq, 256)) FROM seq_1_to_12000;
    INSERT INTO events SELECT seq, 'dup', NULL FROM seq_1_to_100;
    INSERT INTO events SELECT seq, 'dup', NULL FROM seq_1_to_100;
    INSERT INTO counters (k) SELECT seq % 7 FROM seq_1_to_100;
    ANALYZE TABLE customers, orders, items, tags, events, counters;
  )");
}

std::string show_create(test::MyTestDb& db, bool source, const std::string& table) {
  auto& conn = source ? db.source_admin() : db.target_admin();
  auto r = conn.query("SHOW CREATE TABLE `" + db.name() + "`.`" + table + "`");
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return r->text(0, 1);
}

std::string done_key(const std::string& task, const std::string& table, int chunk) {
  return fmt::format("{}/done/{}/{:08d}", task, table, chunk);
}

}  // namespace

TEST_CASE("A MySQL full load recreates the schema and copies every row exactly") {
  // Triggers and functions on a target that logs a binlog, without SUPER.
  test::ScopedTargetGlobal trust("log_bin_trust_function_creators", "1");
  test::MyTestDb db("my_shop");
  seed_shop(db);
  TempStore store;
  TaskSpec spec = db.task_spec();
  spec.full_load.workers = 3;
  spec.full_load.chunk_rows = 2000;
  LoadProgress progress;
  std::atomic<bool> stop{false};
  auto result = mysql::run_mysql_full_load(spec, *store.store, progress, stop);
  if (!result.ok()) FAIL(result.error().message);
  CHECK(result->tables == 6);
  CHECK(result->rows == 5000 + 19990 + 24000 + 3000 + 12200 + 100);
  CHECK(result->chunks_skipped == 0);
  CHECK(result->start_position.empty());  // full_load: no stream to start
  require_identical(db, kShopTables);

  // The tables are defined exactly as on the source: columns, keys, foreign keys,
  // CHECK constraints and AUTO_INCREMENT counters.
  for (const auto& t : kShopTables) {
    INFO("table " << t);
    CHECK(show_create(db, false, t) == show_create(db, true, t));
  }
  // AUTO_INCREMENT counters are the source's (bulk inserts reserve ids ahead, so they
  // lie past max(id) + 1 there: not recomputed from the data).
  const std::string in_db = "TABLE_SCHEMA = '" + db.name() + "'";
  for (const std::string table : {"orders", "customers", "counters"}) {
    INFO("table " << table);
    const std::string sql = "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE " + in_db +
                            " AND TABLE_NAME = '" + table + "'";
    const std::string counter = db.source_value(sql);
    CHECK(db.target_value(sql) == counter);
    CHECK(counter != db.source_value("SELECT MAX(id) + 1 FROM " + table));
  }
  CHECK(db.target_value("SELECT GROUP_CONCAT(CONSTRAINT_NAME, ':', DELETE_RULE ORDER BY 1) FROM "
                        "information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = '" +
                        db.name() + "'") == "items_order:RESTRICT,orders_customer:CASCADE");

  // Views (one reads the other), the trigger, the routines.
  CHECK(db.target_value("SELECT n FROM `" + db.name() + "`.big_order_count") ==
        db.source_value("SELECT n FROM big_order_count"));
  CHECK(db.target_value("SELECT GROUP_CONCAT(TRIGGER_NAME, ' ', ACTION_TIMING, ' ', "
                        "EVENT_MANIPULATION, ' ', ACTION_STATEMENT) FROM "
                        "information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '" + db.name() + "'") ==
        "orders_note BEFORE INSERT SET NEW.note = COALESCE(NEW.note, 'none')");
  CHECK(db.target_value("SELECT `" + db.name() + "`.double_it(21)") == "42");
  CHECK(db.target_value("SELECT GROUP_CONCAT(ROUTINE_NAME ORDER BY 1) FROM "
                        "information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '" + db.name() + "'") ==
        "double_it,order_count");
  // Definers could not be kept without SUPER: they are the migration user's now, and
  // each change was reported.
  CHECK(db.target_value("SELECT GROUP_CONCAT(DISTINCT DEFINER) FROM information_schema.VIEWS "
                        "WHERE TABLE_SCHEMA = '" + db.name() + "'") ==
        spec.target.user + "@" + spec.target.host);
  CHECK(result->definers_rewritten.size() == 5);  // 2 views, 1 trigger, 2 routines
  const std::string view_rewrite = fmt::format(
      "view {}.big_orders: DEFINER `{}`@`{}` became CURRENT_USER", db.name(),
      db.source_value("SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)"),
      db.source_value("SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', -1)"));
  CHECK(std::count(result->definers_rewritten.begin(), result->definers_rewritten.end(),
                   view_rewrite) == 1);
  // The keyless table was reported, and nothing else but, when other tests write to the
  // shared source server while the snapshots open (CTest runs suites in parallel), the
  // warning that the chunks may show different moments.
  std::vector<std::string> warnings;
  for (const auto& w : result->warnings) {
    if (w.rfind("the source was written while the workers' snapshots opened", 0) != 0) {
      warnings.push_back(w);
    }
  }
  CHECK(warnings ==
        std::vector<std::string>{fmt::format(
            "table {}.events has no primary key: one worker copies it in one chunk, and the "
            "change stream will find its rows by all columns", db.name())});

  // Plans were stored per table, with the method each key calls for.
  LoadStateStore state(*store.store, spec.id);
  auto plans = state.load_plans();
  REQUIRE(plans.ok());
  const std::string p = db.name() + ".";
  CHECK(plans->at(p + "orders").method == "integer_key");
  CHECK(plans->at(p + "orders").chunks.size() == 10);  // 19990 rows by 2000
  CHECK(plans->at(p + "customers").method == "integer_key");
  CHECK(plans->at(p + "items").method == "key_boundaries");
  CHECK(plans->at(p + "items").chunks.size() == 12);  // 24000 keys, a boundary every 2000
  CHECK(plans->at(p + "tags").method == "key_boundaries");
  CHECK(plans->at(p + "events").method == "no_key");
  CHECK(plans->at(p + "events").chunks.size() == 1);
  auto task = state.load_task();
  REQUIRE(task.ok());
  CHECK((*task)->phase == TaskPhase::kLoaded);
  CHECK(db.target_value("SELECT COUNT(*) FROM _tideway.load_chunks WHERE task_id = '" + spec.id +
                        "'") == std::to_string(result->chunks_copied));

  // A second run finds the load done and copies nothing.
  auto again = mysql::run_mysql_full_load(spec, *store.store, progress, stop);
  REQUIRE(again.ok());
  CHECK(again->chunks_copied == 0);
  CHECK(again->rows == 0);
}

TEST_CASE("A stopped MySQL load resumes with only the unfinished chunks, and no row twice") {
  test::ScopedTargetGlobal trust("log_bin_trust_function_creators", "1");
  test::MyTestDb db("my_resume");
  seed_shop(db);
  TempStore store;
  TaskSpec spec = db.task_spec();
  spec.full_load.workers = 2;
  spec.full_load.chunk_rows = 1000;

  // Stop as soon as a few chunks are done: a stop between rows of a chunk rolls that
  // chunk back, the finished ones stay.
  LoadProgress first_progress;
  std::atomic<bool> stop{false};
  std::atomic<bool> watching{true};
  std::thread watcher([&] {
    while (watching) {
      int done = 0;
      for (const auto& v : first_progress.snapshot()) done += v.chunks_done;
      if (done >= 5) {
        stop = true;
        return;
      }
      std::this_thread::yield();
    }
  });
  auto first = mysql::run_mysql_full_load(spec, *store.store, first_progress, stop);
  watching = false;
  watcher.join();
  REQUIRE_FALSE(first.ok());
  CHECK(first.error().code == ErrorCode::kUnavailable);
  CHECK(first.error().message.find("stopped") != std::string::npos);

  // What the target committed equals what the state store recorded as done.
  LoadStateStore state(*store.store, spec.id);
  auto plans = state.load_plans();
  REQUIRE(plans.ok());
  std::size_t total_chunks = 0, done_chunks = 0;
  std::int64_t done_rows = 0;
  for (const auto& [table, plan] : *plans) {
    total_chunks += plan.chunks.size();
    auto done = state.load_done(table);
    REQUIRE(done.ok());
    done_chunks += done->size();
    for (const auto& [index, chunk] : *done) done_rows += chunk.rows;
  }
  REQUIRE(done_chunks >= 5);
  REQUIRE(done_chunks < total_chunks);
  const std::string markers =
      "SELECT COUNT(*) FROM _tideway.load_chunks WHERE task_id = '" + spec.id + "'";
  CHECK(db.target_value(markers) == std::to_string(done_chunks));
  std::int64_t target_rows = 0;
  for (const auto& t : kShopTables) {
    target_rows +=
        std::stoll(db.target_value("SELECT COUNT(*) FROM `" + db.name() + "`.`" + t + "`"));
  }
  CHECK(target_rows == done_rows);  // nothing of an unfinished chunk stayed behind

  // A crash between the target's commit and the state store's write: forget one done
  // chunk here; the next run must recognise it from the target's marker, not copy it.
  std::string forgotten_table;
  for (const auto& [table, plan] : *plans) {
    auto done = state.load_done(table);
    if (!done->empty() && forgotten_table.empty()) {
      forgotten_table = table;
      REQUIRE(store.store
                  ->remove(storage::Family::kProgress,
                           done_key(spec.id, table, done->begin()->first))
                  .ok());
    }
  }
  REQUIRE_FALSE(forgotten_table.empty());

  store.reopen();  // as after a process restart
  LoadProgress second_progress;
  std::atomic<bool> no_stop{false};
  auto second = mysql::run_mysql_full_load(spec, *store.store, second_progress, no_stop);
  if (!second.ok()) FAIL(second.error().message);
  CHECK(second->chunks_skipped == static_cast<int>(done_chunks));
  CHECK(second->chunks_copied == static_cast<int>(total_chunks - done_chunks));
  CHECK(db.target_value(markers) == std::to_string(total_chunks));
  require_identical(db, kShopTables);
  for (const auto& t : kShopTables) {
    INFO("table " << t);
    CHECK(show_create(db, false, t) == show_create(db, true, t));
  }
}
