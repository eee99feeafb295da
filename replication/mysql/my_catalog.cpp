#include "replication/mysql/my_catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <set>

namespace tideway::replication::mysql {
namespace {

constexpr const char* kTablesSql = R"(
SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(ENGINE, ''), COALESCE(TABLE_ROWS, 0),
       COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0), AUTO_INCREMENT
  FROM information_schema.TABLES
 WHERE TABLE_TYPE = 'BASE TABLE'
   AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys',
                            '_tideway')
 ORDER BY TABLE_SCHEMA, TABLE_NAME)";

constexpr const char* kColumnsSql = R"(
SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE,
       COALESCE(CHARACTER_SET_NAME, ''), IS_NULLABLE, COALESCE(IS_GENERATED, 'NEVER'), EXTRA
  FROM information_schema.COLUMNS
 WHERE TABLE_SCHEMA IN ({})
 ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION)";

constexpr const char* kPrimaryKeySql = R"(
SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME
  FROM information_schema.STATISTICS
 WHERE TABLE_SCHEMA IN ({}) AND INDEX_NAME = 'PRIMARY'
 ORDER BY TABLE_SCHEMA, TABLE_NAME, SEQ_IN_INDEX)";

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

bool MyColumn::is_unsigned() const { return column_type.find(" unsigned") != std::string::npos; }

std::vector<const MyColumn*> MyTable::stored_columns() const {
  std::vector<const MyColumn*> out;
  for (const auto& c : columns) {
    if (!c.generated) out.push_back(&c);
  }
  return out;
}

const MyColumn* MyTable::column(const std::string& column_name) const {
  for (const auto& c : columns) {
    if (c.name == column_name) return &c;
  }
  return nullptr;
}

bool MyTable::transactional() const {
  const std::string e = lower(engine);
  return e == "innodb" || e == "xtradb" || e == "rocksdb" || e == "tokudb";
}

std::vector<std::string> databases_of(const std::vector<MyTable>& tables) {
  std::set<std::string> names;
  for (const auto& t : tables) names.insert(t.database);
  return {names.begin(), names.end()};
}

std::string sql_string_list(const MyConnection& conn, const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + conn.quote(v);
  return out.empty() ? "NULL" : out;
}

Result<std::vector<MyTable>> list_tables(MyConnection& conn, const TableFilter& filter) {
  auto listed = conn.query(kTablesSql);
  if (!listed.ok()) return std::move(listed).error().with_context("listing tables");
  std::vector<MyTable> tables;
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  for (std::size_t r = 0; r < listed->size(); ++r) {
    MyTable t;
    t.database = listed->text(r, 0);
    t.name = listed->text(r, 1);
    if (!filter.matches(t.database, t.name)) continue;
    t.engine = listed->text(r, 2);
    t.estimated_rows = listed->as_int(r, 3);
    t.data_bytes = listed->as_int(r, 4);
    if (!listed->is_null(r, 5)) {
      t.auto_increment = std::strtoull(listed->text(r, 5).c_str(), nullptr, 10);
    }
    index[{t.database, t.name}] = tables.size();
    tables.push_back(std::move(t));
  }
  if (tables.empty()) return tables;

  const std::string databases = sql_string_list(conn, databases_of(tables));
  auto columns = conn.query(fmt::format(fmt::runtime(kColumnsSql), databases));
  if (!columns.ok()) return std::move(columns).error().with_context("reading columns");
  for (std::size_t r = 0; r < columns->size(); ++r) {
    auto it = index.find({columns->text(r, 0), columns->text(r, 1)});
    if (it == index.end()) continue;  // a view, or a table the filter left out
    MyColumn c;
    c.name = columns->text(r, 2);
    c.data_type = lower(columns->text(r, 3));
    c.column_type = lower(columns->text(r, 4));
    c.charset = columns->text(r, 5);
    c.nullable = columns->text(r, 6) == "YES";
    c.generated = columns->text(r, 7) != "NEVER";
    c.auto_increment = lower(columns->text(r, 8)).find("auto_increment") != std::string::npos;
    tables[it->second].columns.push_back(std::move(c));
  }
  auto keys = conn.query(fmt::format(fmt::runtime(kPrimaryKeySql), databases));
  if (!keys.ok()) return std::move(keys).error().with_context("reading primary keys");
  for (std::size_t r = 0; r < keys->size(); ++r) {
    auto it = index.find({keys->text(r, 0), keys->text(r, 1)});
    if (it != index.end()) tables[it->second].primary_key.push_back(keys->text(r, 2));
  }
  // A table whose columns are hidden (no privilege on it) keeps an empty column list;
  // the source checks report the missing SELECT grant.
  return tables;
}

}  // namespace tideway::replication::mysql
