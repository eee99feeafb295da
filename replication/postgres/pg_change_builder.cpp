#include "replication/postgres/pg_change_builder.h"

#include <fmt/format.h>

namespace tideway::replication::postgres {
namespace {

Error malformed(Lsn at, char type, const std::string& what) {
  return make_error(ErrorCode::kCorruption,
                    fmt::format("pgoutput {} message at LSN {}: {}", message_type_name(type),
                                at.to_string(), what));
}

IdentityKind identity_of(ReplicaIdentity r) {
  switch (r) {
    case ReplicaIdentity::kDefault: return IdentityKind::kPrimaryKey;
    case ReplicaIdentity::kIndex: return IdentityKind::kIndex;
    case ReplicaIdentity::kFull: return IdentityKind::kFull;
    case ReplicaIdentity::kNothing: return IdentityKind::kNothing;
  }
  return IdentityKind::kPrimaryKey;
}

}  // namespace

std::shared_ptr<const TableDesc> PgChangeBuilder::relation(std::uint32_t id) const {
  auto it = relations_.find(id);
  return it == relations_.end() ? nullptr : it->second;
}

std::vector<std::pair<std::shared_ptr<const TableDesc>, std::shared_ptr<const TableDesc>>>
PgChangeBuilder::take_schema_changes() {
  return std::exchange(schema_changes_, {});
}

Result<std::shared_ptr<const TableDesc>> PgChangeBuilder::known(std::uint32_t id, Lsn at,
                                                                char type) const {
  auto r = relation(id);
  if (!r) return malformed(at, type, fmt::format("relation {} was never described", id));
  return r;
}

Result<RowImage> PgChangeBuilder::row(TupleData& tuple, const TableDesc& table, Lsn at,
                                      const char* what) const {
  if (tuple.columns.size() != table.columns.size()) {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("pgoutput change at LSN {}: {} of {} has {} columns, the "
                                  "relation has {}",
                                  at.to_string(), what, table.qualified(), tuple.columns.size(),
                                  table.columns.size()));
  }
  RowImage image;
  image.columns.reserve(tuple.columns.size());
  for (auto& c : tuple.columns) {
    switch (c.kind) {
      case ColumnKind::kNull: image.columns.push_back(Datum::null()); break;
      case ColumnKind::kUnchangedToast: image.columns.push_back(Datum::unchanged()); break;
      case ColumnKind::kText:
        image.columns.push_back(Datum::of(TextValue{std::move(c.bytes), 0, "UTF8"}));
        break;
      case ColumnKind::kBinary:
        image.columns.push_back(Datum::of(BytesValue{std::move(c.bytes)}));
        break;
    }
  }
  return image;
}

Result<std::optional<StreamEvent>> PgChangeBuilder::feed(PgoutputMessage&& message, Lsn at) {
  using Out = std::optional<StreamEvent>;
  const char type = message_type_byte(message);
  auto need_txn = [&]() -> Status {
    if (!in_transaction_) return malformed(at, type, "change outside a transaction");
    return {};
  };

  if (const auto* m = std::get_if<BeginMessage>(&message)) {
    if (in_transaction_) return malformed(at, type, "Begin inside a transaction");
    in_transaction_ = true;
    return Out(BeginEvent{m->xid, m->final_lsn, m->commit_time.unix_micros()});
  }
  if (const auto* m = std::get_if<CommitMessage>(&message)) {
    if (!in_transaction_) return malformed(at, type, "Commit without Begin");
    in_transaction_ = false;
    return Out(CommitEvent{m->commit_lsn, m->end_lsn, m->commit_time.unix_micros(), false});
  }
  if (const auto* m = std::get_if<RelationMessage>(&message)) {
    auto desc = std::make_shared<TableDesc>();
    desc->source_id = m->relation_id;
    desc->schema = m->namespace_name;
    desc->name = m->relation_name;
    desc->identity = identity_of(m->replica_identity);
    for (const auto& c : m->columns) {
      auto type_name = type_names_.find(c.type_oid);
      desc->columns.push_back({c.name, type_name == type_names_.end() ? "" : type_name->second,
                               c.type_oid, c.type_modifier, c.is_key()});
    }
    auto old = relation(m->relation_id);
    if (old && old->columns.size() != desc->columns.size()) {
      schema_changes_.emplace_back(old, desc);
    }
    relations_[m->relation_id] = std::move(desc);
    return Out();
  }
  if (const auto* m = std::get_if<TypeMessage>(&message)) {
    type_names_[m->type_oid] = m->namespace_name.empty() || m->namespace_name == "pg_catalog"
                                   ? m->type_name
                                   : m->namespace_name + "." + m->type_name;
    return Out();
  }
  if (auto* m = std::get_if<InsertMessage>(&message)) {
    if (Status s = need_txn(); !s.ok()) return std::move(s).error();
    auto table = known(m->relation_id, at, type);
    if (!table.ok()) return std::move(table).error();
    auto after = row(m->new_tuple, **table, at, "new row");
    if (!after.ok()) return std::move(after).error();
    Change c;
    c.kind = ChangeKind::kInsert;
    c.table = *table;
    c.after = std::move(after).value();
    return Out(std::move(c));
  }
  if (auto* m = std::get_if<UpdateMessage>(&message)) {
    if (Status s = need_txn(); !s.ok()) return std::move(s).error();
    auto table = known(m->relation_id, at, type);
    if (!table.ok()) return std::move(table).error();
    Change c;
    c.kind = ChangeKind::kUpdate;
    c.table = *table;
    TupleData* old = m->old_tuple ? &*m->old_tuple : m->key_tuple ? &*m->key_tuple : nullptr;
    if (old != nullptr) {
      auto before = row(*old, **table, at, "old row");
      if (!before.ok()) return std::move(before).error();
      c.before = std::move(before).value();
    }
    auto after = row(m->new_tuple, **table, at, "new row");
    if (!after.ok()) return std::move(after).error();
    c.after = std::move(after).value();
    return Out(std::move(c));
  }
  if (auto* m = std::get_if<DeleteMessage>(&message)) {
    if (Status s = need_txn(); !s.ok()) return std::move(s).error();
    auto table = known(m->relation_id, at, type);
    if (!table.ok()) return std::move(table).error();
    TupleData* old = m->old_tuple ? &*m->old_tuple : m->key_tuple ? &*m->key_tuple : nullptr;
    if (old == nullptr) {
      return malformed(at, type, fmt::format("delete on {} carries no old row (replica identity "
                                             "NOTHING); set REPLICA IDENTITY FULL or add a "
                                             "primary key", (*table)->qualified()));
    }
    auto before = row(*old, **table, at, "old row");
    if (!before.ok()) return std::move(before).error();
    Change c;
    c.kind = ChangeKind::kDelete;
    c.table = *table;
    c.before = std::move(before).value();
    return Out(std::move(c));
  }
  if (const auto* m = std::get_if<TruncateMessage>(&message)) {
    if (Status s = need_txn(); !s.ok()) return std::move(s).error();
    Change c;
    c.kind = ChangeKind::kTruncate;
    for (auto id : m->relation_ids) {
      auto table = known(id, at, type);
      if (!table.ok()) return std::move(table).error();
      c.truncated.push_back(*table);
    }
    if (!c.truncated.empty()) c.table = c.truncated.front();
    c.truncate_cascade = (m->options & TruncateMessage::kCascade) != 0;
    c.truncate_restart_identity = (m->options & TruncateMessage::kRestartIdentity) != 0;
    return Out(std::move(c));
  }
  if (std::holds_alternative<OriginMessage>(message) ||
      std::holds_alternative<LogicalDecodingMessage>(message)) {
    return Out();  // origins and logical messages carry no row changes for the target
  }
  // Stream Start/Stop/Commit/Abort are the stream's own business (it spools streamed
  // transactions and replays them here as Begin, changes, Commit); two-phase is off.
  return malformed(at, type, "not expected here (streamed transactions are replayed as Begin, "
                             "changes and Commit; two-phase is off)");
}

}  // namespace tideway::replication::postgres
