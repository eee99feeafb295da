// The HTML report: one file with inline CSS and inline SVG charts, no script and no
// external resource, so it opens the same from a mail attachment on an offline laptop.
#include <algorithm>

#include <fmt/format.h>

#include "assess/report.h"
#include "assess/report_text.h"

namespace tideway::assess {
namespace {

std::string esc(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

struct Bar {
  std::string label;
  double value;
  std::string text;  // the value as shown
};

// A horizontal bar chart as inline SVG; bars scale to the largest value.
std::string bar_chart(const std::string& title, const std::vector<Bar>& bars,
                      const std::string& color) {
  if (bars.empty()) return "<p><em>" + esc(title) + ": nothing to show.</em></p>\n";
  const int row = 22, label_w = 260, bar_w = 360, text_w = 110;
  const int height = static_cast<int>(bars.size()) * row + 30;
  double max = 0;
  for (const auto& b : bars) max = std::max(max, b.value);
  std::string svg = fmt::format(
      "<figure><figcaption>{}</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
      "role=\"img\" aria-label=\"{}\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n",
      esc(title), esc(title), label_w + bar_w + text_w, height);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const int y = static_cast<int>(i) * row + 10;
    const int w = max > 0 ? static_cast<int>(bars[i].value / max * bar_w) : 0;
    svg += fmt::format(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>"
        "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"{}\">{}</text>\n",
        label_w - 6, y + 14, esc(bars[i].label), label_w, y + 2, std::max(w, 1), row - 6, color,
        label_w + std::max(w, 1) + 6, y + 14, esc(bars[i].text));
  }
  svg += "</svg></figure>\n";
  return svg;
}

const char* kStyle = R"(<style>
body{font-family:sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f0f0f0}
.verdict{font-size:1.4em;padding:.5em 1em;display:inline-block;border-radius:4px}
.ready{background:#d4f4d4}.ready_with_warnings{background:#fff2c4}.blocked{background:#f8d0d0}
.blocker{color:#a00;font-weight:bold}.warning{color:#a60}.info{color:#357}
code{background:#f4f4f4;padding:0 3px}figcaption{font-weight:bold;margin:1em 0 .3em}
</style>)";

}  // namespace

std::string render_html(const Assessment& a) {
  std::string h;
  const std::string verdict = a.verdict();
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  h += fmt::format("<title>tideway assessment: {}</title>\n", esc(a.source.endpoint));
  h += kStyle;
  h += "\n</head><body>\n";
  h += fmt::format("<h1>Assessment: {} &rarr; {}</h1>\n", esc(a.source.endpoint),
                   esc(a.target.kind.label()));
  h += fmt::format("<p class=\"verdict {}\">Verdict: <strong>{}</strong></p>\n", verdict,
                   verdict_title(verdict));
  h += fmt::format("<p>Estimated full load: <strong>{}</strong> ({} at an assumed {}/s). "
                   "Source {} {}; end of vendor support: {}. Generated {} by tideway {}.</p>\n",
                   human_duration(a.estimate.full_load_seconds),
                   human_bytes(static_cast<double>(a.estimate.total_bytes)),
                   human_bytes(a.estimate.assumed_bytes_per_second),
                   replication::engine_name(a.source.engine), esc(a.source.version),
                   a.source.end_of_support.empty() ? "unknown" : a.source.end_of_support,
                   esc(a.generated_at), esc(a.tool_version));

  h += "<h2>Summary</h2>\n<table id=\"severity-summary\"><tr><th>severity</th><th>findings</th></tr>\n";
  for (Severity s : {Severity::kBlocker, Severity::kWarning, Severity::kInfo}) {
    h += fmt::format("<tr><td class=\"{0}\">{0}</td><td>{1}</td></tr>\n", severity_name(s),
                     count_of(a, s));
  }
  h += "</table>\n";

  std::vector<Bar> sizes;
  for (const TableInfo* t : largest_tables(a, 15)) {
    const double bytes = static_cast<double>(t->data_bytes + t->index_bytes);
    sizes.push_back({t->qualified(), bytes, human_bytes(bytes)});
  }
  h += bar_chart("Largest tables (data + indexes)", sizes, "#4a7fb5");
  std::vector<Bar> rates;
  for (const auto& t : a.activity.top_tables) {
    rates.push_back({t.table, t.rows_per_second, fmt::format("{:.1f} rows/s", t.rows_per_second)});
  }
  h += bar_chart("Write rate by table", rates, "#c26b2b");

  h += "<h2>Findings</h2>\n";
  if (a.findings.empty()) {
    h += "<p>None.</p>\n";
  } else {
    h += "<table id=\"findings\"><tr><th>severity</th><th>id</th><th>object</th><th>why</th>"
         "<th>remediation</th></tr>\n";
    for (const Finding* f : findings_in_order(a)) {
      h += fmt::format("<tr><td class=\"{0}\">{0}</td><td><code>{1}</code></td><td>{2}</td>"
                       "<td>{3}</td><td>{4}</td></tr>\n",
                       severity_name(f->severity), esc(f->id), esc(f->object), esc(f->why),
                       esc(f->remediation));
    }
    h += "</table>\n";
  }

  h += "<h2>Replication prerequisites</h2>\n<table><tr><th>check</th><th>value</th>"
       "<th>status</th><th>detail</th></tr>\n";
  for (const auto& c : a.health) {
    h += fmt::format("<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     esc(c.id), esc(c.value), esc(c.status), esc(c.detail));
  }
  h += "</table>\n";

  const Activity& act = a.activity;
  h += "<h2>Live activity</h2>\n";
  if (act.sample_seconds > 0) {
    h += fmt::format("<p>Sampled {:.1f} s ({} to {}): <strong>{:.1f} rows/s</strong> ({} "
                     "inserted, {} updated, {} deleted); {}/s of {}.</p>\n",
                     act.sample_seconds, esc(act.started_at), esc(act.ended_at),
                     act.rows_per_second, act.inserted, act.updated, act.deleted,
                     human_bytes(act.log_bytes_per_second),
                     a.source.engine == replication::Engine::kPostgresql ? "WAL" : "binlog");
  }
  h += "<p>Method: " + esc(act.method) + "</p>\n";
  h += fmt::format("<p>Long-running transactions: {}; idle in transaction: {}; replicas: {}. "
                   "Log retention: {} ({} the estimated full load).</p>\n",
                   act.long_running.size(), act.idle_in_transaction.size(), act.replicas.size(),
                   a.estimate.log_retention_seconds
                       ? human_duration(*a.estimate.log_retention_seconds)
                       : "not limited by age",
                   a.estimate.retention_covers_load ? "covers" : "does not cover");

  h += "<h2>Inventory</h2>\n<table><tr><th>schema</th><th>table</th><th>rows (estimate)</th>"
       "<th>data</th><th>indexes</th><th>primary key</th><th>columns</th></tr>\n";
  for (const auto& s : a.inventory.schemas) {
    for (const auto& t : s.tables) {
      h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                       "<td>{}</td></tr>\n",
                       esc(s.name), esc(t.name), t.estimated_rows,
                       human_bytes(static_cast<double>(t.data_bytes)),
                       human_bytes(static_cast<double>(t.index_bytes)),
                       t.has_primary_key ? "yes" : "<strong>no</strong>", t.columns.size());
    }
  }
  h += "</table>\n<table><tr><th>schema</th><th>kind</th><th>name</th><th>language</th>"
       "<th>size</th></tr>\n";
  for (const auto& s : a.inventory.schemas) {
    for (const auto& o : s.code) {
      h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} B</td></tr>\n",
                       esc(s.name), esc(o.kind), esc(o.name), esc(o.language), o.body.size());
    }
  }
  h += "</table>\n</body></html>\n";
  return h;
}

}  // namespace tideway::assess
