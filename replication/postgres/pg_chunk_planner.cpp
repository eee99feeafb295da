#include "replication/postgres/pg_chunk_planner.h"

#include <algorithm>

#include <fmt/format.h>

namespace tideway::replication::postgres {
namespace {

constexpr std::uint32_t kInt2Oid = 21, kInt4Oid = 23, kInt8Oid = 20;

const PgColumn* find_column(const PgTable& t, const std::string& name) {
  for (const auto& c : t.columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string range_where(const std::string& lower, const std::string& upper) {
  if (lower.empty() && upper.empty()) return "";
  if (lower.empty()) return upper;
  if (upper.empty()) return lower;
  return lower + " AND " + upper;
}

Result<ChunkPlan> plan_integer_key(PgConnection& conn, const PgTable& table,
                                   std::int64_t chunk_rows) {
  const std::string key = conn.quote_ident(table.primary_key[0]);
  const std::string name = qualified_name(conn, table.schema, table.name);
  // min and max come from the key's index; the row count is only sized, not counted:
  // count(*) reads the whole table (0.3 s per 5M rows) while the loaders wait. The
  // estimate is the planner's own: rows per page at the last ANALYZE/VACUUM times the
  // pages the table has now, so a table that grew since is still sized right.
  auto bounds = conn.exec(fmt::format(
      "SELECT min({0}), max({0}), (SELECT CASE WHEN c.reltuples > 0 AND c.relpages > 0 THEN "
      "ceil(c.reltuples / c.relpages * greatest(pg_relation_size(c.oid) / "
      "current_setting('block_size')::bigint, 1))::bigint END FROM pg_class c WHERE c.oid = "
      "{2}::regclass) FROM ONLY {1}",
      key, name, conn.quote_literal(name)));
  if (!bounds.ok()) return std::move(bounds).error();
  if (bounds->is_null(0, 2) && !bounds->is_null(0, 0)) {
    // Never analyzed nor vacuumed: no density to go by, so count.
    bounds = conn.exec(fmt::format("SELECT min({0}), max({0}), count(*) FROM ONLY {1}", key, name));
    if (!bounds.ok()) return std::move(bounds).error();
  }
  ChunkPlan plan;
  plan.method = ChunkMethod::kIntegerKey;
  const std::int64_t rows = bounds->is_null(0, 2) ? 0 : bounds->as_int(0, 2);
  if (bounds->is_null(0, 0) || rows <= chunk_rows) {
    plan.chunks.push_back({0, "", "whole table"});
    return plan;
  }
  const std::int64_t lo = bounds->as_int(0, 0);
  const std::int64_t hi = bounds->as_int(0, 1);
  // Unsigned arithmetic: hi - lo + 1 can exceed INT64_MAX for keys spanning the range.
  std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;
  if (span == 0) span = UINT64_MAX;  // the full 64-bit range wrapped around
  const std::int64_t n = (rows + chunk_rows - 1) / chunk_rows;
  const std::uint64_t width =
      std::max<std::uint64_t>(1, span / static_cast<std::uint64_t>(n) + 1);
  std::int64_t start = lo;
  for (int i = 0; i < n; ++i) {
    const bool last = i == n - 1;
    std::int64_t next = hi;
    if (static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(start) > width) {
      next = static_cast<std::int64_t>(static_cast<std::uint64_t>(start) + width);
    }
    const std::string lower = i == 0 ? "" : fmt::format("{} >= {}", key, start);
    const std::string upper = last ? "" : fmt::format("{} < {}", key, next);
    plan.chunks.push_back({i, range_where(lower, upper),
                           fmt::format("{} in [{}, {})", table.primary_key[0],
                                       i == 0 ? "-inf" : std::to_string(start),
                                       last ? "+inf" : std::to_string(next))});
    if (next >= hi) break;
    start = next;
  }
  // The last chunk has no upper bound whichever way the loop ended, so the key at the
  // maximum (and anything above the planned range) is always covered.
  Chunk& tail = plan.chunks.back();
  tail.where_sql = plan.chunks.size() == 1 ? "" : fmt::format("{} >= {}", key, start);
  tail.description = plan.chunks.size() == 1
                         ? "whole table"
                         : fmt::format("{} in [{}, +inf)", table.primary_key[0], start);
  return plan;
}

Result<ChunkPlan> plan_key_boundaries(PgConnection& conn, const PgTable& table,
                                      std::int64_t chunk_rows) {
  std::string cols, row_expr, typed;
  for (std::size_t i = 0; i < table.primary_key.size(); ++i) {
    const std::string q = conn.quote_ident(table.primary_key[i]);
    cols += (i ? ", " : "") + q;
  }
  row_expr = "ROW(" + cols + ")";
  auto boundaries = conn.exec(fmt::format(
      "SELECT {0} FROM (SELECT {0}, row_number() OVER (ORDER BY {0}) AS rn FROM {1}) s "
      "WHERE rn % {2} = 1 AND rn > 1 ORDER BY {0}",
      cols, qualified_name(conn, table.schema, table.name), chunk_rows));
  if (!boundaries.ok()) return std::move(boundaries).error();
  ChunkPlan plan;
  plan.method = ChunkMethod::kKeyBoundaries;
  std::vector<std::string> points;  // ROW('v1'::type1, ...) for each boundary
  std::vector<std::string> labels;
  for (int r = 0; r < boundaries->rows(); ++r) {
    std::string row = "ROW(", label = "(";
    for (int c = 0; c < boundaries->columns(); ++c) {
      const PgColumn* col = find_column(table, table.primary_key[static_cast<std::size_t>(c)]);
      row += (c ? ", " : "") + conn.quote_literal(boundaries->get(r, c)) + "::" + col->type_sql;
      label += (c ? ", " : "") + boundaries->text(r, c);
    }
    points.push_back(row + ")");
    labels.push_back(label + ")");
  }
  for (std::size_t i = 0; i <= points.size(); ++i) {
    const std::string lower = i == 0 ? "" : row_expr + " >= " + points[i - 1];
    const std::string upper = i == points.size() ? "" : row_expr + " < " + points[i];
    plan.chunks.push_back({static_cast<int>(i), range_where(lower, upper),
                           fmt::format("key in [{}, {})", i == 0 ? "-inf" : labels[i - 1],
                                       i == points.size() ? "+inf" : labels[i])});
  }
  return plan;
}

ChunkPlan plan_ctid(const PgTable& table, std::int64_t chunk_rows) {
  ChunkPlan plan;
  plan.method = ChunkMethod::kCtid;
  const std::int64_t rows = std::max<std::int64_t>(table.estimated_rows, 1);
  if (table.relpages <= 1 || rows <= chunk_rows) {
    plan.chunks.push_back({0, "", "whole table"});
    return plan;
  }
  const std::int64_t pages_per_chunk =
      std::max<std::int64_t>(1, table.relpages * chunk_rows / rows);
  int i = 0;
  for (std::int64_t page = 0; page < table.relpages; page += pages_per_chunk, ++i) {
    const bool last = page + pages_per_chunk >= table.relpages;
    const std::string lower = page == 0 ? "" : fmt::format("ctid >= '({},0)'::tid", page);
    const std::string upper =
        last ? "" : fmt::format("ctid < '({},0)'::tid", page + pages_per_chunk);
    plan.chunks.push_back({i, range_where(lower, upper),
                           fmt::format("blocks [{}, {})", page,
                                       last ? std::string("end")
                                            : std::to_string(page + pages_per_chunk))});
  }
  return plan;
}

}  // namespace

const char* chunk_method_name(ChunkMethod method) {
  switch (method) {
    case ChunkMethod::kWholeTable: return "whole_table";
    case ChunkMethod::kIntegerKey: return "integer_key";
    case ChunkMethod::kKeyBoundaries: return "key_boundaries";
    case ChunkMethod::kCtid: return "ctid";
  }
  return "whole_table";
}

Result<ChunkPlan> plan_chunks(PgConnection& conn, const PgTable& table, std::int64_t chunk_rows) {
  Result<ChunkPlan> plan = ChunkPlan{};
  if (table.primary_key.size() == 1) {
    const PgColumn* key = find_column(table, table.primary_key[0]);
    if (key != nullptr &&
        (key->type_oid == kInt2Oid || key->type_oid == kInt4Oid || key->type_oid == kInt8Oid)) {
      plan = plan_integer_key(conn, table, chunk_rows);
    } else {
      plan = plan_key_boundaries(conn, table, chunk_rows);
    }
  } else if (!table.primary_key.empty()) {
    plan = plan_key_boundaries(conn, table, chunk_rows);
  } else {
    plan = plan_ctid(table, chunk_rows);
  }
  if (!plan.ok()) {
    return std::move(plan).error().with_context("planning chunks of " + table.qualified());
  }
  return plan;
}

}  // namespace tideway::replication::postgres
