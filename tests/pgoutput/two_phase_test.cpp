// Protocol 3+ two-phase commit messages, hand-built from the documented layouts (the
// fixtures have none): Begin Prepare, Prepare, Stream Prepare, Commit Prepared, Rollback
// Prepared, and the checks PostgreSQL's own subscriber makes on them.

#include <catch2/catch.hpp>

#include "replication/postgres/pgoutput_decoder.h"
#include "tests/pgoutput/wire_builder.h"

namespace tideway::replication::postgres {
namespace {

using test::WireBuilder;

const DecodeOptions kProto3{3, false, false};
constexpr std::uint64_t kPrepareLsn = 0x000000030000A000;
constexpr std::uint64_t kEndLsn = 0x000000030000A0F8;
// 2021-04-20T20:13:16.867121Z (the pypgoutput Begin commit time) and one second later.
constexpr std::int64_t kPrepareMicros = 0x0002636bd8698a31;
constexpr std::int64_t kLaterMicros = kPrepareMicros + 1'000'000;

template <typename T>
T decode_as(const WireBuilder& w, const DecodeOptions& options = kProto3) {
  auto decoded = decode_pgoutput(w.span(), options);
  INFO((decoded.ok() ? std::string("ok") : decoded.error().message));
  REQUIRE(decoded.ok());
  REQUIRE(std::holds_alternative<T>(*decoded));
  return std::get<T>(*decoded);
}

std::string error_of(const WireBuilder& w, const DecodeOptions& options = kProto3) {
  auto decoded = decode_pgoutput(w.span(), options);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.error().code == ErrorCode::kCorruption);
  return decoded.error().message;
}

TEST_CASE("pgoutput: Begin Prepare", "[pgoutput][two-phase]") {
  WireBuilder w;
  w.type('b').u64(kPrepareLsn).u64(kEndLsn).i64(kPrepareMicros).u32(733).str("gid-1");
  const auto m = decode_as<BeginPrepareMessage>(w);
  CHECK(m.prepare_lsn.to_string() == "3/A000");
  CHECK(m.end_lsn.to_string() == "3/A0F8");
  CHECK(m.prepare_time.to_iso8601() == "2021-04-20T20:13:16.867121Z");
  CHECK(m.xid == 733);
  CHECK(m.gid == "gid-1");

  CHECK(error_of(w, DecodeOptions{2, false, false}) ==
        "pgoutput Begin Prepare message ('b') is only sent from protocol version 3 on, but "
        "this stream uses version 2 (at byte offset 0)");

  WireBuilder unset;
  unset.type('b').u64(0).u64(kEndLsn).i64(kPrepareMicros).u32(733).str("gid-1");
  CHECK(error_of(unset) ==
        "pgoutput Begin Prepare message ('b'): prepare_lsn is 0/0 (not set) (at byte offset 1)");

  WireBuilder no_nul;
  no_nul.type('b').u64(kPrepareLsn).u64(kEndLsn).i64(kPrepareMicros).u32(733).raw("gid-1");
  CHECK(error_of(no_nul) ==
        "pgoutput Begin Prepare message ('b'): gid: no NUL-terminated string in the 5 bytes "
        "left (at byte offset 29)");
}

TEST_CASE("pgoutput: Prepare and Stream Prepare share a layout", "[pgoutput][two-phase]") {
  for (char type : {'P', 'p'}) {
    INFO("type " << type);
    WireBuilder w;
    w.type(type).u8(0).u64(kPrepareLsn).u64(kEndLsn).i64(kPrepareMicros).u32(734).str("g");
    auto decoded = decode_pgoutput(w.span(), kProto3);
    REQUIRE(decoded.ok());
    CHECK(message_type_byte(*decoded) == type);
    const PreparedTransactionFields& m =
        type == 'P'
            ? static_cast<const PreparedTransactionFields&>(std::get<PrepareMessage>(*decoded))
            : std::get<StreamPrepareMessage>(*decoded);
    CHECK(m.flags == 0);
    CHECK(m.prepare_lsn.value == kPrepareLsn);
    CHECK(m.end_lsn.value == kEndLsn);
    CHECK(m.prepare_time.micros_since_2000 == kPrepareMicros);
    CHECK(m.xid == 734);
    CHECK(m.gid == "g");

    WireBuilder no_xid;
    no_xid.type(type).u8(0).u64(kPrepareLsn).u64(kEndLsn).i64(kPrepareMicros).u32(0).str("g");
    CHECK(error_of(no_xid).find("xid is 0 (invalid transaction id) (at byte offset 26)") !=
          std::string::npos);

    WireBuilder flagged;
    flagged.type(type).u8(1).u64(kPrepareLsn).u64(kEndLsn).i64(kPrepareMicros).u32(1).str("g");
    CHECK(error_of(flagged).find("flags is 0x01, but no flags are defined (at byte offset 1)") !=
          std::string::npos);

    WireBuilder no_end;
    no_end.type(type).u8(0).u64(kPrepareLsn).u64(0).i64(kPrepareMicros).u32(1).str("g");
    CHECK(error_of(no_end).find("end_lsn is 0/0 (not set) (at byte offset 10)") !=
          std::string::npos);
  }
}

TEST_CASE("pgoutput: Commit Prepared", "[pgoutput][two-phase]") {
  WireBuilder w;
  w.type('K').u8(0).u64(kPrepareLsn).u64(kEndLsn).i64(kLaterMicros).u32(735).str("tx 735");
  const auto m = decode_as<CommitPreparedMessage>(w);
  CHECK(m.flags == 0);
  CHECK(m.commit_lsn.value == kPrepareLsn);
  CHECK(m.end_lsn.value == kEndLsn);
  CHECK(m.commit_time.to_iso8601() == "2021-04-20T20:13:17.867121Z");
  CHECK(m.xid == 735);
  CHECK(m.gid == "tx 735");

  WireBuilder unset;
  unset.type('K').u8(0).u64(0).u64(kEndLsn).i64(kLaterMicros).u32(735).str("tx 735");
  CHECK(error_of(unset) ==
        "pgoutput Commit Prepared message ('K'): commit_lsn is 0/0 (not set) "
        "(at byte offset 2)");
}

TEST_CASE("pgoutput: Rollback Prepared", "[pgoutput][two-phase]") {
  WireBuilder w;
  w.type('r').u8(0).u64(kPrepareLsn).u64(kEndLsn).i64(kPrepareMicros).i64(kLaterMicros);
  w.u32(736).str("");
  const auto m = decode_as<RollbackPreparedMessage>(w, DecodeOptions{4, false, false});
  CHECK(m.prepare_end_lsn.value == kPrepareLsn);
  CHECK(m.rollback_end_lsn.value == kEndLsn);
  CHECK(m.prepare_time.micros_since_2000 == kPrepareMicros);
  CHECK(m.rollback_time.micros_since_2000 == kLaterMicros);
  CHECK(m.xid == 736);
  CHECK(m.gid.empty());

  // Cut inside rollback_time: the error names that field and where it starts.
  WireBuilder cut;
  cut.type('r').u8(0).u64(kPrepareLsn).u64(kEndLsn).i64(kPrepareMicros).u32(7);
  CHECK(error_of(cut) ==
        "pgoutput Rollback Prepared message ('r'): rollback_time: needs 8 bytes but only 4 "
        "are left (at byte offset 26)");
}

}  // namespace
}  // namespace tideway::replication::postgres
