// The MariaDB change stream against the real sandbox servers: transactions, cascades,
// DDL mid-stream, restarts, divergence, and a transaction larger than memory.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <string>
#include <vector>

#include "replication/core/load_state.h"
#include "replication/mysql/my_position.h"
#include "tests/my_stream/my_stream_test_db.h"

using namespace tideway;
using namespace tideway::replication;

namespace {

void require_identical(test::MyStreamDb& db, const std::vector<std::string>& tables) {
  for (const auto& t : tables) {
    INFO("table " << t);
    const auto src = db.source_rows(t);
    const auto dst = db.target_rows(t);
    REQUIRE(src.size() == dst.size());
    for (std::size_t i = 0; i < src.size(); ++i) REQUIRE(src[i] == dst[i]);
  }
}

}  // namespace

TEST_CASE("Inserts, updates and deletes of a multi-statement transaction arrive in order") {
  test::MyStreamDb db("ms_txn");
  db.both_sql("CREATE TABLE account (id INT PRIMARY KEY, owner VARCHAR(40), balance BIGINT)");
  db.start();
  db.source_sql(
      "START TRANSACTION;"
      "INSERT INTO account VALUES (1, 'ann', 100), (2, 'bob', 50), (3, 'cy', 0);"
      "UPDATE account SET balance = balance - 30 WHERE id = 1;"
      "UPDATE account SET balance = balance + 30 WHERE id = 2;"
      "DELETE FROM account WHERE id = 3;"
      "UPDATE account SET id = 10 WHERE id = 2;"  // a key change: matched by the old key
      "COMMIT");
  // An update that changes nothing still has to match its row.
  db.source_sql("UPDATE account SET owner = owner WHERE id = 1");
  REQUIRE(db.sync());
  require_identical(db, {"account"});
  CHECK(db.target_value("SELECT GROUP_CONCAT(id, ':', balance ORDER BY id) FROM account") ==
        "1:70,10:80");
  REQUIRE(db.stop().ok());
  CHECK(db.status().transactions_applied > 0);
  const auto applied = mysql::BinlogPosition::parse(db.status().checkpointed_position());
  REQUIRE(applied.has_value());
  CHECK(applied->gtid.find("0-1-") != std::string::npos);
}
