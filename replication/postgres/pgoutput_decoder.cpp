#include "replication/postgres/pgoutput_decoder.h"

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "replication/postgres/pgoutput_field_reader.h"

namespace tideway::replication::postgres {
namespace {

// Smallest wire size of one Relation column: Int8 flags, an empty String (just its NUL),
// Int32 type oid, Int32 typmod. Used to refuse a column count the message cannot hold.
constexpr std::size_t kMinRelationColumnBytes = 1 + 1 + 4 + 4;

using FieldReader = PgoutputFieldReader;

// The protocol version from which the server sends a message type; 0 for unknown types.
std::uint32_t first_protocol_version(char type) {
  constexpr std::string_view kSinceV1 = "BCORYIUDTM";  // base protocol
  constexpr std::string_view kSinceV2 = "SEcA";        // streaming of in-progress transactions
  constexpr std::string_view kSinceV3 = "bPpKr";       // two-phase commit
  if (kSinceV1.find(type) != std::string_view::npos) return 1;
  if (kSinceV2.find(type) != std::string_view::npos) return 2;
  if (kSinceV3.find(type) != std::string_view::npos) return 3;
  return 0;
}

std::optional<std::uint32_t> streamed_xid(FieldReader& r, const DecodeOptions& options) {
  if (!options.in_streamed_transaction) return std::nullopt;
  return r.u32("streamed transaction xid");
}

std::uint32_t relation_id(FieldReader& r) {
  const std::uint32_t id = r.u32("relation oid");
  r.set_object("relation", id);
  return id;
}

// The wire writes "" for pg_catalog to save bytes; consumers want the real name.
std::string namespace_name(FieldReader& r) {
  std::string name = r.cstring("namespace");
  if (r.ok() && name.empty()) name = "pg_catalog";
  return name;
}

TupleData read_tuple(FieldReader& r, const char* part) {
  r.set_part(part);
  TupleData tuple;
  const std::uint16_t count = r.u16("column count");
  if (!r.fits(count, 1, "columns")) return tuple;  // each column has at least its kind byte
  tuple.columns.reserve(count);
  for (std::size_t i = 0; i < count && r.ok(); ++i) {
    r.set_column(i);
    const std::size_t at = r.position();
    const std::uint8_t kind = r.u8("column kind");
    switch (kind) {
      case 'n':
        tuple.columns.push_back({ColumnKind::kNull, {}});
        break;
      case 'u':
        tuple.columns.push_back({ColumnKind::kUnchangedToast, {}});
        break;
      case 't':
      case 'b': {
        const std::uint32_t length = r.u32("value length");
        tuple.columns.push_back({static_cast<ColumnKind>(kind), r.bytes(length, "value")});
        break;
      }
      default:
        if (r.ok()) r.fail(at, fmt::format("unknown column kind {}", describe_byte(kind)));
    }
  }
  r.set_column(std::nullopt);
  r.set_part(nullptr);
  return tuple;
}

// Reads the 'K' / 'O' / 'N' byte that announces the next tuple of an Update or Delete.
std::uint8_t tuple_marker(FieldReader& r, const char* allowed) {
  const std::size_t at = r.position();
  const std::uint8_t marker = r.u8("tuple marker");
  if (r.ok() &&
      std::string_view(allowed).find(static_cast<char>(marker)) == std::string_view::npos) {
    r.fail(at,
           fmt::format("tuple marker is {}, expected one of '{}'", describe_byte(marker), allowed));
  }
  return marker;
}

BeginMessage read_begin(FieldReader& r) {
  BeginMessage m;
  m.final_lsn = r.required_lsn("final_lsn");
  m.commit_time = r.timestamp("commit_time");
  m.xid = r.u32("xid");
  return m;
}

CommitMessage read_commit(FieldReader& r) {
  CommitMessage m;
  m.flags = r.zero_flags("flags");
  m.commit_lsn = r.lsn("commit_lsn");
  m.end_lsn = r.lsn("end_lsn");
  m.commit_time = r.timestamp("commit_time");
  return m;
}

OriginMessage read_origin(FieldReader& r) {
  OriginMessage m;
  m.origin_commit_lsn = r.lsn("origin commit_lsn");
  m.name = r.cstring("origin name");
  return m;
}

RelationMessage read_relation(FieldReader& r, const DecodeOptions& options) {
  RelationMessage m;
  m.xid = streamed_xid(r, options);
  m.relation_id = relation_id(r);
  m.namespace_name = namespace_name(r);
  m.relation_name = r.cstring("relation name");
  const std::size_t identity_at = r.position();
  const std::uint8_t identity = r.u8("replica identity");
  if (r.ok() &&
      std::string_view("dnfi").find(static_cast<char>(identity)) == std::string_view::npos) {
    r.fail(identity_at, fmt::format("unknown replica identity {}", describe_byte(identity)));
  }
  m.replica_identity = static_cast<ReplicaIdentity>(identity);
  const std::uint16_t count = r.u16("column count");
  if (!r.fits(count, kMinRelationColumnBytes, "columns")) return m;
  m.columns.reserve(count);
  for (std::size_t i = 0; i < count && r.ok(); ++i) {
    r.set_column(i);
    RelationColumn column;
    column.flags = r.u8("column flags");
    column.name = r.cstring("column name");
    column.type_oid = r.u32("column type oid");
    column.type_modifier = r.i32("column typmod");
    m.columns.push_back(std::move(column));
  }
  r.set_column(std::nullopt);
  return m;
}

TypeMessage read_type(FieldReader& r, const DecodeOptions& options) {
  TypeMessage m;
  m.xid = streamed_xid(r, options);
  m.type_oid = r.u32("type oid");
  r.set_object("type", m.type_oid);
  m.namespace_name = namespace_name(r);
  m.type_name = r.cstring("type name");
  return m;
}

InsertMessage read_insert(FieldReader& r, const DecodeOptions& options) {
  InsertMessage m;
  m.xid = streamed_xid(r, options);
  m.relation_id = relation_id(r);
  tuple_marker(r, "N");
  m.new_tuple = read_tuple(r, "new tuple");
  return m;
}

UpdateMessage read_update(FieldReader& r, const DecodeOptions& options) {
  UpdateMessage m;
  m.xid = streamed_xid(r, options);
  m.relation_id = relation_id(r);
  const std::uint8_t marker = tuple_marker(r, "KON");
  if (marker == 'K' || marker == 'O') {
    auto& old = marker == 'K' ? m.key_tuple : m.old_tuple;
    old = read_tuple(r, marker == 'K' ? "key tuple" : "old tuple");
    tuple_marker(r, "N");
  }
  m.new_tuple = read_tuple(r, "new tuple");
  return m;
}

DeleteMessage read_delete(FieldReader& r, const DecodeOptions& options) {
  DeleteMessage m;
  m.xid = streamed_xid(r, options);
  m.relation_id = relation_id(r);
  const std::uint8_t marker = tuple_marker(r, "KO");
  if (marker == 'K')
    m.key_tuple = read_tuple(r, "key tuple");
  else
    m.old_tuple = read_tuple(r, "old tuple");
  return m;
}

TruncateMessage read_truncate(FieldReader& r, const DecodeOptions& options) {
  TruncateMessage m;
  m.xid = streamed_xid(r, options);
  const std::uint32_t count = r.u32("relation count");
  m.options = r.u8("option bits");
  if (!r.fits(count, 4, "relation oids")) return m;
  m.relation_ids.reserve(count);
  for (std::uint32_t i = 0; i < count && r.ok(); ++i) {
    m.relation_ids.push_back(r.u32("relation oid"));
  }
  return m;
}

LogicalDecodingMessage read_logical_message(FieldReader& r, const DecodeOptions& options) {
  LogicalDecodingMessage m;
  m.xid = streamed_xid(r, options);
  m.flags = r.u8("flags");
  m.lsn = r.lsn("lsn");
  m.prefix = r.cstring("prefix");
  const std::uint32_t length = r.u32("content length");
  m.content = r.bytes(length, "content");
  return m;
}

StreamStartMessage read_stream_start(FieldReader& r) {
  StreamStartMessage m;
  m.xid = r.u32("xid");
  const std::size_t at = r.position();
  const std::uint8_t first = r.u8("first segment");
  if (r.ok() && first > 1) {
    r.fail(at, fmt::format("first segment is {}, expected 0 or 1", first));
  }
  m.first_segment = first == 1;
  return m;
}

StreamCommitMessage read_stream_commit(FieldReader& r) {
  StreamCommitMessage m;
  m.xid = r.u32("xid");
  m.flags = r.zero_flags("flags");
  m.commit_lsn = r.lsn("commit_lsn");
  m.end_lsn = r.lsn("end_lsn");
  m.commit_time = r.timestamp("commit_time");
  return m;
}

StreamAbortMessage read_stream_abort(FieldReader& r, const DecodeOptions& options) {
  StreamAbortMessage m;
  m.xid = r.u32("xid");
  m.subxid = r.u32("subtransaction xid");
  if (options.stream_abort_has_lsn) {
    m.abort_lsn = r.lsn("abort_lsn");
    m.abort_time = r.timestamp("abort_time");
  }
  return m;
}

BeginPrepareMessage read_begin_prepare(FieldReader& r) {
  BeginPrepareMessage m;
  m.prepare_lsn = r.required_lsn("prepare_lsn");
  m.end_lsn = r.required_lsn("end_lsn");
  m.prepare_time = r.timestamp("prepare_time");
  m.xid = r.u32("xid");
  m.gid = r.cstring("gid");
  return m;
}

void read_prepared_fields(FieldReader& r, PreparedTransactionFields& m) {
  m.flags = r.zero_flags("flags");
  m.prepare_lsn = r.required_lsn("prepare_lsn");
  m.end_lsn = r.required_lsn("end_lsn");
  m.prepare_time = r.timestamp("prepare_time");
  const std::size_t xid_at = r.position();
  m.xid = r.u32("xid");
  if (r.ok() && m.xid == 0) r.fail(xid_at, "xid is 0 (invalid transaction id)");
  m.gid = r.cstring("gid");
}

CommitPreparedMessage read_commit_prepared(FieldReader& r) {
  CommitPreparedMessage m;
  m.flags = r.zero_flags("flags");
  m.commit_lsn = r.required_lsn("commit_lsn");
  m.end_lsn = r.required_lsn("end_lsn");
  m.commit_time = r.timestamp("commit_time");
  m.xid = r.u32("xid");
  m.gid = r.cstring("gid");
  return m;
}

RollbackPreparedMessage read_rollback_prepared(FieldReader& r) {
  RollbackPreparedMessage m;
  m.flags = r.zero_flags("flags");
  m.prepare_end_lsn = r.required_lsn("prepare_end_lsn");
  m.rollback_end_lsn = r.required_lsn("rollback_end_lsn");
  m.prepare_time = r.timestamp("prepare_time");
  m.rollback_time = r.timestamp("rollback_time");
  m.xid = r.u32("xid");
  m.gid = r.cstring("gid");
  return m;
}

PgoutputMessage read_body(char type, FieldReader& r, const DecodeOptions& options) {
  switch (type) {
    case 'B':
      return read_begin(r);
    case 'C':
      return read_commit(r);
    case 'O':
      return read_origin(r);
    case 'R':
      return read_relation(r, options);
    case 'Y':
      return read_type(r, options);
    case 'I':
      return read_insert(r, options);
    case 'U':
      return read_update(r, options);
    case 'D':
      return read_delete(r, options);
    case 'T':
      return read_truncate(r, options);
    case 'M':
      return read_logical_message(r, options);
    case 'S':
      return read_stream_start(r);
    case 'E':
      return StreamStopMessage{};
    case 'c':
      return read_stream_commit(r);
    case 'A':
      return read_stream_abort(r, options);
    case 'b':
      return read_begin_prepare(r);
    case 'P': {
      PrepareMessage m;
      read_prepared_fields(r, m);
      return m;
    }
    case 'p': {
      StreamPrepareMessage m;
      read_prepared_fields(r, m);
      return m;
    }
    case 'K':
      return read_commit_prepared(r);
    case 'r':
      return read_rollback_prepared(r);
    default:
      // Unreachable: decode_pgoutput checks the type first. Fail rather than assert.
      r.fail(0, "message type has no reader");
      return StreamStopMessage{};
  }
}

std::optional<Error> check_options(const DecodeOptions& options) {
  if (options.protocol_version < 1 || options.protocol_version > 4) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("pgoutput decoder supports protocol versions 1-4, not {}",
                                  options.protocol_version));
  }
  if (options.in_streamed_transaction && options.protocol_version < 2) {
    return make_error(ErrorCode::kInvalidArgument,
                      "pgoutput decoder: streamed transactions need protocol version >= 2");
  }
  if (options.stream_abort_has_lsn && options.protocol_version < 4) {
    return make_error(ErrorCode::kInvalidArgument,
                      "pgoutput decoder: Stream Abort with abort LSN needs protocol version >= 4");
  }
  return std::nullopt;
}

}  // namespace

Result<PgoutputMessage> decode_pgoutput(std::span<const std::uint8_t> message,
                                        const DecodeOptions& options) {
  if (auto bad = check_options(options)) return std::move(*bad);
  if (message.empty()) {
    return make_error(ErrorCode::kCorruption,
                      "pgoutput: empty message, no type byte (at byte offset 0)");
  }
  const char type = static_cast<char>(message[0]);
  const std::uint32_t since = first_protocol_version(type);
  if (since == 0) {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("pgoutput: unknown message type {} (at byte offset 0, "
                                  "message is {} bytes)",
                                  describe_byte(message[0]), message.size()));
  }
  if (since > options.protocol_version) {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("pgoutput {} message ('{}') is only sent from protocol version "
                                  "{} on, but this stream uses version {} (at byte offset 0)",
                                  message_type_name(type), type, since, options.protocol_version));
  }
  // The reader spans the whole message so that error offsets count from the type byte.
  FieldReader reader(message, type);
  reader.u8("message type");
  PgoutputMessage decoded = read_body(type, reader, options);
  if (auto error = reader.finish()) return std::move(*error);
  return decoded;
}

}  // namespace tideway::replication::postgres
