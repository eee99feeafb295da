#include "daemon/task_views.h"

#include <chrono>
#include <map>

#include <fmt/format.h>

#include "common/utc_time.h"
#include "daemon/task_spec_json.h"

namespace tideway::daemon {
namespace {

/// null fields until the stream has been interrupted once.
nlohmann::json interruption_json(const replication::StreamInterruption::View& i) {
  return {{"reconnecting", i.reconnecting},
          {"last_error", i.last_error.empty() ? nlohmann::json() : nlohmann::json(i.last_error)},
          {"last_error_at", i.last_error_us == 0
                                ? nlohmann::json()
                                : nlohmann::json(utc_seconds(i.last_error_us / 1'000'000))}};
}

}  // namespace

nlohmann::json task_view_json(const TaskView& v) {
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& t : v.tables) {
    tables.push_back({{"table", t.table},
                      {"rows_done", t.rows_done},
                      {"rows_estimated", t.estimated_rows},
                      {"bytes_done", t.bytes_done},
                      {"chunks_done", t.chunks_done},
                      {"chunks_total", t.chunks_total},
                      {"rows_per_second", t.rows_per_second},
                      {"eta_seconds", t.eta_seconds}});
  }

  nlohmann::json by_table = nlohmann::json::array();
  for (const auto& [key, n] : v.apply.changes) {
    by_table.push_back({{"table", key.first}, {"op", key.second}, {"changes", n}});
  }
  return {{"id", v.id},
          {"state", v.state},
          {"allowed_actions", TaskManager::allowed_actions(v.state)},
          {"spec", task_spec_to_json(v.spec)},
          {"full_load", {{"tables", tables}}},
          {"stream",
           {{"source_head", v.stream.source_head},
            {"received", v.stream.received},
            {"applied", v.stream.applied},
            {"checkpointed", v.stream.checkpointed},
            {"lag_seconds", lag_seconds(v)},
            {"lag_bytes", lag_bytes(v)},
            {"changes_applied", v.stream.changes_applied},
            {"transactions_applied", v.stream.transactions_applied},
            {"reconnects", v.stream.reconnects},
            {"interruption", interruption_json(v.stream.interruption)},
            {"in_progress",
             {{"enabled", v.stream.streaming_in_progress},
              {"spool_bytes", v.stream.spool_bytes},
              {"open", v.stream.streamed_open},
              {"committed", v.stream.streamed_committed},
              {"aborted", v.stream.streamed_aborted}}},
            {"checkpoint_age_seconds", v.stream.checkpoint_age_seconds},
            {"changes_by_table", by_table}}},
          {"retention", v.retention},
          {"assessment", v.assessment},
          {"last_error", v.last_error},
          {"cutover", v.cutover},
          {"validation", v.validation}};
}

nlohmann::json task_report_json(const TaskView& v, const std::vector<nlohmann::json>& journal) {
  nlohmann::json steps = nlohmann::json::array();
  nlohmann::json problems = nlohmann::json::array();
  for (const auto& e : journal) {
    steps.push_back({{"time", e.value("time", "")}, {"step", e.value("step", "")},
                     {"message", e.value("message", "")},
                     {"context", e.value("context", nlohmann::json::object())}});
    if (e.value("level", "") == "warn" || e.value("level", "") == "error") problems.push_back(e);
  }
  std::map<std::string, std::int64_t> streamed;
  for (const auto& [key, n] : v.apply.changes) streamed[key.first] += n;
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& t : v.tables) {
    const auto it = streamed.find(t.table);
    tables.push_back({{"table", t.table}, {"rows", t.rows_done}, {"bytes", t.bytes_done},
                      {"changes_streamed", it == streamed.end() ? 0 : it->second}});
  }
  return {{"task", v.id},
          {"state", v.state},
          {"source", v.spec.source.describe()},
          {"target", v.spec.target.describe()},
          {"mode", replication::task_mode_name(v.spec.mode)},
          {"tables", tables},
          {"stream", {{"transactions_applied", v.stream.transactions_applied},
                      {"changes_applied", v.stream.changes_applied},
                      {"checkpointed", v.stream.checkpointed}}},
          {"cutover", v.cutover},
          {"validation", v.validation},
          {"problems", problems},
          {"steps", steps}};
}

std::string task_report_markdown(const nlohmann::json& r) {
  std::string md = fmt::format("# Migration report: {}\n\n", r.value("task", ""));
  md += fmt::format("- state: **{}**\n- mode: {}\n- source: `{}`\n- target: `{}`\n\n",
                    r.value("state", ""), r.value("mode", ""), r.value("source", ""),
                    r.value("target", ""));
  md += "## Tables\n\n| table | rows loaded | bytes | changes streamed |\n"
        "| --- | ---: | ---: | ---: |\n";
  for (const auto& t : r["tables"]) {
    md += fmt::format("| {} | {} | {} | {} |\n", t.value("table", ""), t.value("rows", 0),
                      t.value("bytes", 0), t.value("changes_streamed", 0));
  }
  const auto& s = r["stream"];
  md += fmt::format("\n## Change stream\n\n{} transactions, {} changes applied; checkpoint {}\n",
                    s.value("transactions_applied", 0), s.value("changes_applied", 0),
                    s.value("checkpointed", ""));
  if (r["cutover"].contains("steps")) {
    md += fmt::format("\n## Cutover: {}\n\n| step | seconds | detail |\n| --- | ---: | --- |\n",
                      r["cutover"].value("outcome", ""));
    for (const auto& st : r["cutover"]["steps"]) {
      md += fmt::format("| {} | {:.3f} | {} |\n", st.value("step", ""), st.value("seconds", 0.0),
                        st.value("detail", ""));
    }
  }
  if (r["validation"].contains("status")) {
    md += fmt::format("\n## Validation: {}\n", r["validation"].value("status", ""));
  }
  md += "\n## Problems met\n\n";
  if (r["problems"].empty()) md += "none\n";
  for (const auto& p : r["problems"]) {
    md += fmt::format("- {} [{}] {}\n", p.value("time", ""), p.value("level", ""),
                      p.value("message", ""));
  }
  md += "\n## Steps\n\n";
  for (const auto& st : r["steps"]) {
    md += fmt::format("- {} {}: {}\n", st.value("time", ""), st.value("step", ""),
                      st.value("message", ""));
  }
  return md;
}

}  // namespace tideway::daemon
