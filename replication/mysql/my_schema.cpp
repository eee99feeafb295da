#include "replication/mysql/my_schema.h"

#include <map>
#include <set>

#include <fmt/format.h>

namespace tideway::replication::mysql {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Reads a `quoted` identifier (doubled backticks inside) at `pos`; returns its name and
// advances `pos` past it, or "" if there is none.
std::string read_backticked(std::string_view s, std::size_t& pos) {
  if (pos >= s.size() || s[pos] != '`') return "";
  std::string name;
  for (std::size_t i = pos + 1; i < s.size(); ++i) {
    if (s[i] == '`') {
      if (i + 1 < s.size() && s[i + 1] == '`') {
        name += '`';
        ++i;
        continue;
      }
      pos = i + 1;
      return name;
    }
    name += s[i];
  }
  return "";
}

// The first column of an index clause: "KEY `k` (`a`,`b`)" -> a.
std::string first_index_column(std::string_view clause) {
  std::size_t pos = 0;
  // Skip the index name (a backticked identifier may contain a parenthesis).
  while (pos < clause.size() && clause[pos] != '(') {
    if (clause[pos] == '`') {
      read_backticked(clause, pos);
    } else {
      ++pos;
    }
  }
  if (pos >= clause.size()) return "";
  ++pos;
  return read_backticked(clause, pos);
}

// Reads a definer part at `pos`: `name`, 'name' or a bare word.
std::size_t skip_definer_part(const std::string& s, std::size_t pos) {
  if (pos >= s.size()) return pos;
  const char q = s[pos];
  if (q == '`' || q == '\'' || q == '"') {
    for (std::size_t i = pos + 1; i < s.size(); ++i) {
      if (s[i] == q) {
        if (i + 1 < s.size() && s[i + 1] == q) {
          ++i;
          continue;
        }
        return i + 1;
      }
    }
    return s.size();
  }
  while (pos < s.size() && s[pos] != ' ' && s[pos] != '@' && s[pos] != '\n') ++pos;
  return pos;
}

struct ViewDef {
  std::string database, name, sql;
};

// Views in an order where each comes after the views it reads: a view's definition
// names another as `db`.`view` (SHOW CREATE VIEW qualifies every reference).
std::vector<ViewDef> dependency_order(std::vector<ViewDef> views) {
  std::vector<ViewDef> ordered;
  std::set<std::string> placed;
  while (!views.empty()) {
    bool progress = false;
    for (auto it = views.begin(); it != views.end();) {
      bool ready = true;
      for (const auto& other : views) {
        if (&other == &*it) continue;
        if (it->sql.find(qualified_name(other.database, other.name)) != std::string::npos) {
          ready = false;
        }
      }
      if (ready) {
        placed.insert(qualified_name(it->database, it->name));
        ordered.push_back(std::move(*it));
        it = views.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
    if (!progress) {  // a name that only looks like a reference: keep the source's order
      for (auto& v : views) ordered.push_back(std::move(v));
      break;
    }
  }
  return ordered;
}

}  // namespace

std::string rewrite_definer(const std::string& sql, std::string* old_definer) {
  const auto at = sql.find("DEFINER=");
  if (at == std::string::npos) return sql;
  std::size_t keyword = std::string::npos;
  for (const char* k : {" VIEW ", " PROCEDURE ", " FUNCTION ", " TRIGGER ", " EVENT "}) {
    keyword = std::min(keyword, sql.find(k));
  }
  if (keyword == std::string::npos || at > keyword) return sql;  // not in the head
  const std::size_t start = at + 8;
  std::size_t end = skip_definer_part(sql, start);
  if (end < sql.size() && sql[end] == '@') end = skip_definer_part(sql, end + 1);
  const std::string definer = sql.substr(start, end - start);
  if (definer == "CURRENT_USER" || definer == "CURRENT_USER()") return sql;
  if (old_definer != nullptr) *old_definer = definer;
  return sql.substr(0, start) + "CURRENT_USER" + sql.substr(end);
}

SplitTable split_create_table(const std::string& show_create, const MyTable& table) {
  SplitTable out;
  const auto lines = split_lines(show_create);
  std::string auto_column;
  bool key_starts_with_auto = false;
  for (const auto& c : table.columns) {
    if (c.auto_increment) auto_column = c.name;
  }
  if (!table.primary_key.empty() && table.primary_key.front() == auto_column) {
    key_starts_with_auto = true;
  }
  std::vector<std::string> kept;
  std::size_t i = 1;
  for (; i < lines.size() && starts_with(lines[i], "  "); ++i) {
    std::string body = lines[i].substr(2);
    if (!body.empty() && body.back() == ',') body.pop_back();
    const bool index = starts_with(body, "KEY ") || starts_with(body, "UNIQUE KEY ") ||
                       starts_with(body, "FULLTEXT KEY ") || starts_with(body, "SPATIAL KEY ");
    const bool foreign = starts_with(body, "CONSTRAINT ") &&
                         body.find(" FOREIGN KEY ") != std::string::npos;
    if (index && !auto_column.empty() && !key_starts_with_auto &&
        first_index_column(body) == auto_column) {
      // AUTO_INCREMENT needs an index starting with its column from the first moment.
      key_starts_with_auto = true;
      kept.push_back(std::move(body));
    } else if (index) {
      out.index_clauses.push_back(std::move(body));
    } else if (foreign) {
      out.foreign_keys.push_back(std::move(body));
    } else {
      kept.push_back(std::move(body));
    }
  }
  std::string create = lines.empty() ? "" : lines[0];
  for (std::size_t k = 0; k < kept.size(); ++k) {
    create += "\n  " + kept[k] + (k + 1 < kept.size() ? "," : "");
  }
  for (; i < lines.size(); ++i) create += "\n" + lines[i];
  out.create_sql = std::move(create);
  return out;
}

Result<SchemaPlan> plan_schema(MyConnection& source, const std::vector<MyTable>& tables,
                               const TableFilter& filter) {
  SchemaPlan plan;
  if (tables.empty()) return plan;
  const auto databases = databases_of(tables);
  const std::string in_databases = sql_string_list(source, databases);
  auto fail = [](Error e, const std::string& what) { return std::move(e).with_context(what); };

  for (const auto& db : databases) {
    auto r = source.query("SHOW CREATE DATABASE " + quote_identifier(db));
    if (!r.ok()) return fail(std::move(r).error(), "reading database " + db);
    std::string sql = r->text(0, 1);
    if (starts_with(sql, "CREATE DATABASE ")) {
      sql = "CREATE DATABASE IF NOT EXISTS " + sql.substr(16);
    }
    plan.before_load.push_back({"database " + db, "", sql, ""});
  }

  std::vector<DdlStatement> fk_statements;
  for (const auto& t : tables) {
    auto r = source.query("SHOW CREATE TABLE " + t.sql_name());
    if (!r.ok()) return fail(std::move(r).error(), "reading table " + t.qualified());
    SplitTable split = split_create_table(r->text(0, 1), t);
    plan.before_load.push_back({"table " + t.qualified(), t.database, split.create_sql, ""});
    std::string plain, sep;
    for (const auto& clause : split.index_clauses) {
      if (starts_with(clause, "FULLTEXT KEY ")) {
        // InnoDB builds one FULLTEXT index per ALTER TABLE.
        plan.after_load.push_back({"full-text index on " + t.qualified(), t.database,
                                   "ALTER TABLE " + t.sql_name() + " ADD " + clause, ""});
      } else {
        plain += sep + "ADD " + clause;
        sep = ", ";
      }
    }
    if (!plain.empty()) {
      plan.after_load.push_back(
          {"indexes on " + t.qualified(), t.database, "ALTER TABLE " + t.sql_name() + " " + plain,
           ""});
    }
    // Foreign keys stay on the target during a MySQL stream: InnoDB does not write the
    // rows a cascade deletes or updates to the binlog, so only the target's own foreign
    // keys can repeat them. They go after every table's indexes (a key may reference a
    // unique index rather than a primary key).
    for (const auto& fk : split.foreign_keys) {
      fk_statements.push_back({"foreign key on " + t.qualified(), t.database,
                               "ALTER TABLE " + t.sql_name() + " ADD " + fk, ""});
    }
  }
  plan.after_load.insert(plan.after_load.end(), fk_statements.begin(), fk_statements.end());

  // Routines before views: a view may call a function, while a routine's body is only
  // resolved when it runs.
  auto routines = source.query(
      "SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES "
      "WHERE ROUTINE_SCHEMA IN (" + in_databases + ") AND ROUTINE_TYPE IN ('PROCEDURE', "
      "'FUNCTION') ORDER BY ROUTINE_SCHEMA, ROUTINE_TYPE, ROUTINE_NAME");
  if (!routines.ok()) return fail(std::move(routines).error(), "listing routines");
  for (std::size_t r = 0; r < routines->size(); ++r) {
    const std::string db = routines->text(r, 0), name = routines->text(r, 1);
    const std::string type = routines->text(r, 2);
    const std::string object = (type == "FUNCTION" ? "function " : "procedure ") + db + "." + name;
    auto show = source.query("SHOW CREATE " + type + " " + qualified_name(db, name));
    if (!show.ok()) return fail(std::move(show).error(), "reading " + object);
    if (show->is_null(0, 2)) {
      return make_error(ErrorCode::kPermissionDenied,
                        fmt::format("{}: the body of {} is hidden from the user; grant SELECT "
                                    "ON mysql.proc (or global SELECT)",
                                    source.endpoint().describe(), object));
    }
    std::string old;
    std::string sql = rewrite_definer(show->text(0, 2), &old);
    if (!old.empty()) {
      plan.definers_rewritten.push_back(
          fmt::format("{}: DEFINER {} became CURRENT_USER", object, old));
    }
    plan.has_functions = plan.has_functions || type == "FUNCTION";
    plan.after_load.push_back({object, db, sql, show->text(0, 1)});
  }

  auto views = source.query("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.VIEWS "
                            "WHERE TABLE_SCHEMA IN (" + in_databases +
                            ") ORDER BY TABLE_SCHEMA, TABLE_NAME");
  if (!views.ok()) return fail(std::move(views).error(), "listing views");
  std::vector<ViewDef> view_defs;
  for (std::size_t r = 0; r < views->size(); ++r) {
    const std::string db = views->text(r, 0), name = views->text(r, 1);
    if (!filter.matches(db, name)) continue;
    auto show = source.query("SHOW CREATE VIEW " + qualified_name(db, name));
    if (!show.ok()) return fail(std::move(show).error(), "reading view " + db + "." + name);
    view_defs.push_back({db, name, show->text(0, 1)});
  }
  for (auto& v : dependency_order(std::move(view_defs))) {
    const std::string object = "view " + v.database + "." + v.name;
    std::string old;
    std::string sql = rewrite_definer(v.sql, &old);
    if (!old.empty()) {
      plan.definers_rewritten.push_back(
          fmt::format("{}: DEFINER {} became CURRENT_USER", object, old));
    }
    plan.after_load.push_back({object, v.database, sql, ""});
  }

  // Triggers in firing order: per table, event and timing by ACTION_ORDER.
  auto triggers = source.query(
      "SELECT TRIGGER_SCHEMA, TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS "
      "WHERE TRIGGER_SCHEMA IN (" + in_databases + ") ORDER BY TRIGGER_SCHEMA, "
      "EVENT_OBJECT_TABLE, EVENT_MANIPULATION, ACTION_TIMING, ACTION_ORDER");
  if (!triggers.ok()) return fail(std::move(triggers).error(), "listing triggers");
  for (std::size_t r = 0; r < triggers->size(); ++r) {
    const std::string db = triggers->text(r, 0), name = triggers->text(r, 1);
    if (!filter.matches(db, triggers->text(r, 2))) continue;
    const std::string object = "trigger " + db + "." + name;
    auto show = source.query("SHOW CREATE TRIGGER " + qualified_name(db, name));
    if (!show.ok()) return fail(std::move(show).error(), "reading " + object);
    std::string old;
    std::string sql = rewrite_definer(show->text(0, 2), &old);
    if (!old.empty()) {
      plan.definers_rewritten.push_back(
          fmt::format("{}: DEFINER {} became CURRENT_USER", object, old));
    }
    plan.has_triggers = true;
    plan.at_cutover.push_back({object, db, sql, show->text(0, 1)});
  }
  return plan;
}

Status apply_ddl(MyConnection& target, const DdlStatement& s) {
  const std::string where = "creating " + s.object + " on the target";
  if (!s.database.empty()) {
    if (Status u = target.execute("USE " + quote_identifier(s.database)); !u.ok()) {
      return std::move(u).error().with_context(where);
    }
  }
  if (!s.sql_mode.empty()) {
    if (Status m = target.execute("SET SESSION sql_mode = " + target.quote(s.sql_mode)); !m.ok()) {
      return std::move(m).error().with_context(where + " (setting the object's sql_mode)");
    }
  }
  Status result = target.execute(s.sql);
  if (!s.sql_mode.empty()) {
    Status back = target.execute(std::string("SET SESSION sql_mode = '") + kTargetSqlMode + "'");
    if (result.ok() && !back.ok()) result = std::move(back);
  }
  if (!result.ok()) return std::move(result).error().with_context(where);
  return {};
}

}  // namespace tideway::replication::mysql
