#include "replication/mysql/my_chunk_planner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "replication/mysql/my_sql_literal.h"

namespace tideway::replication::mysql {
namespace {

constexpr std::int64_t kExactCountBelow = 10'000'000;
constexpr std::uint64_t kSignBit = 1ULL << 63;

const std::vector<std::string> kIntegerTypes = {"tinyint", "smallint", "mediumint",
                                                "int",     "integer",  "bigint"};

bool is_integer(const MyColumn& c) {
  for (const auto& t : kIntegerTypes) {
    if (c.data_type == t) return true;
  }
  return false;
}

// ENUM and SET sort by their index, but compare with a string by text; a chunk bound must
// compare the way the key sorts, so such key columns are bounded by their index.
bool by_index(const MyColumn& c) { return c.data_type == "enum" || c.data_type == "set"; }

std::string key_expression(const MyColumn& c) {
  return by_index(c) ? "(" + quote_identifier(c.name) + "+0)" : quote_identifier(c.name);
}

std::string range_where(const std::string& lower, const std::string& upper) {
  if (lower.empty()) return upper;
  if (upper.empty()) return lower;
  return lower + " AND " + upper;
}

std::string short_label(std::string text) {
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

// Maps a key to unsigned space preserving order: signed values are offset by 2^63.
std::optional<std::uint64_t> to_offset(const std::string& text, bool is_unsigned) {
  errno = 0;
  char* end = nullptr;
  std::uint64_t u = 0;
  if (is_unsigned) {
    if (!text.empty() && text[0] == '-') return std::nullopt;
    u = std::strtoull(text.c_str(), &end, 10);
  } else {
    u = static_cast<std::uint64_t>(std::strtoll(text.c_str(), &end, 10)) ^ kSignBit;
  }
  if (errno != 0 || end == text.c_str() || *end != '\0') return std::nullopt;
  return u;
}

std::string from_offset(std::uint64_t u, bool is_unsigned) {
  if (is_unsigned) return std::to_string(u);
  return std::to_string(static_cast<std::int64_t>(u ^ kSignBit));
}

Result<std::int64_t> row_count(MyConnection& conn, const MyTable& table) {
  if (table.estimated_rows >= kExactCountBelow) return table.estimated_rows;
  auto r = conn.query("SELECT COUNT(*) FROM " + table.sql_name());
  if (!r.ok()) return std::move(r).error();
  return r->as_int(0, 0);
}

Result<ChunkPlan> plan_integer_key(MyConnection& conn, const MyTable& table, const MyColumn& key,
                                   std::int64_t chunk_rows) {
  const std::string k = quote_identifier(key.name);
  auto bounds = conn.query(fmt::format("SELECT MIN({0}), MAX({0}) FROM {1}", k, table.sql_name()));
  if (!bounds.ok()) return std::move(bounds).error();
  ChunkPlan plan;
  plan.method = ChunkMethod::kIntegerKey;
  auto rows = row_count(conn, table);
  if (!rows.ok()) return std::move(rows).error();
  std::vector<std::string> points;
  if (!bounds->is_null(0, 0)) {
    points = integer_boundaries(bounds->text(0, 0), bounds->text(0, 1), key.is_unsigned(), *rows,
                                chunk_rows);
  }
  for (std::size_t i = 0; i <= points.size(); ++i) {
    const std::string lower = i == 0 ? "" : fmt::format("{} >= {}", k, points[i - 1]);
    const std::string upper = i == points.size() ? "" : fmt::format("{} < {}", k, points[i]);
    plan.chunks.push_back(
        {static_cast<int>(i), range_where(lower, upper),
         points.empty() ? "whole table"
                        : fmt::format("{} in [{}, {})", key.name, i == 0 ? "-inf" : points[i - 1],
                                      i == points.size() ? "+inf" : points[i])});
  }
  return plan;
}

Result<ChunkPlan> plan_key_boundaries(MyConnection& conn, const MyTable& table,
                                      std::int64_t chunk_rows) {
  std::vector<const MyColumn*> key;
  std::vector<std::string> key_sql;
  std::string select, order;
  for (const auto& name : table.primary_key) {
    const MyColumn* c = table.column(name);
    if (c == nullptr) {
      return make_error(ErrorCode::kInternal, "primary key column " + name + " is not listed");
    }
    key.push_back(c);
    key_sql.push_back(key_expression(*c));
    select +=
        (select.empty() ? "" : ", ") + (by_index(*c) ? key_expression(*c) : select_expression(*c));
    order += (order.empty() ? "" : ", ") + quote_identifier(c->name);
  }
  ChunkPlan plan;
  plan.method = ChunkMethod::kKeyBoundaries;
  std::vector<std::string> points;  // key >= boundary
  std::vector<std::string> belows;  // key < boundary
  std::vector<std::string> labels;
  // One boundary per query: the key chunk_rows keys past the previous boundary, read
  // along the primary key, so the whole plan is one pass over the key in bounded memory.
  for (;;) {
    const std::string where = points.empty() ? "" : " WHERE " + points.back();
    auto r = conn.query(fmt::format("SELECT {} FROM {}{} ORDER BY {} LIMIT 1 OFFSET {}", select,
                                    table.sql_name(), where, order, chunk_rows));
    if (!r.ok()) return std::move(r).error();
    if (r->empty()) break;
    if (r->rows[0].size() != key.size()) {
      return make_error(ErrorCode::kCorruption,
                        fmt::format("a key boundary query returned {} columns for a {}-column "
                                    "key", r->rows[0].size(), key.size()));
    }
    std::vector<std::string> literals;
    std::string label;
    for (std::size_t c = 0; c < key.size(); ++c) {
      std::string lit;
      if (by_index(*key[c])) {
        lit = r->text(0, c);
      } else {
        const auto& cell = r->rows[0][c];
        append_literal(lit, *key[c], cell ? std::optional<std::string_view>(*cell) : std::nullopt,
                       true);
      }
      label += (c ? ", " : "") + lit;
      literals.push_back(std::move(lit));
    }
    points.push_back(key_at_least(key_sql, literals));
    belows.push_back(key_below(key_sql, literals));
    labels.push_back(short_label(key.size() > 1 ? "(" + label + ")" : label));
  }
  for (std::size_t i = 0; i <= points.size(); ++i) {
    const std::string lower = i == 0 ? "" : points[i - 1];
    const std::string upper = i == points.size() ? "" : belows[i];
    plan.chunks.push_back({static_cast<int>(i), range_where(lower, upper),
                           points.empty()
                               ? "whole table"
                               : fmt::format("key in [{}, {})", i == 0 ? "-inf" : labels[i - 1],
                                             i == points.size() ? "+inf" : labels[i])});
  }
  return plan;
}

}  // namespace

const char* chunk_method_name(ChunkMethod method) {
  switch (method) {
    case ChunkMethod::kWholeTable:
      return "whole_table";
    case ChunkMethod::kIntegerKey:
      return "integer_key";
    case ChunkMethod::kKeyBoundaries:
      return "key_boundaries";
    case ChunkMethod::kNoKey:
      return "no_key";
  }
  return "whole_table";
}

std::vector<std::string> integer_boundaries(const std::string& lo, const std::string& hi,
                                            bool is_unsigned, std::int64_t rows,
                                            std::int64_t chunk_rows) {
  const auto lo_u = to_offset(lo, is_unsigned);
  const auto hi_u = to_offset(hi, is_unsigned);
  if (!lo_u || !hi_u || *hi_u <= *lo_u || chunk_rows < 1 || rows <= chunk_rows) return {};
  const auto n = static_cast<std::uint64_t>((rows + chunk_rows - 1) / chunk_rows);
  const std::uint64_t span = *hi_u - *lo_u;
  const std::uint64_t width = span / n + 1;  // n >= 2, so no overflow
  std::vector<std::string> out;
  for (std::uint64_t i = 1; i < n; ++i) {
    if (width > span / i) break;  // i * width > span: past the maximum
    out.push_back(from_offset(*lo_u + i * width, is_unsigned));
  }
  return out;
}

namespace {

// Lexicographic comparison of a key with a point, written out so that the range
// optimizer sees plain column comparisons:
//   (a, b, c) >= (x, y, z)  ==  a > x OR (a = x AND (b > y OR (b = y AND c >= z)))
std::string key_compare(const std::vector<std::string>& columns,
                        const std::vector<std::string>& literals, const char* strict,
                        const char* last) {
  std::string out;
  const std::size_t n = std::min(columns.size(), literals.size());
  for (std::size_t i = n; i-- > 0;) {
    const std::string& c = columns[i];
    const std::string& v = literals[i];
    if (i == n - 1) {
      out = fmt::format("{} {} {}", c, last, v);
    } else {
      out = fmt::format("({} {} {} OR ({} = {} AND {}))", c, strict, v, c, v, out);
    }
  }
  return out;
}

}  // namespace

std::string key_at_least(const std::vector<std::string>& columns,
                         const std::vector<std::string>& literals) {
  return key_compare(columns, literals, ">", ">=");
}

std::string key_below(const std::vector<std::string>& columns,
                      const std::vector<std::string>& literals) {
  return key_compare(columns, literals, "<", "<");
}

Result<ChunkPlan> plan_chunks(MyConnection& conn, const MyTable& table, std::int64_t chunk_rows) {
  Result<ChunkPlan> plan = ChunkPlan{};
  if (table.primary_key.empty()) {
    ChunkPlan whole;
    whole.method = ChunkMethod::kNoKey;
    whole.chunks.push_back({0, "", "whole table (no primary key)"});
    plan = whole;
  } else if (const MyColumn* key = table.column(table.primary_key[0]);
             table.primary_key.size() == 1 && key != nullptr && is_integer(*key)) {
    plan = plan_integer_key(conn, table, *key, chunk_rows);
  } else {
    plan = plan_key_boundaries(conn, table, std::max<std::int64_t>(1, chunk_rows));
  }
  if (!plan.ok()) {
    return std::move(plan).error().with_context("planning chunks of " + table.qualified());
  }
  return plan;
}

}  // namespace tideway::replication::mysql
