// The spool of streamed in-progress transactions, on a temporary directory: what goes in
// comes back in order, per transaction; subtransaction and whole aborts drop exactly what
// they must; the read buffer stays bounded; disk errors name the file and the xid.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "replication/postgres/pg_stream_spool.h"

using namespace tideway;
using namespace tideway::replication;
using namespace tideway::replication::postgres;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/tideway_spool_test_XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

/// A message as the server sends it inside a stream block: type, xid, then a body.
std::string msg(char type, std::uint32_t xid, const std::string& body) {
  std::string m(1, type);
  for (int shift = 24; shift >= 0; shift -= 8) m.push_back(static_cast<char>(xid >> shift));
  return m + body;
}

std::vector<std::pair<std::uint64_t, std::string>> read_all(PgStreamSpool& spool,
                                                            std::uint32_t xid) {
  auto reader = spool.replay(xid);
  REQUIRE(reader.ok());
  std::vector<std::pair<std::uint64_t, std::string>> out;
  if (!*reader) return out;
  for (;;) {
    auto r = (*reader)->next();
    REQUIRE(r.ok());
    if (!r->has_value()) break;
    out.emplace_back((*r)->at.value, std::string((*r)->payload));
  }
  return out;
}

std::size_t files_in(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("Spool: interleaved transactions come back in order, each its own") {
  TempDir tmp;
  PgStreamSpool spool(tmp.path / "spool", 100);  // small: most appends write through
  REQUIRE(spool.reset().ok());
  REQUIRE(spool.start(10, true).ok());
  REQUIRE(spool.start(11, true).ok());
  std::vector<std::pair<std::uint64_t, std::string>> want10, want11;
  for (std::uint32_t i = 0; i < 50; ++i) {
    const std::uint32_t xid = i % 3 == 0 ? 11 : 10;
    const std::string m = msg('I', xid, "row " + std::to_string(i));
    REQUIRE(spool.append(xid, xid, Lsn{1000 + i}, m).ok());
    (xid == 10 ? want10 : want11).emplace_back(1000 + i, m);
  }
  CHECK(spool.open_transactions() == 2);
  std::uint64_t total = 0;
  for (const auto& [at, m] : want10) total += 12 + m.size();
  for (const auto& [at, m] : want11) total += 12 + m.size();
  CHECK(spool.bytes() == total);

  CHECK(read_all(spool, 11) == want11);
  REQUIRE(spool.finish(11).ok());
  CHECK_FALSE(fs::exists(spool.file_of(11)));
  CHECK(read_all(spool, 10) == want10);
  REQUIRE(spool.finish(10).ok());
  CHECK(spool.bytes() == 0);
  CHECK(spool.open_transactions() == 0);
  CHECK(files_in(spool.dir()) == 0);
}

TEST_CASE("Spool: a later stream block continues the same file") {
  TempDir tmp;
  PgStreamSpool spool(tmp.path / "spool");
  REQUIRE(spool.reset().ok());
  REQUIRE(spool.start(7, true).ok());
  REQUIRE(spool.append(7, 7, Lsn{1}, msg('I', 7, "a")).ok());
  // Stream Stop, other traffic, then Stream Start of the next segment.
  REQUIRE(spool.start(8, true).ok());
  REQUIRE(spool.append(8, 8, Lsn{2}, msg('I', 8, "other")).ok());
  REQUIRE(spool.start(7, false).ok());
  REQUIRE(spool.append(7, 7, Lsn{3}, msg('U', 7, "b")).ok());
  const std::vector<std::pair<std::uint64_t, std::string>> want = {{1, msg('I', 7, "a")},
                                                                   {3, msg('U', 7, "b")}};
  CHECK(read_all(spool, 7) == want);

  // A first segment twice, a continuation never started, a commit never started.
  CHECK(spool.start(7, true).error().message.find("already open") != std::string::npos);
  CHECK(spool.start(9, false).error().message.find("never saw start") != std::string::npos);
  CHECK_FALSE(spool.replay(9).ok());
  CHECK_FALSE(spool.append(9, 9, Lsn{4}, msg('I', 9, "x")).ok());
}

TEST_CASE("Spool: a subtransaction abort drops it and every later one") {
  TempDir tmp;
  PgStreamSpool spool(tmp.path / "spool", 64);
  REQUIRE(spool.reset().ok());
  REQUIRE(spool.start(100, true).ok());
  REQUIRE(spool.append(100, 100, Lsn{1}, msg('I', 100, "top 1")).ok());
  REQUIRE(spool.append(100, 101, Lsn{2}, msg('I', 101, "sub101 1")).ok());
  REQUIRE(spool.append(100, 101, Lsn{3}, msg('I', 101, "sub101 2")).ok());
  const std::uint64_t before_102 = spool.bytes();
  REQUIRE(spool.append(100, 102, Lsn{4}, msg('R', 102, "relation t2")).ok());
  REQUIRE(spool.append(100, 102, Lsn{5}, msg('I', 102, "sub102 1")).ok());
  REQUIRE(spool.append(100, 103, Lsn{6}, msg('D', 103, "sub103 nested")).ok());

  // Never carried a change: nothing to drop.
  REQUIRE(spool.abort(100, 999).ok());
  CHECK(read_all(spool, 100).size() == 6);

  REQUIRE(spool.abort(100, 102).ok());
  const std::vector<std::pair<std::uint64_t, std::string>> want = {
      {1, msg('I', 100, "top 1")},
      {2, msg('I', 101, "sub101 1")},
      {3, msg('I', 101, "sub101 2")}};
  CHECK(read_all(spool, 100) == want);
  CHECK(spool.bytes() == before_102);
  CHECK(fs::file_size(spool.file_of(100)) == spool.bytes());

  // 103 went with 102; a change after the abort is appended after what survived.
  REQUIRE(spool.abort(100, 103).ok());
  REQUIRE(spool.append(100, 100, Lsn{7}, msg('I', 100, "top 2")).ok());
  auto after = read_all(spool, 100);
  REQUIRE(after.size() == 4);
  CHECK(after.back() == std::make_pair(std::uint64_t{7}, msg('I', 100, "top 2")));

  // And 101 can still be dropped on its own.
  REQUIRE(spool.abort(100, 101).ok());
  auto last = read_all(spool, 100);
  REQUIRE(last.size() == 1);
  CHECK(last[0].second == msg('I', 100, "top 1"));
}

TEST_CASE("Spool: a whole abort deletes the file and forgets the transaction") {
  TempDir tmp;
  PgStreamSpool spool(tmp.path / "spool", 64);
  REQUIRE(spool.reset().ok());
  REQUIRE(spool.start(5, true).ok());
  REQUIRE(spool.start(6, true).ok());
  for (std::uint64_t i = 0; i < 100; ++i) {
    REQUIRE(spool.append(5, 5, Lsn{i}, msg('I', 5, std::string(30, 'x'))).ok());
  }
  REQUIRE(spool.append(6, 6, Lsn{500}, msg('I', 6, "kept")).ok());
  REQUIRE(fs::exists(spool.file_of(5)));
  REQUIRE(spool.abort(5, 5).ok());
  CHECK_FALSE(fs::exists(spool.file_of(5)));
  CHECK_FALSE(spool.is_open(5));
  CHECK(spool.bytes() == 12 + msg('I', 6, "kept").size());
  CHECK(read_all(spool, 6).size() == 1);
  // An abort of a transaction that spooled nothing here is not an error.
  CHECK(spool.abort(42, 42).ok());
}

TEST_CASE("Spool: the read buffer stays bounded whatever the transaction size") {
  TempDir tmp;
  const std::size_t buffer = 4096;
  PgStreamSpool spool(tmp.path / "spool", buffer);
  REQUIRE(spool.reset().ok());
  REQUIRE(spool.start(1, true).ok());
  const int rows = 20000;
  for (int i = 0; i < rows; ++i) {
    const std::string body = i == 7000 ? std::string(100000, 'L') : "row " + std::to_string(i);
    REQUIRE(spool.append(1, 1, Lsn{static_cast<std::uint64_t>(i)}, msg('I', 1, body)).ok());
  }
  // Only the last partial buffer is not on disk yet.
  CHECK(spool.bytes() - fs::file_size(spool.file_of(1)) < buffer);
  CHECK(spool.bytes() > 20 * buffer);
  auto reader = spool.replay(1);  // writes out the rest first
  REQUIRE(reader.ok());
  REQUIRE(*reader);
  CHECK(fs::file_size(spool.file_of(1)) == spool.bytes());
  std::size_t largest_capacity = 0;
  int n = 0;
  for (;; ++n) {
    auto r = (*reader)->next();
    REQUIRE(r.ok());
    if (!r->has_value()) break;
    REQUIRE((*r)->at.value == static_cast<std::uint64_t>(n));
    const std::string body = n == 7000 ? std::string(100000, 'L') : "row " + std::to_string(n);
    REQUIRE((*r)->payload == msg('I', 1, body));
    largest_capacity = std::max(largest_capacity, (*reader)->buffer_capacity());
    // Outside the one large record, the buffer is back to its bound.
    if (n > 7001) REQUIRE((*reader)->buffer_capacity() <= buffer);
  }
  CHECK(n == rows);
  // The one record larger than the buffer was read whole, and no more than that.
  CHECK(largest_capacity >= 100000);
  CHECK(largest_capacity <= 100000 + 5 + 12 + buffer);
}

TEST_CASE("Spool: reset removes what an earlier process left") {
  TempDir tmp;
  const fs::path dir = tmp.path / "spool";
  fs::create_directories(dir);
  { std::ofstream(dir / "xid-77.spool") << "left by a killed process"; }
  PgStreamSpool spool(dir);
  REQUIRE(spool.reset().ok());
  CHECK(fs::exists(dir));
  CHECK(files_in(dir) == 0);
  REQUIRE(spool.start(3, true).ok());
  REQUIRE(spool.append(3, 3, Lsn{1}, msg('I', 3, "x")).ok());
  REQUIRE(spool.replay(3).ok());  // written out
  CHECK(files_in(dir) == 1);
  spool.remove_all();
  CHECK_FALSE(fs::exists(dir));
}

TEST_CASE("Spool: disk errors name the file and the transaction") {
  TempDir tmp;
  SECTION("a directory that cannot be created") {
    { std::ofstream(tmp.path / "a-file") << "x"; }
    PgStreamSpool spool(tmp.path / "a-file" / "spool");
    Status s = spool.reset();
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == ErrorCode::kIo);
    CHECK(s.message().find((tmp.path / "a-file" / "spool").string()) != std::string::npos);
  }
  SECTION("a file that cannot be written") {
    PgStreamSpool spool(tmp.path / "spool", 64);
    REQUIRE(spool.reset().ok());
    REQUIRE(spool.start(1234, true).ok());
    fs::remove_all(tmp.path / "spool");  // the disk went away under us
    Status s = spool.append(1234, 1234, Lsn{1}, msg('I', 1234, std::string(100, 'x')));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == ErrorCode::kIo);
    CHECK(s.message().find(spool.file_of(1234).string()) != std::string::npos);
    CHECK(s.message().find("streamed transaction 1234") != std::string::npos);
  }
}
