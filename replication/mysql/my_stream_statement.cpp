#include "replication/mysql/my_stream_statement.h"

#include <cctype>
#include <set>

namespace tideway::replication::mysql {
namespace {

struct Token {
  enum class Kind { kWord, kQuoted, kString, kSymbol };
  Kind kind = Kind::kSymbol;
  std::string text;  // words upper-cased; quoted identifiers unquoted
  std::string raw;   // words as written (identifiers keep their case)
};

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

/// Splits the statement head into tokens; stops after `limit` tokens (only heads matter,
/// and a CREATE TABLE ... SELECT may be megabytes).
std::vector<Token> tokenize(std::string_view s, std::size_t limit) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size() && out.size() < limit) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++i;
    } else if (c == '#' || (c == '-' && i + 2 < s.size() && s[i + 1] == '-' &&
                            std::isspace(static_cast<unsigned char>(s[i + 2])) != 0)) {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      // /*! and /*M! hold code the server runs; a version number may follow the '!'.
      std::size_t j = i + 2;
      if (j < s.size() && s[j] == 'M') ++j;
      if (j < s.size() && s[j] == '!') {
        ++j;
        while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])) != 0) ++j;
        i = j;  // the matching */ is skipped below as a symbol pair
      } else {
        const auto end = s.find("*/", i + 2);
        i = end == std::string_view::npos ? s.size() : end + 2;
      }
    } else if (c == '*' && i + 1 < s.size() && s[i + 1] == '/') {
      i += 2;  // end of an executable comment
    } else if (c == '`') {
      std::string name;
      std::size_t j = i + 1;
      for (; j < s.size(); ++j) {
        if (s[j] == '`') {
          if (j + 1 < s.size() && s[j + 1] == '`') {
            name += '`';
            ++j;
          } else {
            break;
          }
        } else {
          name += s[j];
        }
      }
      out.push_back({Token::Kind::kQuoted, name, name});
      i = j + 1;
    } else if (c == '\'' || c == '"') {
      std::string text;
      std::size_t j = i + 1;
      for (; j < s.size(); ++j) {
        if (s[j] == '\\' && j + 1 < s.size()) {
          text += s[++j];
        } else if (s[j] == c) {
          if (j + 1 < s.size() && s[j + 1] == c) {
            text += c;
            ++j;
          } else {
            break;
          }
        } else {
          text += s[j];
        }
      }
      out.push_back({Token::Kind::kString, text, text});
      i = j + 1;
    } else if (word_char(c)) {
      std::size_t j = i;
      while (j < s.size() && word_char(s[j])) ++j;
      std::string raw(s.substr(i, j - i));
      std::string upper = raw;
      for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      out.push_back({Token::Kind::kWord, upper, raw});
      i = j;
    } else {
      out.push_back({Token::Kind::kSymbol, std::string(1, c), std::string(1, c)});
      ++i;
    }
  }
  return out;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::string_view default_schema, StatementInfo& info)
      : t_(std::move(tokens)), default_(default_schema), info_(info) {}

  bool at_end() const { return i_ >= t_.size(); }
  bool is(const char* word, std::size_t ahead = 0) const {
    return i_ + ahead < t_.size() && t_[i_ + ahead].kind == Token::Kind::kWord &&
           t_[i_ + ahead].text == word;
  }
  bool symbol(const char* s) const {
    return i_ < t_.size() && t_[i_].kind == Token::Kind::kSymbol && t_[i_].text == s;
  }
  bool accept(const char* word) {
    if (!is(word)) return false;
    ++i_;
    return true;
  }
  bool accept_symbol(const char* s) {
    if (!symbol(s)) return false;
    ++i_;
    return true;
  }
  void skip_all(std::initializer_list<const char*> words) {
    for (bool again = true; again;) {
      again = false;
      for (const char* w : words) again = again || accept(w);
    }
  }
  void skip_if_exists() {
    if (is("IF") && is("EXISTS", 1)) {
      i_ += 2;
      info_.if_exists = true;
    } else if (is("IF") && is("NOT", 1) && is("EXISTS", 2)) {
      i_ += 3;
    }
  }
  /// DEFINER = user, ALGORITHM = x, SQL SECURITY x: view and routine clauses.
  void skip_object_clauses() {
    for (;;) {
      if (is("DEFINER") || is("ALGORITHM")) {
        ++i_;
        accept_symbol("=");
        skip_user();
      } else if (is("SQL") && is("SECURITY", 1)) {
        i_ += 3;
      } else {
        return;
      }
    }
  }
  void skip_user() {
    if (at_end()) return;
    ++i_;  // name, CURRENT_USER, 'user'
    if (accept_symbol("(")) accept_symbol(")");
    if (accept_symbol("@")) ++i_;
  }
  std::optional<std::string> identifier() {
    if (at_end()) return std::nullopt;
    const Token& tk = t_[i_];
    if (tk.kind != Token::Kind::kWord && tk.kind != Token::Kind::kQuoted) return std::nullopt;
    ++i_;
    return tk.raw;
  }
  std::optional<TableName> table_name() {
    auto first = identifier();
    if (!first) return std::nullopt;
    if (accept_symbol(".")) {
      auto second = identifier();
      if (!second) return std::nullopt;
      return TableName{*first, *second};
    }
    info_.uses_default_schema = true;
    return TableName{std::string(default_), *first};
  }
  void add_table() {
    if (auto n = table_name()) info_.tables.push_back(*n);
  }
  void table_list() {
    do {
      add_table();
    } while (accept_symbol(","));
  }
  /// ALTER TABLE t ... RENAME [TO|AS] u, at any place among the alter options.
  void alter_rename(const TableName& from) {
    int depth = 0;
    while (!at_end()) {
      if (symbol("(")) ++depth;
      if (symbol(")")) --depth;
      if (depth == 0 && is("RENAME") && !is("COLUMN", 1) && !is("INDEX", 1) && !is("KEY", 1)) {
        ++i_;
        if (!accept("TO")) accept("AS");
        if (auto to = table_name()) {
          info_.renames.emplace_back(from, *to);
          info_.tables.push_back(*to);
        }
        continue;
      }
      ++i_;
    }
  }

  void parse();

 private:
  void set(StatementKind kind, std::string verb) {
    info_.kind = kind;
    info_.verb = std::move(verb);
  }
  void parse_create();
  void parse_alter();
  void parse_drop();

  std::vector<Token> t_;
  std::size_t i_ = 0;
  std::string_view default_;
  StatementInfo& info_;
};

const std::set<std::string> kIgnorableHeads = {
    "GRANT", "REVOKE",   "FLUSH",   "ANALYZE",   "OPTIMIZE", "REPAIR",
    "CHECK", "CHECKSUM", "INSTALL", "UNINSTALL", "SET",      "DO",
    "PURGE", "RESET",    "KILL",    "SHUTDOWN",  "CACHE",    "LOAD_INDEX"};

const std::set<std::string> kAccountObjects = {"USER",    "ROLE",     "SERVER",   "TABLESPACE",
                                               "LOGFILE", "RESOURCE", "INSTANCE", "SPATIAL"};

const std::set<std::string> kSchemaObjects = {"VIEW",  "TRIGGER",  "PROCEDURE", "FUNCTION",
                                              "EVENT", "SEQUENCE", "AGGREGATE", "PACKAGE"};

void Parser::parse_create() {
  if (accept("OR")) accept("REPLACE");
  skip_object_clauses();
  if (accept("TEMPORARY")) info_.temporary = true;
  skip_all({"UNIQUE", "FULLTEXT", "SPATIAL", "ONLINE", "OFFLINE"});
  if (accept("TABLE")) {
    set(StatementKind::kTableDdl, "CREATE TABLE");
    skip_if_exists();
    add_table();
  } else if (accept("INDEX")) {
    set(StatementKind::kTableDdl, "CREATE INDEX");
    skip_if_exists();
    (void)identifier();
    while (!at_end() && !is("ON")) ++i_;
    if (accept("ON")) add_table();
  } else if (accept("DATABASE") || accept("SCHEMA")) {
    set(StatementKind::kDatabaseDdl, "CREATE DATABASE");
    skip_if_exists();
    info_.database = identifier().value_or("");
  } else if (!at_end() && kSchemaObjects.count(t_[i_].text) > 0) {
    set(StatementKind::kSchemaObject, "CREATE " + t_[i_].text);
    ++i_;
    skip_if_exists();
    add_table();
  } else if (!at_end() && kAccountObjects.count(t_[i_].text) > 0) {
    set(StatementKind::kIgnorable, "CREATE " + t_[i_].text);
  }
}

void Parser::parse_alter() {
  skip_all({"ONLINE", "OFFLINE", "IGNORE"});
  skip_object_clauses();
  if (accept("TABLE")) {
    set(StatementKind::kTableDdl, "ALTER TABLE");
    skip_if_exists();
    if (auto n = table_name()) {
      info_.tables.push_back(*n);
      alter_rename(*n);
    }
  } else if (accept("DATABASE") || accept("SCHEMA")) {
    set(StatementKind::kDatabaseDdl, "ALTER DATABASE");
    info_.database = is("CHARACTER") || is("DEFAULT") || is("COLLATE") || is("COMMENT")
                         ? std::string(default_)
                         : identifier().value_or("");
  } else if (!at_end() && kSchemaObjects.count(t_[i_].text) > 0) {
    set(StatementKind::kSchemaObject, "ALTER " + t_[i_].text);
    ++i_;
    add_table();
  } else if (!at_end() && kAccountObjects.count(t_[i_].text) > 0) {
    set(StatementKind::kIgnorable, "ALTER " + t_[i_].text);
  }
}

void Parser::parse_drop() {
  if (accept("TEMPORARY")) info_.temporary = true;
  if (accept("TABLE") || accept("TABLES")) {
    set(StatementKind::kTableDdl, "DROP TABLE");
    skip_if_exists();
    table_list();
  } else if (accept("INDEX")) {
    set(StatementKind::kTableDdl, "DROP INDEX");
    skip_all({"ONLINE", "OFFLINE"});
    skip_if_exists();
    (void)identifier();
    if (accept("ON")) add_table();
  } else if (accept("DATABASE") || accept("SCHEMA")) {
    set(StatementKind::kDatabaseDdl, "DROP DATABASE");
    skip_if_exists();
    info_.database = identifier().value_or("");
  } else if (!at_end() && kSchemaObjects.count(t_[i_].text) > 0) {
    set(StatementKind::kSchemaObject, "DROP " + t_[i_].text);
    ++i_;
    skip_if_exists();
    add_table();
  } else if (!at_end() && kAccountObjects.count(t_[i_].text) > 0) {
    set(StatementKind::kIgnorable, "DROP " + t_[i_].text);
  }
}

void Parser::parse() {
  if (at_end()) return;
  // MariaDB's SET STATEMENT var = value [, ...] FOR <statement>: the statement counts.
  if (is("SET") && is("STATEMENT", 1)) {
    while (!at_end() && !is("FOR")) ++i_;
    if (!accept("FOR")) return;
  }
  if (at_end()) return;
  if (accept("BEGIN") || (is("START") && is("TRANSACTION", 1))) {
    set(StatementKind::kBegin, "BEGIN");
  } else if (accept("COMMIT")) {
    set(StatementKind::kCommit, "COMMIT");
  } else if (accept("ROLLBACK")) {
    accept("WORK");
    set(is("TO") ? StatementKind::kSavepoint : StatementKind::kRollback, "ROLLBACK");
  } else if (is("SAVEPOINT") || (is("RELEASE") && is("SAVEPOINT", 1))) {
    set(StatementKind::kSavepoint, "SAVEPOINT");
  } else if (accept("XA")) {
    set(StatementKind::kXa, "XA");
  } else if (accept("CREATE")) {
    parse_create();
  } else if (accept("ALTER")) {
    parse_alter();
  } else if (accept("DROP")) {
    parse_drop();
  } else if (accept("RENAME")) {
    if (accept("TABLE") || accept("TABLES")) {
      set(StatementKind::kTableDdl, "RENAME TABLE");
      do {
        auto from = table_name();
        if (!accept("TO")) break;
        auto to = table_name();
        if (!from || !to) break;
        info_.renames.emplace_back(*from, *to);
        info_.tables.push_back(*from);
        info_.tables.push_back(*to);
      } while (accept_symbol(","));
    } else if (!at_end() && kAccountObjects.count(t_[i_].text) > 0) {
      set(StatementKind::kIgnorable, "RENAME " + t_[i_].text);
    }
  } else if (accept("TRUNCATE")) {
    set(StatementKind::kTableDdl, "TRUNCATE TABLE");
    accept("TABLE");
    add_table();
  } else if (is("INSERT") || is("REPLACE")) {
    set(StatementKind::kDml, t_[i_].text);
    ++i_;
    skip_all({"LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO"});
    add_table();
  } else if (accept("UPDATE")) {
    set(StatementKind::kDml, "UPDATE");
    skip_all({"LOW_PRIORITY", "IGNORE"});
    add_table();
  } else if (accept("DELETE")) {
    set(StatementKind::kDml, "DELETE");
    skip_all({"LOW_PRIORITY", "QUICK", "IGNORE", "FROM"});
    add_table();
  } else if (accept("LOAD")) {
    set(StatementKind::kDml, "LOAD DATA");
    while (!at_end() && !(is("INTO") && is("TABLE", 1))) ++i_;
    if (!at_end()) {
      i_ += 2;
      add_table();
    }
  } else if (kIgnorableHeads.count(t_[i_].text) > 0) {
    set(StatementKind::kIgnorable, t_[i_].text);
  }
}

}  // namespace

StatementInfo classify_statement(std::string_view sql, std::string_view default_schema) {
  StatementInfo info;
  // 4096 tokens reach every table name of any statement head we classify (a DROP TABLE
  // of hundreds of tables included) without tokenizing a bulky body.
  Parser parser(tokenize(sql, 4096), default_schema, info);
  parser.parse();
  return info;
}

}  // namespace tideway::replication::mysql
