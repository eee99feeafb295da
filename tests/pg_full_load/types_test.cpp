// Every built-in type family survives the full load exactly: values are compared as the
// server's own text output on both sides. Tables with only built-in types go through
// binary COPY, tables with user-defined types through text COPY; both are covered.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>

#include "replication/postgres/pg_chunk_copier.h"
#include "replication/postgres/pg_full_load.h"
#include "storage/state_store.h"
#include "tests/support/pg_test_db.h"
#include "tests/support/temp_state_store.h"
#include "tests/support/pg_type_fixtures.h"

using namespace tideway;
using namespace tideway::replication;
namespace fs = std::filesystem;


TEST_CASE("Every built-in and user-defined type round-trips through the full load") {
  test::PgTestDb db("fl_types");
  db.source_sql(test::kBuiltinTypesTable);
  db.source_sql(test::kBuiltinTypesRows);
  db.source_sql(test::kUserTypesTables);
  db.source_sql(test::kUserTypesRows);
  db.source_sql("ANALYZE");

  {
    test::TempStateStore store;
    LoadProgress progress;
    std::atomic<bool> stop{false};
    auto result = postgres::run_full_load(db.task_spec("types"), *store, progress, stop);
    if (!result.ok()) FAIL(result.error().message);
  }

  for (const char* table : {"builtin", "custom", "toasted"}) {
    INFO("table " << table);
    const auto src = db.source_rows(table);
    const auto dst = db.target_rows(table);
    REQUIRE(src.size() == dst.size());
    for (std::size_t i = 0; i < src.size(); ++i) CHECK(src[i] == dst[i]);
  }
  // 20 MB of text, byte for byte.
  CHECK(db.target_value("SELECT length(big) FROM toasted") == "20000000");
  CHECK(db.target_value("SELECT md5(big) FROM toasted") ==
        db.source_value("SELECT md5(big) FROM toasted"));
  // The generated column is recomputed by the target, the identity keeps its values and
  // its sequence continues after them.
  CHECK(db.target_value("SELECT string_agg(g::text, ',' ORDER BY id) FROM custom") == "10,20");
  CHECK(db.target_value("SELECT attidentity FROM pg_attribute WHERE attrelid = "
                        "'custom'::regclass AND attname = 'ident'") == "d");
  CHECK(db.target_value("SELECT nextval(pg_get_serial_sequence('custom', 'ident'))") == "3");
}

TEST_CASE("Binary COPY is chosen only when every column type is built in") {
  auto column = [](const char* name, const char* type, std::uint32_t oid) {
    postgres::PgColumn c;
    c.name = name;
    c.type_sql = type;
    c.type_oid = oid;
    return c;
  };
  postgres::PgTable builtin;
  builtin.columns = {column("a", "integer", 23), column("b", "text[]", 1009)};
  CHECK(postgres::can_copy_binary(builtin));
  postgres::PgTable custom = builtin;
  custom.columns.push_back(column("m", "mood", 16390));
  CHECK_FALSE(postgres::can_copy_binary(custom));
}
