// Untrusted input: truncated vectors, trailing bytes, forged counts and lengths, and
// random mutations must give an Error (or a message that re-encodes to exactly the input),
// never a crash, an out-of-bounds read or a huge allocation.

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "replication/postgres/pgoutput_decoder.h"
#include "tests/pgoutput/allocation_probe.h"
#include "tests/pgoutput/fixture_vectors.h"
#include "tests/pgoutput/pgoutput_encoder.h"
#include "tests/pgoutput/wire_builder.h"

namespace tideway::replication::postgres {
namespace {

using test::AllocationProbe;
using test::WireBuilder;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_CASE("pgoutput: every strict prefix of every vector is a corruption error", "[pgoutput]") {
  std::size_t prefixes = 0;
  for (const auto& v : test::load_all_pgoutput_vectors()) {
    for (std::size_t n = 0; n < v.bytes.size(); ++n) {
      INFO(v.source << " " << v.name << " cut to " << n << " bytes");
      // A copy of exactly n bytes, so a read past the end would touch unowned memory.
      const std::vector<std::uint8_t> prefix(v.bytes.begin(), v.bytes.begin() + n);
      auto decoded = decode_pgoutput(prefix, DecodeOptions{});
      REQUIRE_FALSE(decoded.ok());
      CHECK(decoded.error().code == ErrorCode::kCorruption);
      CHECK(contains(decoded.error().message, "byte offset"));
      ++prefixes;
    }
  }
  CHECK(prefixes > 500);
}

TEST_CASE("pgoutput: a byte after a complete message is rejected with its offset", "[pgoutput]") {
  for (const auto& v : test::load_all_pgoutput_vectors()) {
    if (v.json.at("expected").contains("unsupported")) continue;
    INFO(v.source << " " << v.name);
    auto longer = v.bytes;
    longer.push_back(0x00);
    auto decoded = decode_pgoutput(longer, DecodeOptions{});
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::kCorruption);
    CHECK(contains(decoded.error().message,
                   "1 unexpected bytes after the end of the message (at byte offset " +
                       std::to_string(v.bytes.size())));
  }
}

TEST_CASE("pgoutput: the allocation probe sees allocations", "[pgoutput]") {
  // Positive control for the tests below: without it a broken probe would pass them.
  AllocationProbe probe;
  std::string big(100'000, 'x');
  CHECK(big[99'999] == 'x');
  CHECK(probe.largest() >= 100'000);
}

// Decodes `bytes`, expects a corruption error containing `needle`, and that no single
// allocation exceeded a few KiB (the forged count would need megabytes).
void expect_rejected_without_big_allocation(const WireBuilder& w, const std::string& needle,
                                            const DecodeOptions& options = {}) {
  std::size_t largest = 0;
  bool ok = true;
  std::string message;
  {
    AllocationProbe probe;
    auto decoded = decode_pgoutput(w.span(), options);
    largest = probe.largest();
    ok = decoded.ok();
    if (!ok) message = decoded.error().message;
  }
  INFO(message);
  REQUIRE_FALSE(ok);
  CHECK(contains(message, needle));
  CHECK(largest < 4096);
}

TEST_CASE("pgoutput: forged counts and lengths fail before allocating", "[pgoutput]") {
  SECTION("Relation claiming 65535 columns with 10 bytes left") {
    WireBuilder w;
    w.type('R').u32(24576).str("public").str("foo").type('d').u16(65535);
    w.u8(1).str("").u32(23).i32(-1);  // one smallest possible column, then nothing
    REQUIRE(w.size() - 19 == 10);
    expect_rejected_without_big_allocation(
        w,
        "pgoutput Relation message ('R'), relation 24576: 65535 columns need at least "
        "655350 bytes but only 10 are left (at byte offset 19)");
  }
  SECTION("Insert tuple claiming 65535 columns") {
    WireBuilder w;
    w.type('I').u32(16385).type('N').u16(65535).column('t', "5");
    expect_rejected_without_big_allocation(w, "new tuple: 65535 columns need at least 65535");
  }
  SECTION("Truncate claiming 4294967295 relations") {
    WireBuilder w;
    w.type('T').u32(0xFFFFFFFF).u8(0).u32(16385).u32(16386);
    expect_rejected_without_big_allocation(w, "4294967295 relation oids need at least");
  }
  SECTION("Message content length 4294967295") {
    WireBuilder w;
    w.type('M').u8(1).u64(1).str("p").u32(0xFFFFFFFF).raw("world");
    expect_rejected_without_big_allocation(w, "content: length 4294967295 but only 5 bytes left");
  }
  SECTION("text column length 2147483647") {
    WireBuilder w;
    w.type('I').u32(16385).type('N').u16(1).type('t').u32(0x7FFFFFFF).raw("abc");
    expect_rejected_without_big_allocation(
        w, "relation 16385, new tuple, column 1: value: length 2147483647 but only 3");
  }
  SECTION("binary column length -1") {
    WireBuilder w;
    w.type('I').u32(16385).type('N').u16(1).type('b').i32(-1);
    expect_rejected_without_big_allocation(w, "value: length 4294967295 but only 0 bytes left");
  }
  SECTION("streamed Relation claiming 65535 columns") {
    WireBuilder w;
    w.type('R').u32(777).u32(24576).str("").str("t").type('f').u16(65535).u8(0);
    expect_rejected_without_big_allocation(w, "65535 columns need at least",
                                           DecodeOptions{2, true, false});
  }
}

// Deterministic mutations of each valid vector: a decoded mutant must re-encode to exactly
// the mutated bytes (nothing skipped, nothing invented); a rejected one must be kCorruption.
void mutate_and_check(const DecodeOptions& options) {
  std::mt19937 rng(20240229);
  std::size_t accepted = 0;
  std::size_t rejected = 0;
  for (const auto& v : test::load_all_pgoutput_vectors()) {
    for (int round = 0; round < 400; ++round) {
      auto bytes = v.bytes;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits && !bytes.empty(); ++e) {
        const std::size_t at = rng() % bytes.size();
        switch (rng() % 4) {
          case 0:
            bytes[at] = static_cast<std::uint8_t>(rng());
            break;
          case 1:
            bytes[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
            break;
          case 2:
            bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(at));
            break;
          default:
            bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                         static_cast<std::uint8_t>(rng()));
        }
      }
      auto decoded = decode_pgoutput(bytes, options);
      if (decoded.ok()) {
        ++accepted;
        INFO(v.source << " " << v.name << " round " << round);
        REQUIRE(test::encode_pgoutput(*decoded) == bytes);
      } else {
        ++rejected;
        REQUIRE(decoded.error().code == ErrorCode::kCorruption);
      }
    }
  }
  // Both outcomes must occur, or the property above was not exercised.
  CHECK(accepted > 100);
  CHECK(rejected > 100);
}

TEST_CASE("pgoutput: mutated vectors decode faithfully or fail cleanly", "[pgoutput]") {
  SECTION("protocol 1") { mutate_and_check(DecodeOptions{}); }
  SECTION("protocol 4 inside a streamed transaction, parallel abort fields") {
    mutate_and_check(DecodeOptions{4, true, true});
  }
}

TEST_CASE("pgoutput: contradictory options are invalid arguments", "[pgoutput]") {
  const std::vector<std::uint8_t> stop{'E'};
  for (const DecodeOptions& options :
       {DecodeOptions{0, false, false}, DecodeOptions{5, false, false},
        DecodeOptions{1, true, false}, DecodeOptions{3, false, true}}) {
    auto decoded = decode_pgoutput(stop, options);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::kInvalidArgument);
  }
  CHECK(decode_pgoutput(stop, DecodeOptions{4, true, true}).ok());
}

TEST_CASE("pgoutput: an empty message is a corruption error", "[pgoutput]") {
  auto decoded = decode_pgoutput({}, DecodeOptions{});
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.error().code == ErrorCode::kCorruption);
  CHECK(decoded.error().message == "pgoutput: empty message, no type byte (at byte offset 0)");
}

TEST_CASE("pgoutput: unknown type bytes are named in hex", "[pgoutput]") {
  const std::vector<std::uint8_t> nul{0x00, 0x01};
  auto decoded = decode_pgoutput(nul, DecodeOptions{4, false, false});
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.error().message ==
        "pgoutput: unknown message type 0x00 (at byte offset 0, message is 2 bytes)");
  // 'k' and 'w' are the replication protocol's keepalive and XLogData framing, not pgoutput:
  // passing the frame instead of its payload must not decode.
  for (std::uint8_t framing : {std::uint8_t{'k'}, std::uint8_t{'w'}}) {
    const std::vector<std::uint8_t> frame{framing, 0, 0, 0, 0, 0, 0, 0, 1};
    CHECK_FALSE(decode_pgoutput(frame, DecodeOptions{4, false, false}).ok());
  }
}

}  // namespace
}  // namespace tideway::replication::postgres
