#include "tests/pgoutput/pgoutput_encoder.h"

#include <string>

#include "tests/pgoutput/wire_builder.h"

namespace tideway::test {
namespace {

using namespace replication::postgres;

void xid(WireBuilder& w, const std::optional<std::uint32_t>& x) {
  if (x) w.u32(*x);
}

void nspname(WireBuilder& w, const std::string& name) {
  w.str(name == "pg_catalog" ? std::string() : name);
}

void tuple(WireBuilder& w, char marker, const TupleData& t) {
  w.type(marker).u16(static_cast<std::uint16_t>(t.columns.size()));
  for (const auto& c : t.columns) {
    if (c.kind == ColumnKind::kText || c.kind == ColumnKind::kBinary) {
      w.column(static_cast<char>(c.kind), c.bytes);
    } else {
      w.type(static_cast<char>(c.kind));
    }
  }
}

void body(WireBuilder& w, const BeginMessage& m) {
  w.u64(m.final_lsn.value).i64(m.commit_time.micros_since_2000).u32(m.xid);
}
void body(WireBuilder& w, const CommitMessage& m) {
  w.u8(m.flags).u64(m.commit_lsn.value).u64(m.end_lsn.value);
  w.i64(m.commit_time.micros_since_2000);
}
void body(WireBuilder& w, const OriginMessage& m) { w.u64(m.origin_commit_lsn.value).str(m.name); }
void body(WireBuilder& w, const RelationMessage& m) {
  xid(w, m.xid);
  w.u32(m.relation_id);
  nspname(w, m.namespace_name);
  w.str(m.relation_name).type(static_cast<char>(m.replica_identity));
  w.u16(static_cast<std::uint16_t>(m.columns.size()));
  for (const auto& c : m.columns) w.u8(c.flags).str(c.name).u32(c.type_oid).i32(c.type_modifier);
}
void body(WireBuilder& w, const TypeMessage& m) {
  xid(w, m.xid);
  w.u32(m.type_oid);
  nspname(w, m.namespace_name);
  w.str(m.type_name);
}
void body(WireBuilder& w, const InsertMessage& m) {
  xid(w, m.xid);
  w.u32(m.relation_id);
  tuple(w, 'N', m.new_tuple);
}
void body(WireBuilder& w, const UpdateMessage& m) {
  xid(w, m.xid);
  w.u32(m.relation_id);
  if (m.key_tuple) tuple(w, 'K', *m.key_tuple);
  if (m.old_tuple) tuple(w, 'O', *m.old_tuple);
  tuple(w, 'N', m.new_tuple);
}
void body(WireBuilder& w, const DeleteMessage& m) {
  xid(w, m.xid);
  w.u32(m.relation_id);
  if (m.key_tuple) tuple(w, 'K', *m.key_tuple);
  if (m.old_tuple) tuple(w, 'O', *m.old_tuple);
}
void body(WireBuilder& w, const TruncateMessage& m) {
  xid(w, m.xid);
  w.u32(static_cast<std::uint32_t>(m.relation_ids.size())).u8(m.options);
  for (auto id : m.relation_ids) w.u32(id);
}
void body(WireBuilder& w, const LogicalDecodingMessage& m) {
  xid(w, m.xid);
  w.u8(m.flags).u64(m.lsn.value).str(m.prefix);
  w.u32(static_cast<std::uint32_t>(m.content.size())).raw(m.content);
}
void body(WireBuilder& w, const StreamStartMessage& m) { w.u32(m.xid).u8(m.first_segment ? 1 : 0); }
void body(WireBuilder&, const StreamStopMessage&) {}
void body(WireBuilder& w, const StreamCommitMessage& m) {
  w.u32(m.xid).u8(m.flags).u64(m.commit_lsn.value).u64(m.end_lsn.value);
  w.i64(m.commit_time.micros_since_2000);
}
void body(WireBuilder& w, const StreamAbortMessage& m) {
  w.u32(m.xid).u32(m.subxid);
  if (m.abort_lsn) w.u64(m.abort_lsn->value);
  if (m.abort_time) w.i64(m.abort_time->micros_since_2000);
}
void body(WireBuilder& w, const BeginPrepareMessage& m) {
  w.u64(m.prepare_lsn.value).u64(m.end_lsn.value).i64(m.prepare_time.micros_since_2000);
  w.u32(m.xid).str(m.gid);
}
void body(WireBuilder& w, const PreparedTransactionFields& m) {
  w.u8(m.flags).u64(m.prepare_lsn.value).u64(m.end_lsn.value);
  w.i64(m.prepare_time.micros_since_2000).u32(m.xid).str(m.gid);
}
void body(WireBuilder& w, const CommitPreparedMessage& m) {
  w.u8(m.flags).u64(m.commit_lsn.value).u64(m.end_lsn.value);
  w.i64(m.commit_time.micros_since_2000).u32(m.xid).str(m.gid);
}
void body(WireBuilder& w, const RollbackPreparedMessage& m) {
  w.u8(m.flags).u64(m.prepare_end_lsn.value).u64(m.rollback_end_lsn.value);
  w.i64(m.prepare_time.micros_since_2000).i64(m.rollback_time.micros_since_2000);
  w.u32(m.xid).str(m.gid);
}

}  // namespace

std::vector<std::uint8_t> encode_pgoutput(const PgoutputMessage& message) {
  WireBuilder w;
  w.type(message_type_byte(message));
  std::visit([&](const auto& m) { body(w, m); }, message);
  return w.bytes();
}

}  // namespace tideway::test
