#include "replication/postgres/pg_validation.h"

#include <fmt/format.h>

#include "replication/core/load_state.h"
#include "replication/postgres/pg_catalog.h"
#include "replication/postgres/pg_connection.h"

namespace tideway::replication::postgres {
namespace {

// Order-independent digest of the rows' text forms: md5 of the sorted row md5s.
Result<ChunkSum> chunk_sum(PgConnection& conn, const std::string& table_sql,
                           const std::string& where) {
  auto r = conn.exec(fmt::format(
      "SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), '') FROM "
      "(SELECT md5(x::text) AS h FROM ONLY {} x{}) s",
      table_sql, where.empty() ? "" : " WHERE " + where));
  if (!r.ok()) return std::move(r).error();
  return ChunkSum{r->as_int(0, 0), r->text(0, 1)};
}

}  // namespace

Result<ValidationReport> validate_tables(const TaskSpec& spec, storage::StateStore& store) {
  auto source = PgConnection::connect(spec.source, {false, "tideway-validate", 10});
  if (!source.ok()) return std::move(source).error();
  auto target = PgConnection::connect(spec.target, {false, "tideway-validate", 10});
  if (!target.ok()) return std::move(target).error();
  for (auto* c : {source->get(), target->get()}) {
    if (auto b = c->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !b.ok()) {
      return std::move(b).error();
    }
  }
  auto tables = list_tables(**source, spec.tables);
  if (!tables.ok()) return std::move(tables).error();
  LoadStateStore state(store, spec.id);
  ValidationReport report;
  for (const auto& t : *tables) {
    const std::string table = t.qualified();
    const std::string name = qualified_name(**source, t.schema, t.name);
    auto plan = state.load_plan(table);
    if (!plan.ok()) return std::move(plan).error();
    // Physical (ctid) chunks differ between servers: such tables are compared whole.
    std::vector<PlannedChunk> chunks;
    if (plan->has_value() && (*plan)->method != "ctid") chunks = (*plan)->chunks;
    auto v = compare_table(table, std::move(chunks), [&](bool on_source, const PlannedChunk& c) {
      return chunk_sum(on_source ? **source : **target, name, c.where_sql);
    });
    if (!v.ok()) return std::move(v).error();
    report.tables.push_back(std::move(v).value());
  }
  return report;
}

}  // namespace tideway::replication::postgres
