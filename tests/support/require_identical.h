#pragma once
// The migration tests' final word: every row of each table is the same on the source
// and the target. `Db` is any of the test database pairs (PgTestDb, MyTestDb,
// MyStreamDb): they all read a table's rows in key order as text with source_rows /
// target_rows.

#include <catch2/catch.hpp>
#include <cstddef>
#include <string>
#include <vector>

namespace tideway::test {

template <typename Db>
void require_identical(Db& db, const std::vector<std::string>& tables) {
  for (const auto& t : tables) {
    INFO("table " << t);
    const auto src = db.source_rows(t);
    const auto dst = db.target_rows(t);
    REQUIRE(src.size() == dst.size());
    for (std::size_t i = 0; i < src.size(); ++i) REQUIRE(src[i] == dst[i]);
  }
}

}  // namespace tideway::test
