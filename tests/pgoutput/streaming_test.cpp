// Protocol 2+ streaming of in-progress transactions, hand-built from the documented
// layouts (the fixtures have no streamed messages): Stream Start/Stop/Commit/Abort, and the
// xid that Relation/Type/Insert/Update/Delete/Truncate/Message carry inside a stream.

#include <catch2/catch.hpp>

#include "replication/postgres/pgoutput_decoder.h"
#include "tests/pgoutput/wire_builder.h"

namespace tideway::replication::postgres {
namespace {

using test::WireBuilder;

// 2019-07-18T17:02:35.726322Z, the commit time of the electric Begin vector.
constexpr std::int64_t kCommitMicros = 0x000230f65858d5f2;
constexpr const char* kCommitIso = "2019-07-18T17:02:35.726322Z";

const DecodeOptions kProto2{2, false, false};
const DecodeOptions kProto2Streamed{2, true, false};

template <typename T>
T decode_as(const WireBuilder& w, const DecodeOptions& options) {
  auto decoded = decode_pgoutput(w.span(), options);
  INFO((decoded.ok() ? std::string("ok") : decoded.error().message));
  REQUIRE(decoded.ok());
  REQUIRE(std::holds_alternative<T>(*decoded));
  return std::get<T>(*decoded);
}

std::string error_of(const WireBuilder& w, const DecodeOptions& options) {
  auto decoded = decode_pgoutput(w.span(), options);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.error().code == ErrorCode::kCorruption);
  return decoded.error().message;
}

TEST_CASE("pgoutput: Stream Start", "[pgoutput][streaming]") {
  WireBuilder first;
  first.type('S').u32(1234).u8(1);
  auto m = decode_as<StreamStartMessage>(first, kProto2);
  CHECK(m.xid == 1234);
  CHECK(m.first_segment);

  WireBuilder later;
  later.type('S').u32(0xFFFFFFF0).u8(0);
  m = decode_as<StreamStartMessage>(later, kProto2);
  CHECK(m.xid == 0xFFFFFFF0);
  CHECK_FALSE(m.first_segment);

  WireBuilder bad;
  bad.type('S').u32(1234).u8(2);
  CHECK(error_of(bad, kProto2) ==
        "pgoutput Stream Start message ('S'): first segment is 2, expected 0 or 1 "
        "(at byte offset 5)");

  // A protocol 1 stream cannot contain it: the server only streams from version 2 on.
  CHECK(error_of(first, DecodeOptions{}) ==
        "pgoutput Stream Start message ('S') is only sent from protocol version 2 on, but "
        "this stream uses version 1 (at byte offset 0)");
}

TEST_CASE("pgoutput: Stream Stop is just its type byte", "[pgoutput][streaming]") {
  WireBuilder w;
  w.type('E');
  decode_as<StreamStopMessage>(w, kProto2Streamed);
  w.u8(0);
  CHECK(error_of(w, kProto2) ==
        "pgoutput Stream Stop message ('E'): 1 unexpected bytes after the end of the message "
        "(at byte offset 1, message is 2 bytes)");
}

TEST_CASE("pgoutput: Stream Commit", "[pgoutput][streaming]") {
  WireBuilder w;
  w.type('c').u32(900).u8(0).u64(0x00000002A7F4A880).u64(0x00000002A7F4A8B0).i64(kCommitMicros);
  const auto m = decode_as<StreamCommitMessage>(w, kProto2);
  CHECK(m.xid == 900);
  CHECK(m.flags == 0);
  CHECK(m.commit_lsn.to_string() == "2/A7F4A880");
  CHECK(m.end_lsn.to_string() == "2/A7F4A8B0");
  CHECK(m.commit_time.to_iso8601() == kCommitIso);

  WireBuilder flagged;
  flagged.type('c').u32(900).u8(4).u64(1).u64(2).i64(0);
  CHECK(error_of(flagged, kProto2) ==
        "pgoutput Stream Commit message ('c'): flags is 0x04, but no flags are defined "
        "(at byte offset 5)");
}

TEST_CASE("pgoutput: Stream Abort with and without the parallel-apply fields",
          "[pgoutput][streaming]") {
  WireBuilder plain;
  plain.type('A').u32(900).u32(901);
  auto m = decode_as<StreamAbortMessage>(plain, kProto2);
  CHECK(m.xid == 900);
  CHECK(m.subxid == 901);
  CHECK_FALSE(m.abort_lsn.has_value());
  CHECK_FALSE(m.abort_time.has_value());
  // Protocol 4 without streaming = parallel sends the short form too.
  m = decode_as<StreamAbortMessage>(plain, DecodeOptions{4, false, false});
  CHECK_FALSE(m.abort_lsn.has_value());

  WireBuilder parallel;
  parallel.type('A').u32(900).u32(900).u64(0x0000001600000010).i64(kCommitMicros);
  const DecodeOptions proto4_parallel{4, false, true};
  m = decode_as<StreamAbortMessage>(parallel, proto4_parallel);
  CHECK(m.xid == 900);
  CHECK(m.subxid == 900);
  REQUIRE(m.abort_lsn.has_value());
  CHECK(m.abort_lsn->to_string() == "16/10");
  REQUIRE(m.abort_time.has_value());
  CHECK(m.abort_time->to_iso8601() == kCommitIso);

  // The caller's option, not the length, decides the layout: a mismatch is an error.
  CHECK(error_of(parallel, DecodeOptions{4, false, false}) ==
        "pgoutput Stream Abort message ('A'): 16 unexpected bytes after the end of the "
        "message (at byte offset 9, message is 25 bytes)");
  CHECK(error_of(plain, proto4_parallel) ==
        "pgoutput Stream Abort message ('A'): abort_lsn: needs 8 bytes but only 0 are left "
        "(at byte offset 9)");
}

TEST_CASE("pgoutput: changes inside a streamed transaction carry the xid",
          "[pgoutput][streaming]") {
  constexpr std::uint32_t kXid = 0x01020304;

  SECTION("Insert") {
    WireBuilder w;
    w.type('I').u32(kXid).u32(16385).type('N').u16(2).column('t', "5").type('n');
    const auto m = decode_as<InsertMessage>(w, kProto2Streamed);
    CHECK(m.xid == kXid);
    CHECK(m.relation_id == 16385);
    REQUIRE(m.new_tuple.columns.size() == 2);
    CHECK(m.new_tuple.columns[0] == TupleColumn{ColumnKind::kText, "5"});
    CHECK(m.new_tuple.columns[1] == TupleColumn{ColumnKind::kNull, ""});
    // Read without the stream flag, the xid becomes the relation and 'N' is not where it
    // must be: the caller's flag matters and a wrong one is detected.
    CHECK(error_of(w, kProto2) ==
          "pgoutput Insert message ('I'), relation 16909060: tuple marker is 0x00, expected "
          "one of 'N' (at byte offset 5)");
  }
  SECTION("Update with old tuple") {
    WireBuilder w;
    w.type('U').u32(kXid).u32(16385);
    w.type('O').u16(1).column('t', "old");
    w.type('N').u16(1).column('t', "new");
    const auto m = decode_as<UpdateMessage>(w, kProto2Streamed);
    CHECK(m.xid == kXid);
    CHECK(m.relation_id == 16385);
    CHECK_FALSE(m.key_tuple.has_value());
    REQUIRE(m.old_tuple.has_value());
    CHECK(m.old_tuple->columns.at(0).bytes == "old");
    CHECK(m.new_tuple.columns.at(0).bytes == "new");
  }
  SECTION("Delete with key tuple") {
    WireBuilder w;
    w.type('D').u32(kXid).u32(16385).type('K').u16(2).column('t', "4").type('n');
    const auto m = decode_as<DeleteMessage>(w, kProto2Streamed);
    CHECK(m.xid == kXid);
    REQUIRE(m.key_tuple.has_value());
    CHECK_FALSE(m.old_tuple.has_value());
    CHECK(m.key_tuple->columns.at(0).bytes == "4");
    CHECK(m.key_tuple->columns.at(1).kind == ColumnKind::kNull);
  }
  SECTION("Relation") {
    WireBuilder w;
    w.type('R').u32(kXid).u32(16385).str("public").str("test_table").type('i').u16(1);
    w.u8(1).str("id").u32(23).i32(-1);
    const auto m = decode_as<RelationMessage>(w, kProto2Streamed);
    CHECK(m.xid == kXid);
    CHECK(m.relation_id == 16385);
    CHECK(m.namespace_name == "public");
    CHECK(m.relation_name == "test_table");
    CHECK(m.replica_identity == ReplicaIdentity::kIndex);
    REQUIRE(m.columns.size() == 1);
    CHECK(m.columns[0] == RelationColumn{1, "id", 23, -1});
  }
  SECTION("Type") {
    WireBuilder w;
    w.type('Y').u32(kXid).u32(32820).str("public").str("example_type");
    const auto m = decode_as<TypeMessage>(w, kProto2Streamed);
    CHECK(m.xid == kXid);
    CHECK(m.type_oid == 32820);
    CHECK(m.namespace_name == "public");
    CHECK(m.type_name == "example_type");
  }
  SECTION("Truncate") {
    WireBuilder w;
    w.type('T').u32(kXid).u32(2).u8(TruncateMessage::kCascade).u32(16385).u32(16390);
    const auto m = decode_as<TruncateMessage>(w, kProto2Streamed);
    CHECK(m.xid == kXid);
    CHECK(m.cascade());
    CHECK_FALSE(m.restart_identity());
    CHECK(m.relation_ids == std::vector<std::uint32_t>{16385, 16390});
  }
  SECTION("Message") {
    WireBuilder w;
    w.type('M').u32(kXid).u8(1).u64(0x10).str("app").u32(3).raw(std::string_view("a\0b", 3));
    const auto m = decode_as<LogicalDecodingMessage>(w, kProto2Streamed);
    CHECK(m.xid == kXid);
    CHECK(m.transactional());
    CHECK(m.lsn.to_string() == "0/10");
    CHECK(m.prefix == "app");
    CHECK(m.content == std::string("a\0b", 3));
  }
  SECTION("Origin never carries it") {
    WireBuilder w;
    w.type('O').u64(0x00000002A7F4A880).str("node_a");
    const auto m = decode_as<OriginMessage>(w, kProto2Streamed);
    CHECK(m.origin_commit_lsn.to_string() == "2/A7F4A880");
    CHECK(m.name == "node_a");
  }
}

}  // namespace
}  // namespace tideway::replication::postgres
