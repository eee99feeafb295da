#include "replication/mysql/my_source_checks.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <fmt/format.h>

#include "replication/mysql/my_watermark.h"

namespace tideway::replication::mysql {
namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && s[b] == ' ') ++b;
  while (e > b && s[e - 1] == ' ') --e;
  return std::string(s.substr(b, e - b));
}

// Position of `token` in `s` at or after `from`, outside quotes and parentheses.
std::size_t find_top_level(std::string_view s, std::string_view token, std::size_t from) {
  char quote = 0;
  int depth = 0;
  for (std::size_t i = from; i < s.size(); ++i) {
    const char c = s[i];
    if (quote != 0) {
      if (c == quote) quote = 0;  // a doubled quote re-enters at once: same result
      continue;
    }
    if (c == '`' || c == '\'' || c == '"') {
      quote = c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (depth == 0 && s.substr(i, token.size()) == token) {
      return i;
    }
  }
  return std::string_view::npos;
}

// One scope part: *, `name`, 'name' or a bare name. Advances `pos`; nullopt on failure.
std::optional<std::string> read_scope_part(std::string_view s, std::size_t& pos) {
  if (pos >= s.size()) return std::nullopt;
  if (s[pos] == '*') {
    ++pos;
    return "*";
  }
  if (s[pos] == '`' || s[pos] == '\'' || s[pos] == '"') {
    const char q = s[pos];
    std::string name;
    for (std::size_t i = pos + 1; i < s.size(); ++i) {
      if (s[i] == q) {
        if (i + 1 < s.size() && s[i + 1] == q) {
          name += q;
          ++i;
          continue;
        }
        pos = i + 1;
        return name;
      }
      name += s[i];
    }
    return std::nullopt;
  }
  const std::size_t start = pos;
  while (pos < s.size() && s[pos] != '.' && s[pos] != ' ') ++pos;
  if (pos == start) return std::nullopt;
  return std::string(s.substr(start, pos - start));
}

// SQL LIKE as grant scopes use it: % any run, _ one character, \ escapes the next.
bool like_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '\\' && p + 1 < pattern.size() &&
        pattern[p + 1] == text[t]) {
      p += 2;
      ++t;
    } else if (p < pattern.size() && pattern[p] != '%' && pattern[p] != '\\' &&
               (pattern[p] == '_' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '%') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

}  // namespace

GrantSet GrantSet::parse(const std::vector<std::string>& lines) {
  GrantSet set;
  for (const auto& raw : lines) {
    const std::string_view line = raw;
    if (line.substr(0, 6) != "GRANT ") continue;
    const std::size_t on = find_top_level(line, " ON ", 6);
    if (on == std::string_view::npos) continue;  // a role granted to the user
    std::size_t pos = on + 4;
    auto database = read_scope_part(line, pos);
    if (!database || pos >= line.size() || line[pos] != '.') continue;  // PROCEDURE x, PROXY
    ++pos;
    auto table = read_scope_part(line, pos);
    if (!table || line.substr(pos, 4) != " TO ") continue;
    Scope scope{*database, *table, {}};
    const std::string_view list = line.substr(6, on - 6);
    std::size_t start = 0;
    for (;;) {
      const std::size_t comma = find_top_level(list, ",", start);
      std::string privilege = trim(list.substr(start, comma == std::string_view::npos
                                                          ? std::string_view::npos
                                                          : comma - start));
      // "SELECT (`a`, `b`)": only some columns, which is not the table's privilege.
      if (privilege.find('(') != std::string::npos) {
        privilege = trim(privilege.substr(0, privilege.find('('))) + " (COLUMNS)";
      }
      scope.privileges.push_back(upper(privilege));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    set.scopes_.push_back(std::move(scope));
  }
  return set;
}

bool GrantSet::has(const std::string& privilege, const std::string& database,
                   const std::string& table) const {
  const std::string wanted = upper(privilege);
  for (const auto& s : scopes_) {
    const bool listed = std::any_of(s.privileges.begin(), s.privileges.end(), [&](auto& p) {
      return p == wanted || p == "ALL PRIVILEGES" || p == "ALL";
    });
    if (!listed) continue;
    if (s.database == "*") return true;
    if (database.empty()) continue;
    if (s.table == "*" && like_match(s.database, database)) return true;
    if (!table.empty() && s.database == database && s.table == table) return true;
  }
  return false;
}

std::string grantee(const std::string& current_user) {
  const auto at = current_user.rfind('@');
  if (at == std::string::npos) return "'" + current_user + "'";
  return fmt::format("'{}'@'{}'", current_user.substr(0, at), current_user.substr(at + 1));
}

std::vector<std::string> binlog_setting_problems(
    const std::vector<std::pair<std::string, std::string>>& variables) {
  std::map<std::string, std::string> v(variables.begin(), variables.end());
  std::vector<std::string> problems;
  auto value = [&](const char* name) -> std::optional<std::string> {
    auto it = v.find(name);
    if (it == v.end()) return std::nullopt;
    return upper(it->second);
  };
  if (auto log_bin = value("log_bin"); log_bin && *log_bin != "ON" && *log_bin != "1") {
    problems.push_back(
        "the binary log is off (log_bin = OFF); start the server with log_bin (Aurora/RDS: set "
        "binlog_format in the cluster parameter group and a backup retention period above 0)");
  }
  if (auto format = value("binlog_format"); format && *format != "ROW") {
    problems.push_back(fmt::format(
        "binlog_format is {}; set binlog_format = ROW (SET GLOBAL binlog_format = 'ROW' and in "
        "the server configuration; Aurora/RDS: the parameter group)", *format));
  }
  if (auto image = value("binlog_row_image"); image && *image != "FULL") {
    problems.push_back(fmt::format(
        "binlog_row_image is {}; set binlog_row_image = FULL (changes must carry whole rows to "
        "be applied and compared)", *image));
  }
  if (auto id = value("server_id"); id && *id == "0") {
    problems.push_back("server_id is 0, with which the server writes no usable binlog; set a "
                       "non-zero server_id");
  }
  return problems;
}

std::vector<std::string> gtid_resume_problems(bool mariadb, const std::string& gtid_mode) {
  if (mariadb || gtid_mode == "ON") return {};
  return {fmt::format(
      "mysql.resume_by: gtid needs gtid_mode = ON on the source (it is {}); set "
      "enforce_gtid_consistency = ON and gtid_mode = ON (stepping through OFF_PERMISSIVE and "
      "ON_PERMISSIVE; Aurora/RDS: the parameter group), or use resume_by: file",
      gtid_mode)};
}

Result<SourceCheckReport> check_source(MyConnection& source, const std::vector<MyTable>& tables,
                                       const SourceCheckOptions& options) {
  SourceCheckReport report;
  auto who = source.query("SELECT CURRENT_USER()");
  if (!who.ok()) return std::move(who).error().with_context("checking the source user");
  const std::string user = grantee(who->text(0, 0));
  // Plain SHOW GRANTS, not SHOW GRANTS FOR CURRENT_USER: on MariaDB only the former
  // lists the privileges of the session's active (default) role as well.
  auto grant_rows = source.query("SHOW GRANTS");
  if (!grant_rows.ok()) return std::move(grant_rows).error().with_context("checking grants");
  std::vector<std::string> lines;
  for (std::size_t r = 0; r < grant_rows->size(); ++r) lines.push_back(grant_rows->text(r, 0));
  const GrantSet grants = GrantSet::parse(lines);

  if (options.needs_stream) {
    auto vars = source.query(
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', "
        "'binlog_row_image', 'server_id')");
    if (!vars.ok()) return std::move(vars).error().with_context("checking binlog settings");
    std::vector<std::pair<std::string, std::string>> values;
    for (std::size_t r = 0; r < vars->size(); ++r) {
      std::string name = vars->text(r, 0);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      values.emplace_back(name, vars->text(r, 1));
    }
    report.problems = binlog_setting_problems(values);
    if (!grants.has("REPLICATION SLAVE")) {
      report.problems.push_back(fmt::format(
          "user {} may not read the binlog; run GRANT REPLICATION SLAVE ON *.* TO {}", user, user));
    }
    if (!grants.has("BINLOG MONITOR") && !grants.has("REPLICATION CLIENT") &&
        !grants.has("SUPER")) {
      report.problems.push_back(fmt::format(
          "user {} may not see binlog positions; run GRANT BINLOG MONITOR ON *.* TO {} (MySQL and "
          "MariaDB before 10.5: REPLICATION CLIENT)", user, user));
    }
  }

  if (options.needs_stream && options.resume_by_gtid) {
    std::string mode = "ON";
    if (!source.is_mariadb()) {
      auto m = mysql_gtid_mode(source);
      if (!m.ok()) return std::move(m).error();
      mode = *m;
    }
    for (auto& p : gtid_resume_problems(source.is_mariadb(), mode)) {
      report.problems.push_back(std::move(p));
    }
  }

  if (options.watermark) {
    auto vars = source.query("SHOW GLOBAL VARIABLES LIKE 'binlog_order_commits'");
    if (!vars.ok()) return std::move(vars).error().with_context("checking binlog_order_commits");
    std::vector<std::pair<std::string, std::string>> values;
    for (std::size_t r = 0; r < vars->size(); ++r) {
      values.emplace_back("binlog_order_commits", vars->text(r, 1));
    }
    for (auto& p : watermark_setting_problems(source.is_mariadb(), values)) {
      report.problems.push_back(std::move(p));
    }
    const std::string& db = options.signal_database;
    const std::string& table = options.signal_table;
    auto exists = source.query(fmt::format(
        "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} AND "
        "TABLE_NAME = {}", source.quote(db), source.quote(table)));
    if (!exists.ok()) return std::move(exists).error().with_context("looking for the signal table");
    std::vector<std::string> missing;
    if (exists->as_int(0, 0) == 0 && !grants.has("CREATE", db, table)) missing.push_back("CREATE");
    for (const char* p : {"INSERT", "UPDATE"}) {
      if (!grants.has(p, db, table)) missing.push_back(p);
    }
    if (!missing.empty()) {
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      report.problems.push_back(fmt::format(
          "user {} cannot write the watermark signal table {}.{} (the watermark snapshot "
          "commits one small row per chunk there); run GRANT {} ON {}.* TO {}",
          user, db, table, list, quote_identifier(db), user));
    }
  }

  if (options.watermark) {
    // Chunks read at different moments can hold, for an instant, two rows with one value
    // of a unique secondary index (one row gave it up, another took it, and their chunks
    // straddle that); the stream resolves it, but the index is added right after the load.
    std::set<std::string> selected;
    for (const auto& t : tables) selected.insert(t.qualified());
    for (const auto& db : databases_of(tables)) {
      auto unique = source.query(fmt::format(
          "SELECT DISTINCT TABLE_NAME, INDEX_NAME FROM information_schema.STATISTICS WHERE "
          "TABLE_SCHEMA = {} AND NON_UNIQUE = 0 AND INDEX_NAME <> 'PRIMARY' "
          "ORDER BY TABLE_NAME, INDEX_NAME", source.quote(db)));
      if (!unique.ok()) return std::move(unique).error().with_context("listing unique indexes");
      for (std::size_t r = 0; r < unique->size(); ++r) {
        const std::string table = db + "." + unique->text(r, 0);
        if (selected.count(table) == 0) continue;
        report.warnings.push_back(fmt::format(
            "table {} has unique index {} besides its primary key: with watermark snapshots "
            "its chunks show different moments, so if rows hand values of that index to each "
            "other while it is copied, adding the index after the load fails with a duplicate "
            "entry and the task stops (nothing is applied wrongly; a new load is needed); on "
            "MariaDB, mysql.snapshot: consistent_snapshot avoids this whenever its workers' "
            "snapshots open at one binlog position, as they do unless commits land during "
            "every attempt to align them",
            table, unique->text(r, 1)));
      }
    }
  }

  std::set<std::string> databases;
  for (const auto& t : tables) {
    databases.insert(t.database);
    if (!grants.has("SELECT", t.database, t.name)) {
      report.problems.push_back(fmt::format(
          "user {} cannot read table {}; run GRANT SELECT ON {} TO {} (or ON {}.*)", user,
          t.qualified(), t.sql_name(), user, quote_identifier(t.database)));
    }
    if (!t.transactional()) {
      const std::string text = fmt::format(
          "table {} uses the {} engine, which takes no part in a consistent snapshot (its "
          "rows are read as they are at that moment) nor in a target transaction (a chunk "
          "cut short is cleared and copied again); convert it with ALTER TABLE {} "
          "ENGINE=InnoDB", t.qualified(), t.engine, t.sql_name());
      (options.needs_stream ? report.problems : report.warnings).push_back(text);
    }
    if (t.primary_key.empty()) {
      report.warnings.push_back(fmt::format(
          "table {} has no primary key: one worker copies it in one chunk, and the change "
          "stream will find its rows by all columns", t.qualified()));
    }
  }

  if (options.schema_create && !databases.empty()) {
    // Without these privileges views and triggers are not merely unreadable but
    // invisible, so their absence cannot be taken to mean there are none.
    for (const auto& db : databases) {
      const std::string scope = quote_identifier(db) + ".*";
      if (!grants.has("SHOW VIEW", db)) {
        report.problems.push_back(fmt::format(
            "user {} cannot read the views of database {} (without SHOW VIEW their "
            "definitions are hidden and they would not be recreated); run GRANT SHOW VIEW ON "
            "{} TO {}", user, db, scope, user));
      }
      if (!grants.has("TRIGGER", db)) {
        report.problems.push_back(fmt::format(
            "user {} cannot see the triggers of database {} (without the TRIGGER privilege "
            "they are invisible and would not be recreated); run GRANT TRIGGER ON {} TO {}",
            user, db, scope, user));
      }
    }
    // MariaDB keeps routines in mysql.proc; MySQL 8 has a data dictionary instead and
    // a privilege of its own for reading routine bodies.
    if (source.is_mariadb() && !grants.has("SELECT", "mysql", "proc")) {
      report.problems.push_back(fmt::format(
          "user {} cannot read stored routine bodies; run GRANT SELECT ON mysql.proc TO {}",
          user, user));
    } else if (!source.is_mariadb() && !grants.has("SELECT") && !grants.has("SHOW_ROUTINE")) {
      report.problems.push_back(fmt::format(
          "user {} cannot read stored routine bodies; run GRANT SHOW_ROUTINE ON *.* TO {} "
          "(MySQL 8.0.20 and later)", user, user));
    }
  }
  return report;
}

}  // namespace tideway::replication::mysql
