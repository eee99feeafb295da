#include <catch2/catch.hpp>

#include <vector>

#include "common/byte_reader.h"

using tideway::ByteReader;

TEST_CASE("ByteReader reads little- and big-endian integers exactly") {
  const std::vector<std::uint8_t> b = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
  ByteReader le(b.data(), b.size());
  CHECK(le.u16_le() == 0x0201);
  CHECK(le.u24_le() == 0x050403);
  CHECK(le.u24_le() == 0x080706);
  CHECK(le.ok());
  CHECK(le.at_end());

  ByteReader be(b.data(), b.size());
  CHECK(be.u32_be() == 0x01020304u);
  CHECK(be.u32_be() == 0x05060708u);

  ByteReader w(b.data(), b.size());
  CHECK(w.u64_le() == 0x0807060504030201ull);
}

TEST_CASE("A short read fails, and the failure is sticky") {
  const std::vector<std::uint8_t> b = {0xAA, 0xBB, 0xCC};
  ByteReader r(b.data(), b.size());
  CHECK(r.u16_le() == 0xBBAA);
  CHECK(r.u32_le() == 0);  // only one byte left
  CHECK_FALSE(r.ok());
  CHECK(r.u8() == 0);  // the byte that was there is not handed out after a failure
  CHECK(r.remaining() == 0);
  CHECK(r.bytes(1).empty());
}

TEST_CASE("Length-encoded integers follow the MySQL prefixes") {
  const std::vector<std::uint8_t> b = {0xFA, 0xFC, 0x34, 0x12, 0xFD, 0x01, 0x02, 0x03,
                                       0xFE, 1, 0, 0, 0, 0, 0, 0, 0x80};
  ByteReader r(b.data(), b.size());
  CHECK(r.lenenc_int() == 0xFA);
  CHECK(r.lenenc_int() == 0x1234);
  CHECK(r.lenenc_int() == 0x030201);
  CHECK(r.lenenc_int() == 0x8000000000000001ull);
  CHECK(r.ok());

  const std::vector<std::uint8_t> null_marker = {0xFB};
  ByteReader n(null_marker.data(), null_marker.size());
  n.lenenc_int();
  CHECK_FALSE(n.ok());
}

TEST_CASE("shrink_end hides a trailing checksum from reads") {
  const std::vector<std::uint8_t> b = {1, 2, 3, 4, 5, 6};
  ByteReader r(b.data(), b.size());
  REQUIRE(r.shrink_end(4));
  CHECK(r.remaining() == 2);
  CHECK(r.u16_le() == 0x0201);
  CHECK(r.at_end());
  r.u8();
  CHECK_FALSE(r.ok());

  ByteReader tiny(b.data(), 2);
  CHECK_FALSE(tiny.shrink_end(4));
  CHECK_FALSE(tiny.ok());
}

TEST_CASE("cstring needs its terminator inside the buffer") {
  const std::vector<std::uint8_t> ok = {'a', 'b', 0, 'c'};
  ByteReader r(ok.data(), ok.size());
  CHECK(r.cstring() == "ab");
  CHECK(r.remaining() == 1);

  const std::vector<std::uint8_t> unterminated = {'a', 'b'};
  ByteReader u(unterminated.data(), unterminated.size());
  CHECK(u.cstring().empty());
  CHECK_FALSE(u.ok());
}

TEST_CASE("uint_le rejects widths outside 1..8") {
  const std::vector<std::uint8_t> b(16, 0xFF);
  ByteReader r(b.data(), b.size());
  r.uint_le(9);
  CHECK_FALSE(r.ok());
}
