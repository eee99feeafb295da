// Protocol 1 details the captured vectors do not reach: binary ('b') columns, the
// pg_catalog namespace shorthand, typmods, option bits, and the errors for bytes that
// break a message's rules (each names the message, relation, column and byte offset).

#include <catch2/catch.hpp>

#include "replication/postgres/pgoutput_decoder.h"
#include "tests/pgoutput/wire_builder.h"

namespace tideway::replication::postgres {
namespace {

using test::WireBuilder;

template <typename T>
T decode_as(const WireBuilder& w) {
  auto decoded = decode_pgoutput(w.span(), DecodeOptions{});
  INFO((decoded.ok() ? std::string("ok") : decoded.error().message));
  REQUIRE(decoded.ok());
  REQUIRE(std::holds_alternative<T>(*decoded));
  return std::get<T>(*decoded);
}

std::string error_of(const WireBuilder& w) {
  auto decoded = decode_pgoutput(w.span(), DecodeOptions{});
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.error().code == ErrorCode::kCorruption);
  return decoded.error().message;
}

TEST_CASE("pgoutput: binary columns keep every byte", "[pgoutput]") {
  const std::string int4_binary("\x00\x00\x02\x30", 4);  // 560 in int4send format
  const std::string bytea("\xff\x00\x7f", 3);
  WireBuilder w;
  w.type('I').u32(24576).type('N').u16(3).column('b', int4_binary).column('b', bytea);
  w.column('b', "");
  const auto m = decode_as<InsertMessage>(w);
  REQUIRE(m.new_tuple.columns.size() == 3);
  CHECK(m.new_tuple.columns[0] == TupleColumn{ColumnKind::kBinary, int4_binary});
  CHECK(m.new_tuple.columns[1] == TupleColumn{ColumnKind::kBinary, bytea});
  CHECK(m.new_tuple.columns[2] == TupleColumn{ColumnKind::kBinary, ""});
  CHECK_FALSE(m.xid.has_value());
}

TEST_CASE("pgoutput: an unknown column kind names relation, tuple, column and offset",
          "[pgoutput]") {
  WireBuilder w;
  w.type('U').u32(24576).type('N').u16(2).column('t', "baz").type('x');
  CHECK(error_of(w) ==
        "pgoutput Update message ('U'), relation 24576, new tuple, column 2: unknown column "
        "kind 'x' (0x78) (at byte offset 16)");
}

TEST_CASE("pgoutput: tuple markers must be the ones each message allows", "[pgoutput]") {
  WireBuilder update_key_then_old;
  update_key_then_old.type('U').u32(7).type('K').u16(1).type('n').type('O').u16(0);
  CHECK(error_of(update_key_then_old) ==
        "pgoutput Update message ('U'), relation 7: tuple marker is 'O' (0x4f), expected one "
        "of 'N' (at byte offset 9)");

  WireBuilder delete_new;
  delete_new.type('D').u32(7).type('N').u16(0);
  CHECK(error_of(delete_new) ==
        "pgoutput Delete message ('D'), relation 7: tuple marker is 'N' (0x4e), expected one "
        "of 'KO' (at byte offset 5)");

  WireBuilder insert_old;
  insert_old.type('I').u32(7).type('O').u16(0);
  CHECK(error_of(insert_old).find("tuple marker is 'O' (0x4f), expected one of 'N'") !=
        std::string::npos);

  // An Update may have no old row at all (default identity, key unchanged).
  WireBuilder update_new_only;
  update_new_only.type('U').u32(7).type('N').u16(1).type('u');
  const auto m = decode_as<UpdateMessage>(update_new_only);
  CHECK_FALSE(m.key_tuple.has_value());
  CHECK_FALSE(m.old_tuple.has_value());
  CHECK(m.new_tuple.columns.at(0).kind == ColumnKind::kUnchangedToast);
}

TEST_CASE("pgoutput: an empty namespace is pg_catalog", "[pgoutput]") {
  WireBuilder relation;
  relation.type('R').u32(1259).str("").str("pg_class").type('n').u16(1);
  relation.u8(0).str("relname").u32(19).i32(-1);
  const auto r = decode_as<RelationMessage>(relation);
  CHECK(r.namespace_name == "pg_catalog");
  CHECK(r.relation_name == "pg_class");
  CHECK(r.replica_identity == ReplicaIdentity::kNothing);
  CHECK_FALSE(r.columns.at(0).is_key());

  WireBuilder type;
  type.type('Y').u32(3614).str("").str("tsvector");
  const auto t = decode_as<TypeMessage>(type);
  CHECK(t.namespace_name == "pg_catalog");
  CHECK(t.type_name == "tsvector");
}

TEST_CASE("pgoutput: Relation columns keep flags and typmod", "[pgoutput]") {
  WireBuilder w;
  w.type('R').u32(16400).str("shop").str("orders").type('f').u16(2);
  w.u8(1).str("code").u32(1043).i32(24);        // varchar(20): typmod is length + 4
  w.u8(3).str("amount").u32(1700).i32(655366);  // numeric(10,2); bit 1 is not defined
  const auto m = decode_as<RelationMessage>(w);
  CHECK(m.replica_identity == ReplicaIdentity::kFull);
  REQUIRE(m.columns.size() == 2);
  CHECK(m.columns[0] == RelationColumn{1, "code", 1043, 24});
  CHECK(m.columns[1] == RelationColumn{3, "amount", 1700, 655366});
  CHECK(m.columns[1].is_key());

  WireBuilder bad_identity;
  bad_identity.type('R').u32(16400).str("shop").str("orders").type('x').u16(0);
  CHECK(error_of(bad_identity) ==
        "pgoutput Relation message ('R'), relation 16400: unknown replica identity 'x' (0x78) "
        "(at byte offset 17)");

  WireBuilder cut_name;
  cut_name.type('R').u32(16400).str("shop").str("orders").type('d').u16(1).u8(1).raw(
      "abcdefghijklmn");
  CHECK(error_of(cut_name) ==
        "pgoutput Relation message ('R'), relation 16400, column 1: column name: no "
        "NUL-terminated string in the 14 bytes left (at byte offset 21)");
}

TEST_CASE("pgoutput: Begin and Commit rules", "[pgoutput]") {
  WireBuilder begin_unset;
  begin_unset.type('B').u64(0).i64(0).u32(5);
  CHECK(error_of(begin_unset) ==
        "pgoutput Begin message ('B'): final_lsn is 0/0 (not set) (at byte offset 1)");

  WireBuilder commit_flags;
  commit_flags.type('C').u8(0x80).u64(1).u64(2).i64(0);
  CHECK(error_of(commit_flags) ==
        "pgoutput Commit message ('C'): flags is 0x80, but no flags are defined "
        "(at byte offset 1)");
}

TEST_CASE("pgoutput: Truncate keeps unknown option bits, Message its flags", "[pgoutput]") {
  WireBuilder truncate;
  truncate.type('T').u32(0).u8(0x06);
  const auto t = decode_as<TruncateMessage>(truncate);
  CHECK(t.options == 0x06);
  CHECK_FALSE(t.cascade());
  CHECK(t.restart_identity());
  CHECK(t.relation_ids.empty());

  WireBuilder message;
  message.type('M').u8(0).u64(0x0000000100000000).str("").u32(0);
  const auto m = decode_as<LogicalDecodingMessage>(message);
  CHECK_FALSE(m.transactional());
  CHECK(m.lsn.to_string() == "1/0");
  CHECK(m.prefix.empty());
  CHECK(m.content.empty());
}

TEST_CASE("pgoutput: message type names", "[pgoutput]") {
  CHECK(std::string(message_type_name('B')) == "Begin");
  CHECK(std::string(message_type_name('c')) == "Stream Commit");
  CHECK(std::string(message_type_name('r')) == "Rollback Prepared");
  CHECK(std::string(message_type_name('!')) == "unknown");
  CHECK(message_type_byte(PgoutputMessage{StreamPrepareMessage{}}) == 'p');
  CHECK(message_type_byte(PgoutputMessage{LogicalDecodingMessage{}}) == 'M');
}

}  // namespace
}  // namespace tideway::replication::postgres
