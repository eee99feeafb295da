#include "replication/postgres/pgoutput_json.h"

#include <string>
#include <string_view>

namespace tideway::replication::postgres {
namespace {

using nlohmann::json;

// nlohmann::json::dump() throws on invalid UTF-8; wire strings are in the server encoding
// or binary, so they are checked here and fall back to hex.
bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      extra = 1;
      cp = lead & 0x1Fu;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2;
      cp = lead & 0x0Fu;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3;
      cp = lead & 0x07u;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cont = static_cast<unsigned char>(s[i + k]);
      if ((cont & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cont & 0x3Fu);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[extra] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

std::string to_hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0F];
  }
  return out;
}

void put_text(json& j, const std::string& key, std::string_view value) {
  if (is_valid_utf8(value)) {
    j[key] = std::string(value);
  } else {
    j[key + "_hex"] = to_hex(value);
  }
}

void put_xid(json& j, const std::optional<std::uint32_t>& xid) {
  if (xid) j["xid"] = *xid;
}

const char* kind_name(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::kNull:
      return "null";
    case ColumnKind::kUnchangedToast:
      return "unchanged_toast";
    case ColumnKind::kText:
      return "text";
    case ColumnKind::kBinary:
      return "binary";
  }
  return "unknown";
}

const char* identity_name(ReplicaIdentity identity) {
  switch (identity) {
    case ReplicaIdentity::kDefault:
      return "default";
    case ReplicaIdentity::kNothing:
      return "nothing";
    case ReplicaIdentity::kFull:
      return "full";
    case ReplicaIdentity::kIndex:
      return "index";
  }
  return "unknown";
}

void fill(json& j, const BeginMessage& m) {
  j["final_lsn"] = m.final_lsn.to_string();
  j["commit_time"] = m.commit_time.to_iso8601();
  j["xid"] = m.xid;
}

void fill(json& j, const CommitMessage& m) {
  j["flags"] = m.flags;
  j["commit_lsn"] = m.commit_lsn.to_string();
  j["end_lsn"] = m.end_lsn.to_string();
  j["commit_time"] = m.commit_time.to_iso8601();
}

void fill(json& j, const OriginMessage& m) {
  j["origin_commit_lsn"] = m.origin_commit_lsn.to_string();
  put_text(j, "name", m.name);
}

void fill(json& j, const RelationMessage& m) {
  put_xid(j, m.xid);
  j["relation_id"] = m.relation_id;
  put_text(j, "namespace", m.namespace_name);
  put_text(j, "relation_name", m.relation_name);
  j["replica_identity"] = identity_name(m.replica_identity);
  json columns = json::array();
  for (const auto& c : m.columns) {
    json col{{"flags", c.flags},
             {"key", c.is_key()},
             {"type_oid", c.type_oid},
             {"type_modifier", c.type_modifier}};
    put_text(col, "name", c.name);
    columns.push_back(std::move(col));
  }
  j["columns"] = std::move(columns);
}

void fill(json& j, const TypeMessage& m) {
  put_xid(j, m.xid);
  j["type_oid"] = m.type_oid;
  put_text(j, "namespace", m.namespace_name);
  put_text(j, "type_name", m.type_name);
}

void fill(json& j, const InsertMessage& m) {
  put_xid(j, m.xid);
  j["relation_id"] = m.relation_id;
  j["new_tuple"] = to_json(m.new_tuple);
}

void fill(json& j, const UpdateMessage& m) {
  put_xid(j, m.xid);
  j["relation_id"] = m.relation_id;
  if (m.key_tuple) j["key_tuple"] = to_json(*m.key_tuple);
  if (m.old_tuple) j["old_tuple"] = to_json(*m.old_tuple);
  j["new_tuple"] = to_json(m.new_tuple);
}

void fill(json& j, const DeleteMessage& m) {
  put_xid(j, m.xid);
  j["relation_id"] = m.relation_id;
  if (m.key_tuple) j["key_tuple"] = to_json(*m.key_tuple);
  if (m.old_tuple) j["old_tuple"] = to_json(*m.old_tuple);
}

void fill(json& j, const TruncateMessage& m) {
  put_xid(j, m.xid);
  j["options"] = m.options;
  j["cascade"] = m.cascade();
  j["restart_identity"] = m.restart_identity();
  j["relation_ids"] = m.relation_ids;
}

void fill(json& j, const LogicalDecodingMessage& m) {
  put_xid(j, m.xid);
  j["flags"] = m.flags;
  j["transactional"] = m.transactional();
  j["lsn"] = m.lsn.to_string();
  put_text(j, "prefix", m.prefix);
  put_text(j, "content", m.content);
}

void fill(json& j, const StreamStartMessage& m) {
  j["xid"] = m.xid;
  j["first_segment"] = m.first_segment;
}

void fill(json&, const StreamStopMessage&) {}

void fill(json& j, const StreamCommitMessage& m) {
  j["xid"] = m.xid;
  j["flags"] = m.flags;
  j["commit_lsn"] = m.commit_lsn.to_string();
  j["end_lsn"] = m.end_lsn.to_string();
  j["commit_time"] = m.commit_time.to_iso8601();
}

void fill(json& j, const StreamAbortMessage& m) {
  j["xid"] = m.xid;
  j["subxid"] = m.subxid;
  if (m.abort_lsn) j["abort_lsn"] = m.abort_lsn->to_string();
  if (m.abort_time) j["abort_time"] = m.abort_time->to_iso8601();
}

void fill(json& j, const BeginPrepareMessage& m) {
  j["prepare_lsn"] = m.prepare_lsn.to_string();
  j["end_lsn"] = m.end_lsn.to_string();
  j["prepare_time"] = m.prepare_time.to_iso8601();
  j["xid"] = m.xid;
  put_text(j, "gid", m.gid);
}

void fill(json& j, const PreparedTransactionFields& m) {
  j["flags"] = m.flags;
  j["prepare_lsn"] = m.prepare_lsn.to_string();
  j["end_lsn"] = m.end_lsn.to_string();
  j["prepare_time"] = m.prepare_time.to_iso8601();
  j["xid"] = m.xid;
  put_text(j, "gid", m.gid);
}

void fill(json& j, const CommitPreparedMessage& m) {
  j["flags"] = m.flags;
  j["commit_lsn"] = m.commit_lsn.to_string();
  j["end_lsn"] = m.end_lsn.to_string();
  j["commit_time"] = m.commit_time.to_iso8601();
  j["xid"] = m.xid;
  put_text(j, "gid", m.gid);
}

void fill(json& j, const RollbackPreparedMessage& m) {
  j["flags"] = m.flags;
  j["prepare_end_lsn"] = m.prepare_end_lsn.to_string();
  j["rollback_end_lsn"] = m.rollback_end_lsn.to_string();
  j["prepare_time"] = m.prepare_time.to_iso8601();
  j["rollback_time"] = m.rollback_time.to_iso8601();
  j["xid"] = m.xid;
  put_text(j, "gid", m.gid);
}

}  // namespace

json to_json(const TupleData& tuple) {
  json columns = json::array();
  for (const auto& c : tuple.columns) {
    json col{{"kind", kind_name(c.kind)}};
    if (c.kind == ColumnKind::kText || c.kind == ColumnKind::kBinary) {
      put_text(col, "value", c.bytes);
    }
    columns.push_back(std::move(col));
  }
  return columns;
}

json to_json(const PgoutputMessage& message) {
  const char type = message_type_byte(message);
  json j{{"type", message_type_name(type)}, {"type_byte", std::string(1, type)}};
  std::visit([&](const auto& m) { fill(j, m); }, message);
  return j;
}

}  // namespace tideway::replication::postgres
