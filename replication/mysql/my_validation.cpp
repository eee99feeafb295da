#include "replication/mysql/my_validation.h"

#include <fmt/format.h>

#include "replication/core/load_state.h"
#include "replication/mysql/my_catalog.h"
#include "replication/mysql/my_connection.h"

namespace tideway::replication::mysql {
namespace {

std::string row_text_sql(const MyTable& table) {
  std::string nulls, values;
  for (const MyColumn* c : table.stored_columns()) {
    const std::string q = quote_identifier(c->name);
    nulls += (nulls.empty() ? "" : ", ") + fmt::format("ISNULL({})", q);
    values += fmt::format(", LENGTH({0}), {0}", q);
  }
  return fmt::format("CONCAT_WS('|', CONCAT({}){})", nulls.empty() ? "''" : nulls, values);
}

Result<ChunkSum> chunk_sum(MyConnection& conn, const MyTable& table, const std::string& row_sql,
                           const std::string& where) {
  auto r = conn.query(fmt::format(
      "SELECT COUNT(*), COALESCE(BIT_XOR(CAST(CONV(LEFT(h, 16), 16, 10) AS UNSIGNED)), 0), "
      "COALESCE(BIT_XOR(CAST(CONV(RIGHT(h, 16), 16, 10) AS UNSIGNED)), 0) "
      "FROM (SELECT MD5({}) AS h FROM {}{}) AS rows_of_chunk",
      row_sql, table.sql_name(), where.empty() ? "" : " WHERE " + where));
  if (!r.ok()) return std::move(r).error();
  return ChunkSum{r->as_int(0, 0), r->text(0, 1) + "/" + r->text(0, 2)};
}

Result<std::unique_ptr<MyConnection>> open_snapshot(const Endpoint& endpoint) {
  auto conn = MyConnection::connect(endpoint, {SessionKind::kSource, true, false, 10});
  if (!conn.ok()) return conn;
  if (Status s = (*conn)->execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      !s.ok()) {
    return std::move(s).error();
  }
  if (Status s = (*conn)->execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
      !s.ok()) {
    return std::move(s).error();
  }
  return conn;
}

}  // namespace

Result<ValidationReport> validate_mysql_tables(const TaskSpec& spec, storage::StateStore& store) {
  auto source = open_snapshot(spec.source);
  if (!source.ok()) return std::move(source).error().with_context("validation: source");
  auto target = open_snapshot(spec.target);
  if (!target.ok()) return std::move(target).error().with_context("validation: target");
  auto tables = list_tables(**source, spec.tables);
  if (!tables.ok()) return std::move(tables).error();
  LoadStateStore state(store, spec.id);
  ValidationReport report;
  for (const auto& t : *tables) {
    auto plan = state.load_plan(t.qualified());
    if (!plan.ok()) return std::move(plan).error();
    std::vector<PlannedChunk> chunks;
    if (plan->has_value()) chunks = (*plan)->chunks;
    const std::string row_sql = row_text_sql(t);
    auto v = compare_table(t.qualified(), std::move(chunks),
                           [&](bool on_source, const PlannedChunk& c) {
                             return chunk_sum(on_source ? **source : **target, t, row_sql,
                                              c.where_sql);
                           });
    if (!v.ok()) return std::move(v).error();
    report.tables.push_back(std::move(v).value());
  }
  return report;
}

}  // namespace tideway::replication::mysql
