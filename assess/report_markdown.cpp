// The Markdown report: for a ticket, a pull request or a terminal.
#include <fmt/format.h>

#include "assess/report.h"
#include "assess/report_text.h"

namespace tideway::assess {
namespace {

// A table cell: pipes and newlines would break the row.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string render_markdown(const Assessment& a) {
  std::string md;
  auto line = [&](const std::string& s) { md += s + "\n"; };
  line(fmt::format("# Assessment: {} → {}", a.source.endpoint, a.target.kind.label()));
  line("");
  line(fmt::format("**Verdict: {}** — estimated full load: {} ({} at an assumed {}/s)",
                   verdict_title(a.verdict()), human_duration(a.estimate.full_load_seconds),
                   human_bytes(static_cast<double>(a.estimate.total_bytes)),
                   human_bytes(a.estimate.assumed_bytes_per_second)));
  line("");
  line("| severity | findings |");
  line("| --- | ---: |");
  line(fmt::format("| blocker | {} |", count_of(a, Severity::kBlocker)));
  line(fmt::format("| warning | {} |", count_of(a, Severity::kWarning)));
  line(fmt::format("| info | {} |", count_of(a, Severity::kInfo)));
  line("");
  line(fmt::format("Source: {} {}{}; end of vendor support: {}. Generated {} by tideway {}.",
                   replication::engine_name(a.source.engine), a.source.version,
                   a.source.aurora ? " (Aurora)" : "",
                   a.source.end_of_support.empty() ? "unknown" : a.source.end_of_support,
                   a.generated_at, a.tool_version));
  line("");

  line("## Findings");
  line("");
  if (a.findings.empty()) {
    line("None.");
  } else {
    line("| severity | id | object | why | remediation |");
    line("| --- | --- | --- | --- | --- |");
    for (const Finding* f : findings_in_order(a)) {
      line(fmt::format("| {} | `{}` | {} | {} | {} |", severity_name(f->severity), f->id,
                       cell(f->object), cell(f->why), cell(f->remediation)));
    }
  }
  line("");

  line("## Replication prerequisites");
  line("");
  line("| check | value | status | detail |");
  line("| --- | --- | --- | --- |");
  for (const auto& h : a.health) {
    line(fmt::format("| `{}` | {} | {} | {} |", h.id, cell(h.value), h.status, cell(h.detail)));
  }
  line("");

  const Activity& act = a.activity;
  line("## Live activity");
  line("");
  if (act.sample_seconds > 0) {
    line(fmt::format("Sampled {:.1f} s ({} to {}): {:.1f} rows/s written ({} inserted, {} "
                     "updated, {} deleted), {}/s of {}.",
                     act.sample_seconds, act.started_at, act.ended_at, act.rows_per_second,
                     act.inserted, act.updated, act.deleted, human_bytes(act.log_bytes_per_second),
                     a.source.engine == replication::Engine::kPostgresql ? "WAL" : "binlog"));
  }
  line("");
  line("Method: " + act.method);
  line("");
  if (!act.top_tables.empty()) {
    line("| table | inserted | updated | deleted | rows/s |");
    line("| --- | ---: | ---: | ---: | ---: |");
    for (const auto& t : act.top_tables) {
      line(fmt::format("| {} | {} | {} | {} | {:.1f} |", cell(t.table), t.inserted, t.updated,
                       t.deleted, t.rows_per_second));
    }
    line("");
  }
  line(fmt::format("Long-running transactions: {}; idle in transaction: {}; replicas: {}.",
                   act.long_running.size(), act.idle_in_transaction.size(), act.replicas.size()));
  for (const auto& r : act.replicas) {
    line(fmt::format("- replica {} ({}), lag {}", r.name, r.state,
                     r.lag_seconds ? human_duration(*r.lag_seconds) : "unknown"));
  }
  line("");
  line(fmt::format("Log retention: {}; it {} the estimated full load.",
                   a.estimate.log_retention_seconds
                       ? human_duration(*a.estimate.log_retention_seconds)
                       : "not limited by age",
                   a.estimate.retention_covers_load ? "covers" : "does NOT cover"));
  line("");

  line("## Inventory");
  line("");
  line("| schema | tables | bytes | without PK | views | routines | triggers | events | sequences |");
  line("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const auto& s : a.inventory.schemas) {
    std::int64_t bytes = 0;
    int no_pk = 0, views = 0, routines = 0, triggers = 0, events = 0;
    for (const auto& t : s.tables) {
      bytes += t.data_bytes + t.index_bytes;
      no_pk += t.has_primary_key ? 0 : 1;
    }
    for (const auto& o : s.code) {
      if (o.kind == "view" || o.kind == "materialized view") {
        ++views;
      } else if (o.kind == "trigger") {
        ++triggers;
      } else if (o.kind == "event") {
        ++events;
      } else {
        ++routines;
      }
    }
    line(fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |", cell(s.name),
                     s.tables.size(), human_bytes(static_cast<double>(bytes)), no_pk, views,
                     routines, triggers, events, s.sequences.size()));
  }
  line("");
  line("Largest tables:");
  line("");
  line("| table | rows (estimate) | data | indexes |");
  line("| --- | ---: | ---: | ---: |");
  for (const TableInfo* t : largest_tables(a, 10)) {
    line(fmt::format("| {} | {} | {} | {} |", cell(t->qualified()), t->estimated_rows,
                     human_bytes(static_cast<double>(t->data_bytes)),
                     human_bytes(static_cast<double>(t->index_bytes))));
  }
  line("");
  if (!a.inventory.extensions.empty()) {
    line(fmt::format("Extensions / plugins: {}.", fmt::join(a.inventory.extensions, ", ")));
    line("");
  }
  return md;
}

}  // namespace tideway::assess
