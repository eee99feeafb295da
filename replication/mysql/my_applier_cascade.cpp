// The target's ON DELETE CASCADE / SET NULL, done by hand for a parent's delete that
// finds no row in a handoff window. InnoDB does not write cascaded changes to the
// binlog, so the children of a deleted parent only go when the target's own foreign
// keys remove them. In a window that cannot happen when the parent table's copy was
// read after the delete (the parent is already gone) while a child table's copy was
// read before it (the children are still there): the children are then removed here,
// by the same rule the foreign key declares. A child copy read later than the delete
// that already holds a newer child of a re-inserted parent loses it here and gets it
// back from the stream's idempotent replay of that insert.
#include <fmt/format.h>

#include "replication/mysql/my_applier.h"

namespace tideway::replication::mysql {

Result<const std::vector<MyApplier::IncomingKey>*> MyApplier::incoming_keys(
    const TableDesc& parent) {
  const std::string name = parent.qualified();
  if (auto it = incoming_keys_.find(name); it != incoming_keys_.end()) return &it->second;
  auto rows = conn_->query(fmt::format(
      "SELECT k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, "
      "k.REFERENCED_COLUMN_NAME, r.DELETE_RULE "
      "FROM information_schema.KEY_COLUMN_USAGE k "
      "JOIN information_schema.REFERENTIAL_CONSTRAINTS r "
      "ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
      "AND r.TABLE_NAME = k.TABLE_NAME "
      "WHERE k.REFERENCED_TABLE_SCHEMA = {} AND k.REFERENCED_TABLE_NAME = {} "
      "AND r.DELETE_RULE IN ('CASCADE', 'SET NULL') "
      "ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
      conn_->quote(parent.schema), conn_->quote(parent.name)));
  if (!rows.ok()) {
    return std::move(rows).error().with_context("reading the foreign keys that refer to " + name +
                                                " on the target");
  }
  std::vector<IncomingKey> keys;
  for (std::size_t r = 0; r < rows->size(); ++r) {
    const bool same = !keys.empty() && keys.back().schema == rows->text(r, 0) &&
                      keys.back().table == rows->text(r, 1) &&
                      keys.back().constraint == rows->text(r, 2);
    if (!same) {
      keys.push_back(IncomingKey{rows->text(r, 0),
                                 rows->text(r, 1),
                                 rows->text(r, 2),
                                 {},
                                 {},
                                 rows->text(r, 5) == "SET NULL"});
    }
    keys.back().columns.push_back(rows->text(r, 3));
    keys.back().referenced.push_back(rows->text(r, 4));
  }
  return &(incoming_keys_[name] = std::move(keys));
}

Status MyApplier::cascade_by_hand(const Change& change, const TablePlan& plan) {
  auto keys = incoming_keys(*change.table);
  if (!keys.ok()) return std::move(keys).error();
  const TableDesc& t = *change.table;
  for (const IncomingKey& key : **keys) {
    std::string where;
    bool matchable = true;
    for (std::size_t c = 0; c < key.columns.size() && matchable; ++c) {
      std::size_t i = 0;
      while (i < t.columns.size() && t.columns[i].name != key.referenced[c]) ++i;
      // A NULL or absent referenced value matches no child.
      if (i == t.columns.size() || change.before->columns[i].state != Datum::State::kValue) {
        matchable = false;
        break;
      }
      where +=
          fmt::format("{}{} = ", where.empty() ? "" : " AND ", quote_identifier(key.columns[c]));
      if (Status s = literals_.append(where, change.before->columns[i], plan.types[i], true);
          !s.ok()) {
        return s;
      }
    }
    if (!matchable) continue;
    std::string sql;
    if (key.set_null) {
      std::string sets;
      for (const auto& c : key.columns) {
        sets += fmt::format("{}{} = NULL", sets.empty() ? "" : ", ", quote_identifier(c));
      }
      sql = fmt::format("UPDATE {} SET {} WHERE {}", qualified_name(key.schema, key.table), sets,
                        where);
    } else {
      sql = fmt::format("DELETE FROM {} WHERE {}", qualified_name(key.schema, key.table), where);
    }
    if (Status s = execute(
            sql, fmt::format("cascading a delete from {} to {}.{} ({}) at {}", t.qualified(),
                             key.schema, key.table, key.constraint, where_am_i()));
        !s.ok()) {
      return s;
    }
  }
  return {};
}

}  // namespace tideway::replication::mysql
