#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "storage/state_store.h"

using namespace tideway;
using namespace tideway::storage;
namespace fs = std::filesystem;

namespace {

// A fresh directory per test, removed afterwards.
struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/tideway_store_test_XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string str(const std::string& sub = "data") const { return (path / sub).string(); }
};

std::unique_ptr<StateStore> open_ok(const std::string& dir) {
  auto r = StateStore::open(dir);
  if (!r.ok()) FAIL(r.error().message);
  return std::move(r).value();
}

}  // namespace

TEST_CASE("Values written to each family are read back after a reopen") {
  TempDir tmp;
  {
    auto store = open_ok(tmp.str());
    REQUIRE(store->put(Family::kCheckpoints, "orders", "0/16B3748").ok());
    REQUIRE(store->put(Family::kTasks, "orders", "{\"state\":\"streaming\"}").ok());
    REQUIRE(store->put(Family::kProgress, "orders/public.items/0001", "done",
                       Durability::kBuffered)
                .ok());
    REQUIRE(store->close().ok());
  }
  auto store = open_ok(tmp.str());
  auto cp = store->get(Family::kCheckpoints, "orders");
  REQUIRE(cp.ok());
  REQUIRE(cp->has_value());
  CHECK(**cp == "0/16B3748");
  // Families are separate key spaces.
  auto other = store->get(Family::kJournal, "orders");
  REQUIRE(other.ok());
  CHECK_FALSE(other->has_value());
  auto progress = store->get(Family::kProgress, "orders/public.items/0001");
  REQUIRE(progress.ok());
  CHECK(progress->value() == "done");
}

TEST_CASE("A write set is applied atomically and scans see keys in order") {
  TempDir tmp;
  auto store = open_ok(tmp.str());
  WriteSet writes;
  writes.put(Family::kJournal, "t1/0000000002", "second");
  writes.put(Family::kJournal, "t1/0000000001", "first");
  writes.put(Family::kJournal, "t2/0000000001", "other task");
  writes.put(Family::kCheckpoints, "t1", "pos");
  REQUIRE(store->write(writes).ok());

  std::vector<std::string> seen;
  REQUIRE(store
              ->scan_prefix(Family::kJournal, "t1/",
                            [&](std::string_view, std::string_view v) {
                              seen.emplace_back(v);
                              return true;
                            })
              .ok());
  CHECK(seen == std::vector<std::string>{"first", "second"});

  WriteSet removal;
  removal.remove(Family::kCheckpoints, "t1");
  REQUIRE(store->write(removal).ok());
  CHECK_FALSE(store->get(Family::kCheckpoints, "t1")->has_value());
}

TEST_CASE("A second open of the same data_dir fails and names the holder") {
  TempDir tmp;
  auto first = open_ok(tmp.str());
  auto second = StateStore::open(tmp.str());
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == ErrorCode::kLocked);
  CHECK(second.error().message.find("in use by another tideway process (pid " +
                                    std::to_string(::getpid()) + ")") != std::string::npos);
  // Once the first closes (and releases the lock), the data_dir opens again.
  first.reset();
  auto third = StateStore::open(tmp.str());
  CHECK(third.ok());
}

TEST_CASE("A corrupt store is reported with what to do, not a crash") {
  TempDir tmp;
  { open_ok(tmp.str()); }
  std::ofstream(tmp.path / "data" / "state" / "CURRENT", std::ios::trunc) << "garbage";
  auto r = StateStore::open(tmp.str());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kCorruption);
  CHECK(r.error().message.find("is corrupt") != std::string::npos);
  CHECK(r.error().message.find("move it aside") != std::string::npos);
}

TEST_CASE("A data_dir that is a file is refused") {
  TempDir tmp;
  std::ofstream(tmp.path / "afile") << "x";
  auto r = StateStore::open(tmp.str("afile"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kInvalidArgument);
  CHECK(r.error().message.find("is not a directory") != std::string::npos);
}

TEST_CASE("A closed store refuses writes instead of crashing") {
  TempDir tmp;
  auto store = open_ok(tmp.str());
  REQUIRE(store->close().ok());
  Status s = store->put(Family::kTasks, "a", "b");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == ErrorCode::kUnavailable);
}

TEST_CASE("A scan can start inside its prefix, and the last key of a prefix is one seek") {
  TempDir tmp;
  auto store = open_ok(tmp.str());
  WriteSet writes;
  for (const char* k : {"t1/01", "t1/02", "t1/03", "t1/04", "t1-b/01", "t2/01"}) {
    writes.put(Family::kJournal, k, k);
  }
  REQUIRE(store->write(writes).ok());
  auto scan = [&](std::string_view prefix, std::string_view from) {
    std::vector<std::string> seen;
    REQUIRE(store
                ->scan_prefix(
                    Family::kJournal, prefix,
                    [&](std::string_view k, std::string_view) {
                      seen.emplace_back(k);
                      return true;
                    },
                    from)
                .ok());
    return seen;
  };
  CHECK(scan("t1/", "t1/03") == std::vector<std::string>{"t1/03", "t1/04"});
  CHECK(scan("t1/", "t1/025") == std::vector<std::string>{"t1/03", "t1/04"});
  CHECK(scan("t1/", "t1/05").empty());
  // A start outside the prefix is ignored rather than leaving the prefix's keys out.
  CHECK(scan("t1/", "t0/99") == std::vector<std::string>{"t1/01", "t1/02", "t1/03", "t1/04"});
  CHECK(scan("t1/", "t2/01") == std::vector<std::string>{"t1/01", "t1/02", "t1/03", "t1/04"});

  auto last = store->last_key(Family::kJournal, "t1/");
  REQUIRE(last.ok());
  CHECK(last->value_or("none") == "t1/04");
  last = store->last_key(Family::kJournal, "t1-b/");
  REQUIRE(last.ok());
  CHECK(last->value_or("none") == "t1-b/01");
  last = store->last_key(Family::kJournal, "t3/");
  REQUIRE(last.ok());
  CHECK_FALSE(last->has_value());
  last = store->last_key(Family::kCheckpoints, "t1/");
  REQUIRE(last.ok());
  CHECK_FALSE(last->has_value());
}
