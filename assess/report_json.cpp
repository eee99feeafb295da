// The JSON report. Field names and meanings are documented in assess/REPORT_SCHEMA.md;
// change both together, and only by adding fields.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "assess/report.h"

namespace tideway::assess {
namespace {

using nlohmann::json;

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json column_json(const ColumnInfo& c) {
  json j = {{"name", c.name}, {"type", c.full_type}, {"nullable", c.nullable}};
  if (!c.type_kind.empty()) j["type_kind"] = c.type_kind;
  j["default"] = c.default_value ? json(*c.default_value) : json(nullptr);
  if (!c.extra.empty()) j["extra"] = c.extra;
  if (!c.charset.empty()) j["charset"] = c.charset;
  if (!c.collation.empty()) j["collation"] = c.collation;
  return j;
}

json table_json(const TableInfo& t) {
  json j = {{"name", t.name},
            {"engine", t.engine},
            {"estimated_rows", t.estimated_rows},
            {"exact_rows", t.exact_rows ? json(*t.exact_rows) : json(nullptr)},
            {"data_bytes", t.data_bytes},
            {"index_bytes", t.index_bytes},
            {"has_primary_key", t.has_primary_key},
            {"partitions", t.partitions},
            {"check_constraints", t.check_constraints},
            {"columns", json::array()},
            {"indexes", json::array()},
            {"foreign_keys", json::array()}};
  if (!t.replica_identity.empty()) j["replica_identity"] = t.replica_identity;
  if (t.unlogged) j["unlogged"] = true;
  if (!t.collation.empty()) j["collation"] = t.collation;
  for (const auto& c : t.columns) j["columns"].push_back(column_json(c));
  for (const auto& i : t.indexes) {
    j["indexes"].push_back({{"name", i.name}, {"columns", i.columns}, {"unique", i.unique},
                            {"primary", i.primary}, {"method", i.method},
                            {"predicate", i.predicate.empty() ? json(nullptr) : json(i.predicate)},
                            {"expression", i.expression}});
  }
  for (const auto& f : t.foreign_keys) {
    j["foreign_keys"].push_back({{"name", f.name}, {"references", f.references}});
  }
  return j;
}

json schema_json(const SchemaInventory& s) {
  json j = {{"name", s.name}, {"charset", s.charset}, {"collation", s.collation},
            {"tables", json::array()}, {"code", json::array()}, {"sequences", json::array()}};
  // Type histogram: how many columns of each type, for a quick picture of the schema.
  std::map<std::string, int> histogram;
  for (const auto& t : s.tables) {
    j["tables"].push_back(table_json(t));
    for (const auto& c : t.columns) ++histogram[c.data_type];
  }
  j["column_types"] = histogram;
  for (const auto& o : s.code) {
    json c = {{"kind", o.kind}, {"name", o.name}, {"language", o.language},
              {"definer", o.definer}, {"body_bytes", o.body.size()}};
    if (!o.table.empty()) c["table"] = o.table;
    j["code"].push_back(std::move(c));
  }
  for (const auto& q : s.sequences) {
    j["sequences"].push_back({{"name", q.name}, {"used_by", q.used_by}});
  }
  return j;
}

json sessions_json(const std::vector<SessionInfo>& sessions) {
  json out = json::array();
  for (const auto& s : sessions) {
    out.push_back({{"id", s.id}, {"user", s.user}, {"state", s.state}, {"seconds", s.seconds}});
  }
  return out;
}

}  // namespace

json report_json(const Assessment& a) {
  json j;
  j["schema_version"] = a.schema_version;
  j["generated_at"] = a.generated_at;
  j["tool_version"] = a.tool_version;
  j["verdict"] = a.verdict();
  std::map<std::string, int> counts = {{"blocker", 0}, {"warning", 0}, {"info", 0}};
  for (const auto& f : a.findings) ++counts[severity_name(f.severity)];
  j["summary"] = {{"blockers", counts["blocker"]},
                  {"warnings", counts["warning"]},
                  {"infos", counts["info"]},
                  {"tables", a.inventory.tables().size()},
                  {"total_bytes", a.estimate.total_bytes},
                  {"estimated_full_load_seconds", a.estimate.full_load_seconds},
                  {"rows_per_second", a.activity.rows_per_second}};
  j["source"] = {{"engine", replication::engine_name(a.source.engine)},
                 {"endpoint", a.source.endpoint},
                 {"database", a.source.database},
                 {"version", a.source.version},
                 {"major", a.source.major},
                 {"minor", a.source.minor},
                 {"aurora", a.source.aurora},
                 {"end_of_support", a.source.end_of_support.empty()
                                        ? json(nullptr) : json(a.source.end_of_support)}};
  j["target"] = {{"kind", a.target.kind.label()},
                 {"engine", replication::engine_name(a.target.kind.engine)},
                 {"major", a.target.kind.major},
                 {"minor", a.target.kind.minor},
                 {"aurora", a.target.kind.aurora},
                 {"reachable", a.target.reachable},
                 {"endpoint", a.target.endpoint.empty() ? json(nullptr) : json(a.target.endpoint)},
                 {"version", a.target.version.empty() ? json(nullptr) : json(a.target.version)}};
  json inventory = {{"schemas", json::array()}, {"extensions", a.inventory.extensions},
                    {"grantees", json::array()}, {"large_objects", a.inventory.large_objects},
                    {"accounts", json::array()}};
  for (const auto& s : a.inventory.schemas) inventory["schemas"].push_back(schema_json(s));
  for (const auto& g : a.inventory.grantees) {
    inventory["grantees"].push_back({{"name", g.name}, {"privileges", g.privileges}});
  }
  for (const auto& [name, plugin] : a.inventory.accounts) {
    inventory["accounts"].push_back({{"name", name}, {"plugin", plugin}});
  }
  json largest = json::array();
  auto tables = a.inventory.tables();
  std::sort(tables.begin(), tables.end(), [](const TableInfo* x, const TableInfo* y) {
    return x->data_bytes + x->index_bytes > y->data_bytes + y->index_bytes;
  });
  for (std::size_t i = 0; i < tables.size() && i < 10; ++i) {
    largest.push_back({{"table", tables[i]->qualified()},
                       {"bytes", tables[i]->data_bytes + tables[i]->index_bytes},
                       {"estimated_rows", tables[i]->estimated_rows}});
  }
  inventory["largest_tables"] = largest;
  j["inventory"] = inventory;

  const Activity& act = a.activity;
  json top = json::array();
  for (const auto& t : act.top_tables) {
    top.push_back({{"table", t.table}, {"inserted", t.inserted}, {"updated", t.updated},
                   {"deleted", t.deleted}, {"rows_per_second", t.rows_per_second}});
  }
  json replicas = json::array();
  for (const auto& r : act.replicas) {
    replicas.push_back({{"name", r.name}, {"state", r.state},
                        {"lag_seconds", optional_number(r.lag_seconds)}});
  }
  j["activity"] = {{"sample_seconds", act.sample_seconds},
                   {"started_at", act.started_at},
                   {"ended_at", act.ended_at},
                   {"inserted", act.inserted},
                   {"updated", act.updated},
                   {"deleted", act.deleted},
                   {"rows_per_second", act.rows_per_second},
                   {"inserts_per_second", act.inserts_per_second},
                   {"log_bytes_per_second", act.log_bytes_per_second},
                   {"method", act.method},
                   {"top_tables", top},
                   {"long_running", sessions_json(act.long_running)},
                   {"idle_in_transaction", sessions_json(act.idle_in_transaction)},
                   {"replicas", replicas}};
  json health = json::array();
  for (const auto& h : a.health) {
    health.push_back({{"id", h.id}, {"value", h.value}, {"status", h.status}, {"detail", h.detail}});
  }
  j["health"] = health;
  json findings = json::array();
  for (const auto& f : a.findings) {
    findings.push_back({{"id", f.id}, {"severity", severity_name(f.severity)},
                        {"object", f.object}, {"why", f.why}, {"remediation", f.remediation}});
  }
  j["findings"] = findings;
  j["estimate"] = {{"total_bytes", a.estimate.total_bytes},
                   {"assumed_bytes_per_second", a.estimate.assumed_bytes_per_second},
                   {"full_load_seconds", a.estimate.full_load_seconds},
                   {"log_retention_seconds", optional_number(a.estimate.log_retention_seconds)},
                   {"retention_covers_load", a.estimate.retention_covers_load}};
  return j;
}

Result<ReportFormat> parse_report_format(const std::string& text) {
  if (text == "json") return ReportFormat::kJson;
  if (text == "markdown" || text == "md") return ReportFormat::kMarkdown;
  if (text == "html") return ReportFormat::kHtml;
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("unknown report format '{}'; expected json, markdown or html", text));
}

std::string render(const Assessment& a, ReportFormat format) {
  switch (format) {
    case ReportFormat::kJson: return report_json(a).dump(2) + "\n";
    case ReportFormat::kMarkdown: return render_markdown(a);
    case ReportFormat::kHtml: return render_html(a);
  }
  return "";
}

}  // namespace tideway::assess
