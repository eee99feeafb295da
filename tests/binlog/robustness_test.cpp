// Damaged input must give an Error or a value, never a crash, a hang or a huge
// allocation: every truncation of real events, random byte flips (with the CRC32
// recomputed, so the damage reaches the parsers instead of stopping at the checksum),
// every prefix of small files, and random JSON documents. Run it under
// -fsanitize=address,undefined to catch what a plain run cannot see.

#include <catch2/catch.hpp>
#include <random>

#include "replication/mysql/checksum.h"
#include "replication/mysql/event_decoder.h"
#include "replication/mysql/json_binary.h"
#include "replication/mysql/json_diff.h"
#include "tests/binlog/fixture_support.h"

namespace tideway::test::binlog {
namespace {

using namespace replication::mysql;

const char* const kFiles[] = {
    "mysql/rust_mysql_common/json.binlog.000001",
    "mysql/rust_mysql_common/json-opaque.binlog",
    "mysql/rust_mysql_common/mariadb-bin.000001",
    "mysql/rust_mysql_common/transaction_compression.000001",
    "mysql/rust_mysql_common/binlog_transaction_with_GTID_TAG.000001",
    "mysql/rust_mysql_common/vector.binlog",
    "mysql/rust_mysql_common/mysql-enum-string-set.000001",
    "mysql/rust_mysql_common/time_issue.000001",
    "mysql/rust_mysql_common/update-partial-row.binlog",
    "mysql/rust_mysql_common/ver_5_1_23.001",
    "mysql/go-mysql/tcb-eval002c-bin.003320",
    "mariadb/mariadb-poc/domain_id_0/mariadb-repl-bin.000009",
};

struct Event {
  std::uint64_t offset;
  std::vector<std::uint8_t> bytes;
};

std::vector<Event> split(const std::vector<std::uint8_t>& file) {
  std::vector<Event> out;
  std::size_t at = 4;
  while (at + 19 <= file.size()) {
    const std::uint32_t size = file[at + 9] | (file[at + 10] << 8) | (file[at + 11] << 16) |
                               (static_cast<std::uint32_t>(file[at + 12]) << 24);
    REQUIRE(size >= 19);
    REQUIRE(at + size <= file.size());
    out.push_back({at, std::vector<std::uint8_t>(file.begin() + static_cast<long>(at),
                                                 file.begin() + static_cast<long>(at + size))});
    at += size;
  }
  return out;
}

// Makes a damaged event self-consistent again: its size field and, when the stream has
// checksums, its CRC32 (computed the way the decoder checks it).
void reseal(std::vector<std::uint8_t>& ev, bool has_crc) {
  if (ev.size() < 19) return;
  const auto size = static_cast<std::uint32_t>(ev.size());
  for (int i = 0; i < 4; ++i)
    ev[9 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(size >> (8 * i));
  if (!has_crc || ev.size() < 23) return;
  std::vector<std::uint8_t> body(ev.begin(), ev.end() - 4);
  if (body[4] == 15) body[17] &= 0xfe;  // FORMAT_DESCRIPTION: CRC with the in-use flag clear
  const std::uint32_t crc = crc32(body);
  for (int i = 0; i < 4; ++i)
    ev[ev.size() - 4 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(crc >> (8 * i));
}

// Decoding must end in a value or an Error with a message; anything else fails here
// (a crash or hang fails the whole run).
void decode_damaged(const EventDecoder& before, const std::vector<std::uint8_t>& ev,
                    std::uint64_t offset) {
  EventDecoder decoder = before;
  auto result = decoder.decode(ev, offset);
  if (!result.ok()) CHECK_FALSE(result.error().message.empty());
}

}  // namespace

TEST_CASE("every truncation and random byte flips of real events", "[binlog][robustness]") {
  std::mt19937 rng(20240611);
  std::size_t decoded = 0;
  for (const char* file : kFiles) {
    INFO(file);
    const auto bytes = read_fixture_bytes(file);
    const auto events = split(bytes);
    EventDecoder decoder;
    for (const auto& ev : events) {
      INFO("event at " << ev.offset);
      // The CRC rule in force for this event (a FORMAT_DESCRIPTION decides its own).
      bool has_crc = decoder.format().events_have_crc32();
      if (ev.bytes[4] == 15) {
        auto fde = parse_format_description(ev.bytes);
        REQUIRE(fde.ok());
        has_crc = fde->events_have_crc32();
      }
      const std::size_t crc_size = has_crc ? 4 : 0;
      // Every body length from empty to complete, CRC re-appended.
      for (std::size_t keep = 19; keep + crc_size < ev.bytes.size(); ++keep) {
        std::vector<std::uint8_t> cut(ev.bytes.begin(), ev.bytes.begin() + static_cast<long>(keep));
        cut.resize(keep + crc_size);
        reseal(cut, has_crc);
        decode_damaged(decoder, cut, ev.offset);
        ++decoded;
      }
      // Random flips of 1-4 body bytes.
      for (int round = 0; round < 64 && ev.bytes.size() > 19 + crc_size; ++round) {
        std::vector<std::uint8_t> flipped = ev.bytes;
        std::uniform_int_distribution<std::size_t> pos(19, flipped.size() - 1 - crc_size);
        const int flips = 1 + round % 4;
        for (int f = 0; f < flips; ++f)
          flipped[pos(rng)] ^= static_cast<std::uint8_t>(1U << (rng() % 8));
        reseal(flipped, has_crc);
        decode_damaged(decoder, flipped, ev.offset);
        ++decoded;
      }
      // Move on with the intact event, as the real stream would.
      auto ok = decoder.decode(ev.bytes, ev.offset);
      REQUIRE(ok.ok());
    }
  }
  CHECK(decoded > 10000);
}

TEST_CASE("a flipped byte without a new CRC is caught by the CRC32 check", "[binlog][robustness]") {
  const auto bytes = read_fixture_bytes("mysql/rust_mysql_common/json.binlog.000001");
  const auto events = split(bytes);
  EventDecoder decoder;
  std::size_t checked = 0;
  for (const auto& ev : events) {
    std::vector<std::uint8_t> flipped = ev.bytes;
    flipped[flipped.size() / 2] ^= 0x10;
    EventDecoder copy = decoder;
    auto result = copy.decode(flipped, ev.offset);
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(result.error().message, Catch::Contains("CRC32 mismatch"));
    REQUIRE(decoder.decode(ev.bytes, ev.offset).ok());
    ++checked;
  }
  CHECK(checked == events.size());
}

TEST_CASE("every prefix of small files ends in an Error or a full decode", "[binlog][robustness]") {
  for (const char* file : kFiles) {
    const auto bytes = read_fixture_bytes(file);
    if (bytes.size() > 8192) continue;
    INFO(file);
    const std::size_t full = decode_bytes(file, bytes).events.size();
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      std::vector<std::uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<long>(n));
      const DecodedFile d = decode_bytes(file, prefix);
      // A prefix that ends exactly between events is a complete (shorter) binlog.
      if (d.error) {
        CHECK_THAT(d.error->message, Catch::Contains(std::string(file) + ": offset "));
      } else {
        CHECK(d.events.size() < full);
        CHECK((d.events.empty() ? 4 : d.events.back().next_offset()) == n);
      }
    }
  }
}

TEST_CASE("random JSON documents and diffs never crash the renderer", "[binlog][robustness]") {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::uint8_t> doc(1 + rng() % 64);
    for (auto& b : doc) b = static_cast<std::uint8_t>(rng());
    // Bias towards containers, where the offsets are.
    if (i % 2 == 0) doc[0] = static_cast<std::uint8_t>(rng() % 4);
    auto text = json_binary_to_text(doc);
    if (!text.ok()) CHECK_FALSE(text.error().message.empty());
    auto diff = json_diff_to_text(doc);
    if (!diff.ok()) CHECK_FALSE(diff.error().message.empty());
  }
}

TEST_CASE("aliased JSON offsets cannot expand a small document without bound",
          "[binlog][robustness]") {
  // 40 nested small arrays; both entries of each point at the same next array, so the
  // text would hold 2^40 leaves. Each level: 2-byte count, 2-byte size, two 3-byte
  // entries (type + 2-byte offset), then the next level at offset 10.
  constexpr int kLevels = 40;
  std::vector<std::uint8_t> doc = {0x02};  // small array
  for (int level = 0; level < kLevels; ++level) {
    const int size = (kLevels - level) * 10;
    const bool last = level == kLevels - 1;
    doc.insert(doc.end(),
               {0x02, 0x00, static_cast<std::uint8_t>(size), static_cast<std::uint8_t>(size >> 8)});
    for (int entry = 0; entry < 2; ++entry) {
      if (last) {
        doc.insert(doc.end(), {0x04, 0x01, 0x00});  // inlined literal true
      } else {
        doc.insert(doc.end(), {0x02, 0x0a, 0x00});  // small array at offset 10
      }
    }
  }
  auto text = json_binary_to_text(doc);
  REQUIRE_FALSE(text.ok());
  CHECK_THAT(text.error().message, Catch::Contains("offsets alias"));

  // The same shape 6 levels deep is a legitimate (if odd) document: 64 leaves.
  std::vector<std::uint8_t> small = {0x02};
  for (int level = 0; level < 6; ++level) {
    const int size = (6 - level) * 10;
    small.insert(small.end(), {0x02, 0x00, static_cast<std::uint8_t>(size), 0x00});
    for (int entry = 0; entry < 2; ++entry) {
      if (level == 5) {
        small.insert(small.end(), {0x04, 0x01, 0x00});
      } else {
        small.insert(small.end(), {0x02, 0x0a, 0x00});
      }
    }
  }
  auto ok = json_binary_to_text(small);
  REQUIRE(ok.ok());
  CHECK(ok->find("[[[[[[true, true], [true, true]]") == 0);
}

}  // namespace tideway::test::binlog
