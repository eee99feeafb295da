// Lsn "X/Y" parsing and formatting (replication/core/lsn.h), which the pgoutput tests use
// to compare LSNs with the fixtures' text.

#include "replication/core/lsn.h"

#include <catch2/catch.hpp>

namespace tideway::replication {
namespace {

TEST_CASE("Lsn: formats as upper-case hex halves without leading zeros", "[lsn]") {
  CHECK(Lsn{0}.to_string() == "0/0");
  CHECK(Lsn{1}.to_string() == "0/1");
  CHECK(Lsn{0x00000016B374D848}.to_string() == "16/B374D848");
  CHECK(Lsn{0x0000000100000000}.to_string() == "1/0");
  CHECK(Lsn{0xFFFFFFFFFFFFFFFF}.to_string() == "FFFFFFFF/FFFFFFFF");
}

TEST_CASE("Lsn: parses what PostgreSQL prints, any hex case", "[lsn]") {
  CHECK(Lsn::parse("0/0") == Lsn{0});
  CHECK(Lsn::parse("16/B374D848") == Lsn{0x00000016B374D848});
  CHECK(Lsn::parse("16/b374d848") == Lsn{0x00000016B374D848});
  CHECK(Lsn::parse("00000002/A7F4A880") == Lsn{0x00000002A7F4A880});  // leading zeros
  CHECK(Lsn::parse("FFFFFFFF/FFFFFFFF") == Lsn{0xFFFFFFFFFFFFFFFF});
  for (std::uint64_t v :
       {0x0ULL, 0x1ULL, 0x00000002A7F4A8B0ULL, 0xFFFFFFFF00000000ULL, 0x00000000FFFFFFFFULL}) {
    INFO(v);
    CHECK(Lsn::parse(Lsn{v}.to_string()) == Lsn{v});
  }
}

TEST_CASE("Lsn: rejects anything but two 1-8 digit hex halves", "[lsn]") {
  for (const char* bad : {"", "/", "0/", "/0", "0", "123456789/0", "0/123456789", "0/0/0", "g/0",
                          "0/-1", "-1/0", " 0/0", "0/0 ", "+1/0", "0x1/0", "1\\0"}) {
    INFO('"' << bad << '"');
    CHECK_FALSE(Lsn::parse(bad).has_value());
  }
}

TEST_CASE("Lsn: orders by WAL position", "[lsn]") {
  CHECK(Lsn{1} < Lsn{2});
  CHECK(*Lsn::parse("1/0") > *Lsn::parse("0/FFFFFFFF"));
  CHECK(*Lsn::parse("A/0") == Lsn{0x0000000A00000000});
}

}  // namespace
}  // namespace tideway::replication
