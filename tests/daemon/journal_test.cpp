#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "daemon/journal.h"
#include "tests/support/temp_state_store.h"

using namespace tideway;

namespace {

std::vector<std::uint64_t> sequences(const std::vector<nlohmann::json>& entries) {
  std::vector<std::uint64_t> out;
  for (const auto& e : entries) out.push_back(e.at("seq").get<std::uint64_t>());
  return out;
}

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t s = first; s <= last; ++s) out.push_back(s);
  return out;
}

}  // namespace

TEST_CASE("Journal pages start after the given sequence and continue across restarts") {
  test::TempStateStore store;
  {
    daemon::Journal journal(*store);
    for (int i = 1; i <= 250; ++i) {
      journal.record("orders", log::Level::kInfo, "stream", "entry " + std::to_string(i));
      // A task whose id extends the first one's must not leak into its pages.
      if (i % 50 == 0) journal.record("orders-eu", log::Level::kWarn, "stream", "other");
    }
    auto first = journal.page("orders", 0, 100);
    REQUIRE(first.ok());
    CHECK(sequences(*first) == range(1, 100));
    CHECK(first->front().at("message") == "entry 1");
    auto middle = journal.page("orders", 100, 100);
    REQUIRE(middle.ok());
    CHECK(sequences(*middle) == range(101, 200));
    auto last = journal.page("orders", 200, 100);
    REQUIRE(last.ok());
    CHECK(sequences(*last) == range(201, 250));
    CHECK(last->back().at("message") == "entry 250");
    auto past_end = journal.page("orders", 250, 100);
    REQUIRE(past_end.ok());
    CHECK(past_end->empty());
    auto huge = journal.page("orders", 99'999'999'999'999'999ULL, 100);
    REQUIRE(huge.ok());
    CHECK(huge->empty());
    auto other = journal.page("orders-eu", 0, 100);
    REQUIRE(other.ok());
    CHECK(sequences(*other) == range(1, 5));
  }
  // A restarted daemon numbers on from the last stored entry.
  store.reopen();
  daemon::Journal journal(*store);
  journal.record("orders", log::Level::kError, "stream", "after restart");
  auto tail = journal.page("orders", 249, 10);
  REQUIRE(tail.ok());
  CHECK(sequences(*tail) == range(250, 251));
  CHECK(tail->back().at("message") == "after restart");
  CHECK(tail->back().at("level") == "error");
  auto all = journal.all("orders");
  REQUIRE(all.ok());
  CHECK(sequences(*all) == range(1, 251));
}

TEST_CASE("A journal entry with invalid UTF-8 or an unreadable journal never throws") {
  test::TempStateStore store;
  std::vector<std::string> lines;
  log::set_sink([&](std::string_view l) { lines.emplace_back(l); });
  daemon::Journal journal(*store);
  journal.record("orders", log::Level::kWarn, "stream", "interrupted",
                 {{"error", std::string("server said \xff\xfe")}});
  auto page = journal.page("orders", 0, 10);
  REQUIRE(page.ok());
  REQUIRE(page->size() == 1);
  CHECK(page->front().at("context").at("error") == "server said \xEF\xBF\xBD\xEF\xBF\xBD");

  // A journal whose last entry cannot be read is not numbered from 1 again (that would
  // overwrite its history): the entry goes to the log only, and the log says so.
  REQUIRE(store->close().ok());
  journal.record("invoices", log::Level::kInfo, "full_load", "started");
  log::set_sink(nullptr);
  bool skipped = false, logged = false;
  for (const auto& l : lines) {
    if (l.find("msg=\"journal write skipped\"") != std::string::npos &&
        l.find("state store is closed") != std::string::npos) {
      skipped = true;
    }
    if (l.find("msg=started") != std::string::npos) logged = true;
  }
  INFO(lines.size() << " log lines");
  CHECK(skipped);
  CHECK(logged);
}
