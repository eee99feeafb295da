// Full load against the real sandbox servers: schema objects recreated, every row
// identical, and a stopped load resumed without copying any chunk twice.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <thread>

#include "replication/core/load_state.h"
#include "replication/postgres/pg_full_load.h"
#include "storage/state_store.h"
#include "tests/support/require_identical.h"
#include "tests/support/pg_test_db.h"
#include "tests/support/temp_state_store.h"

using namespace tideway;
using namespace tideway::replication;
namespace fs = std::filesystem;

namespace {

using test::require_identical;


void seed_shop(test::PgTestDb& db) {
  db.source_sql(R"(
    CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
    CREATE TABLE orders (id bigserial PRIMARY KEY, customer text NOT NULL,
                         total numeric(12,2) CHECK (total >= 0), m mood,
                         created timestamptz DEFAULT now());
    CREATE TABLE items (order_id bigint REFERENCES orders(id) ON DELETE CASCADE, line int,
                        sku text, PRIMARY KEY (order_id, line));
    CREATE TABLE tags (name text PRIMARY KEY, color text);
    CREATE TABLE notes (body text, n int);
    CREATE INDEX orders_customer ON orders (customer);
    CREATE UNIQUE INDEX tags_color_name ON tags (color, name);
    CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 500;
    CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN NEW.created := now(); RETURN NEW; END $$;
    CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
    INSERT INTO orders (customer, total, m)
      SELECT 'c' || g, g % 1000, (ARRAY['sad','ok','happy']::mood[])[1 + g % 3]
        FROM generate_series(1, 20000) g;
    INSERT INTO items SELECT o, l, 'sku' || l FROM generate_series(1, 8000) o,
                                                 generate_series(1, 3) l;
    INSERT INTO tags SELECT 'tag' || g, 'red' FROM generate_series(1, 3000) g;
    INSERT INTO notes SELECT repeat('x', g % 50), g FROM generate_series(1, 12000) g;
    ANALYZE;
  )");
}

/// The task `id` on db's pair, loading with `workers` and `chunk_rows`.
TaskSpec load_spec(test::PgTestDb& db, const std::string& id, int workers,
                   std::int64_t chunk_rows) {
  TaskSpec spec = db.task_spec(id);
  spec.full_load.workers = workers;
  spec.full_load.chunk_rows = chunk_rows;
  return spec;
}

/// One run of the load to its end (nobody stops it), with progress of its own.
Result<postgres::FullLoadResult> load_to_end(const TaskSpec& spec, storage::StateStore& store) {
  LoadProgress progress;
  std::atomic<bool> no_stop{false};
  return postgres::run_full_load(spec, store, progress, no_stop);
}

}  // namespace

TEST_CASE("A full load recreates the schema and copies every row exactly") {
  test::PgTestDb db("fl_shop");
  seed_shop(db);
  test::TempStateStore store;
  const TaskSpec spec = load_spec(db, "shop", 3, 2000);
  auto result = load_to_end(spec, *store);
  REQUIRE(result.ok());
  CHECK(result->tables == 4);
  CHECK(result->rows == 20000 + 24000 + 3000 + 12000);
  CHECK(result->chunks_skipped == 0);
  require_identical(db, {"orders", "items", "tags", "notes"});

  // Schema objects made after the load, from the source catalog.
  CHECK(db.target_value("SELECT count(*) FROM pg_indexes WHERE indexname IN "
                        "('orders_customer', 'tags_color_name', 'orders_pkey', 'items_pkey')") == "4");
  CHECK(db.target_value("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = "
                        "'items_order_id_fkey'") ==
        "FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE");
  CHECK(db.target_value("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = "
                        "'orders_total_check'") == "CHECK ((total >= (0)::numeric))");
  CHECK(db.target_value("SELECT count(*) FROM big_orders") ==
        db.source_value("SELECT count(*) FROM big_orders"));
  CHECK(db.target_value("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal") == "orders_touch");
  CHECK(db.target_value("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum") ==
        "sad,ok,happy");
  // The serial's sequence continues after the copied ids.
  CHECK(db.target_value("SELECT last_value FROM orders_id_seq") == "20000");

  // Per-table progress was stored and adds up.
  LoadStateStore state(*store, "shop");
  auto plans = state.load_plans();
  REQUIRE(plans.ok());
  CHECK(plans->at("public.orders").method == "integer_key");
  CHECK(plans->at("public.items").method == "key_boundaries");
  CHECK(plans->at("public.notes").method == "ctid");
  CHECK(plans->at("public.orders").chunks.size() == 10);
  auto task = state.load_task();
  REQUIRE(task.ok());
  CHECK((*task)->phase == TaskPhase::kLoaded);

  // A second run finds the load done and copies nothing.
  auto again = load_to_end(spec, *store);
  REQUIRE(again.ok());
  CHECK(again->chunks_copied == 0);
  CHECK(again->rows == 0);
}

TEST_CASE("Integer-key chunks are sized from the planner's density, or counted when never analyzed") {
  test::PgTestDb db("fl_sizing");
  // No autovacuum on these two, so nothing analyzes them behind the test's back.
  db.source_sql(R"(
    CREATE TABLE never_analyzed (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = false);
    INSERT INTO never_analyzed SELECT g, 'v' || g FROM generate_series(1, 9000) g;
    CREATE TABLE grown (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = false);
    INSERT INTO grown SELECT g, 'v' || g FROM generate_series(1, 1000) g;
    ANALYZE grown;
    INSERT INTO grown SELECT g, 'v' || g FROM generate_series(1001, 20000) g;
  )");
  REQUIRE(db.source_value("SELECT relpages FROM pg_class WHERE relname = 'never_analyzed'") == "0");
  REQUIRE(db.source_value("SELECT reltuples FROM pg_class WHERE relname = 'grown'") == "1000");
  test::TempStateStore store;
  auto result = load_to_end(load_spec(db, "sizing", 2, 1000), *store);
  REQUIRE(result.ok());
  require_identical(db, {"never_analyzed", "grown"});

  LoadStateStore state(*store, "sizing");
  auto plans = state.load_plans();
  REQUIRE(plans.ok());
  // Counted: exactly 9000 rows in chunks of 1000.
  CHECK(plans->at("public.never_analyzed").chunks.size() == 9);
  // Rows per page from the ANALYZE of 1000 rows, times the pages 20000 rows take now:
  // about 20 chunks, where the stale row count alone would have made one.
  const auto grown_chunks = plans->at("public.grown").chunks.size();
  CHECK(grown_chunks >= 16);
  CHECK(grown_chunks <= 24);
}

TEST_CASE("A stopped load resumes with only the unfinished chunks, and no row twice") {
  test::PgTestDb db("fl_resume");
  seed_shop(db);
  test::TempStateStore store;
  const TaskSpec spec = load_spec(db, "resume", 2, 1000);

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
  auto first = postgres::run_full_load(spec, *store, first_progress, stop);
  watching = false;
  watcher.join();
  REQUIRE_FALSE(first.ok());
  CHECK(first.error().code == ErrorCode::kUnavailable);
  CHECK(first.error().message.find("stopped") != std::string::npos);

  // What the target committed equals what the state store recorded as done.
  LoadStateStore state(*store, "resume");
  auto plans = state.load_plans();
  REQUIRE(plans.ok());
  std::size_t total_chunks = 0, done_chunks = 0;
  for (const auto& [table, plan] : *plans) {
    total_chunks += plan.chunks.size();
    done_chunks += state.load_done(table)->size();
  }
  REQUIRE(done_chunks >= 5);
  REQUIRE(done_chunks < total_chunks);
  CHECK(db.target_value("SELECT count(*) FROM _tideway.load_chunks") ==
        std::to_string(done_chunks));

  // A crash between the target's commit and the state store's write: forget one done
  // chunk here; the next run must recognise it from the target's marker, not copy it.
  std::string forgotten_table;
  for (const auto& [table, plan] : *plans) {
    auto done = state.load_done(table);
    if (!done->empty() && forgotten_table.empty()) {
      forgotten_table = table;
      REQUIRE(store
                  ->remove(storage::Family::kProgress,
                           "resume/done/" + table + "/" +
                               std::string(8 - std::to_string(done->begin()->first).size(), '0') +
                               std::to_string(done->begin()->first))
                  .ok());
    }
  }
  REQUIRE_FALSE(forgotten_table.empty());

  store.reopen();  // as after a process restart
  auto second = load_to_end(spec, *store);
  REQUIRE(second.ok());
  CHECK(second->chunks_skipped == static_cast<int>(done_chunks));
  CHECK(second->chunks_copied == static_cast<int>(total_chunks - done_chunks));
  CHECK(db.target_value("SELECT count(*) FROM _tideway.load_chunks") ==
        std::to_string(total_chunks));
  require_identical(db, {"orders", "items", "tags", "notes"});
}
