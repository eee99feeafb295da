// The target's ON DELETE / ON UPDATE CASCADE and SET NULL, done by hand for changes
// applied in a handoff window. InnoDB does not write cascaded changes to the binlog, so
// the children of a deleted parent, or of a parent whose key changed, only follow when
// the target's own foreign keys move them. In a window they cannot: foreign key checks
// are off there (a child's copy may be newer than its parent's), and when the parent
// table's copy was read after the change (the parent is already gone or renamed) while a
// child table's copy was read before it, the target's children still name the old key.
// They are moved here, by the rule the foreign key declares. A child copy read later
// than the change that already holds a newer child of the old key loses or moves it
// here and gets it back from the stream's idempotent replay of that child's own change.
#include <fmt/format.h>

#include "replication/mysql/my_applier.h"

namespace tideway::replication::mysql {
namespace {

bool moves_children(const std::string& rule) { return rule == "CASCADE" || rule == "SET NULL"; }

}  // namespace

Result<const std::vector<MyApplier::IncomingKey>*> MyApplier::incoming_keys(
    const TableDesc& parent) {
  const std::string name = parent.qualified();
  if (auto it = incoming_keys_.find(name); it != incoming_keys_.end()) return &it->second;
  auto rows = conn_->query(fmt::format(
      "SELECT k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, "
      "k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE "
      "FROM information_schema.KEY_COLUMN_USAGE k "
      "JOIN information_schema.REFERENTIAL_CONSTRAINTS r "
      "ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
      "AND r.TABLE_NAME = k.TABLE_NAME "
      "WHERE k.REFERENCED_TABLE_SCHEMA = {} AND k.REFERENCED_TABLE_NAME = {} "
      "ORDER BY k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
      conn_->quote(parent.schema), conn_->quote(parent.name)));
  if (!rows.ok()) {
    return std::move(rows).error().with_context("reading the foreign keys that refer to " + name +
                                                " on the target");
  }
  std::vector<IncomingKey> keys;
  for (std::size_t r = 0; r < rows->size(); ++r) {
    if (!moves_children(rows->text(r, 5)) && !moves_children(rows->text(r, 6))) continue;
    const bool same = !keys.empty() && keys.back().schema == rows->text(r, 0) &&
                      keys.back().table == rows->text(r, 1) &&
                      keys.back().constraint == rows->text(r, 2);
    if (!same) {
      IncomingKey key;
      key.schema = rows->text(r, 0);
      key.table = rows->text(r, 1);
      key.constraint = rows->text(r, 2);
      key.on_delete = rows->text(r, 5);
      key.on_update = rows->text(r, 6);
      keys.push_back(std::move(key));
    }
    keys.back().columns.push_back(rows->text(r, 3));
    keys.back().referenced.push_back(rows->text(r, 4));
  }
  return &(incoming_keys_[name] = std::move(keys));
}

Result<std::optional<std::vector<std::string>>> MyApplier::referenced_literals(
    const IncomingKey& key, const Change& change, const TablePlan& plan,
    const replication::RowImage& image) {
  const TableDesc& t = *change.table;
  std::vector<std::string> out;
  for (const auto& column : key.referenced) {
    std::size_t i = 0;
    while (i < t.columns.size() && t.columns[i].name != column) ++i;
    // A NULL or absent referenced value matches no child.
    if (i == t.columns.size() || image.columns[i].state != Datum::State::kValue) {
      return std::optional<std::vector<std::string>>();
    }
    std::string literal;
    if (Status s = literals_.append(literal, image.columns[i], plan.types[i], true); !s.ok()) {
      return std::move(s).error().with_context(
          fmt::format("column {} of {} at {}", column, t.qualified(), where_am_i()));
    }
    out.push_back(std::move(literal));
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Status MyApplier::move_children(const IncomingKey& key, const Change& change,
                                const std::vector<std::string>& from,
                                const std::vector<std::string>* to, bool remove) {
  std::string where, sets;
  for (std::size_t c = 0; c < key.columns.size(); ++c) {
    const std::string q = quote_identifier(key.columns[c]);
    where += fmt::format("{}{} = {}", where.empty() ? "" : " AND ", q, from[c]);
    sets += fmt::format("{}{} = {}", sets.empty() ? "" : ", ", q, to ? (*to)[c] : "NULL");
  }
  const std::string table = qualified_name(key.schema, key.table);
  const std::string sql = remove ? fmt::format("DELETE FROM {} WHERE {}", table, where)
                                 : fmt::format("UPDATE {} SET {} WHERE {}", table, sets, where);
  return execute(
      sql, fmt::format("cascading a change of {} to {}.{} ({}) at {}", change.table->qualified(),
                       key.schema, key.table, key.constraint, where_am_i()));
}

Status MyApplier::cascade_delete_by_hand(const Change& change, const TablePlan& plan) {
  auto keys = incoming_keys(*change.table);
  if (!keys.ok()) return std::move(keys).error();
  for (const IncomingKey& key : **keys) {
    if (!moves_children(key.on_delete)) continue;
    auto from = referenced_literals(key, change, plan, *change.before);
    if (!from.ok()) return std::move(from).error();
    if (!*from) continue;
    if (Status s = move_children(key, change, **from, nullptr, key.on_delete == "CASCADE");
        !s.ok()) {
      return s;
    }
  }
  return {};
}

Status MyApplier::cascade_update_by_hand(const Change& change, const TablePlan& plan) {
  if (!change.before) return {};
  auto keys = incoming_keys(*change.table);
  if (!keys.ok()) return std::move(keys).error();
  for (const IncomingKey& key : **keys) {
    if (!moves_children(key.on_update)) continue;
    auto from = referenced_literals(key, change, plan, *change.before);
    if (!from.ok()) return std::move(from).error();
    auto to = referenced_literals(key, change, plan, *change.after);
    if (!to.ok()) return std::move(to).error();
    if (!*from || (*to && **to == **from)) continue;  // no child, or the key did not change
    const bool set_null = key.on_update == "SET NULL" || !*to;
    if (Status s = move_children(key, change, **from, set_null ? nullptr : &**to, false); !s.ok()) {
      return s;
    }
  }
  return {};
}

}  // namespace tideway::replication::mysql
