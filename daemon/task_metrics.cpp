#include "daemon/task_metrics.h"

#include <chrono>
#include <limits>
#include <map>
#include <string>

namespace tideway::daemon {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

struct Builder {
  std::map<std::string, MetricFamily> families;
  void add(const std::string& name, const char* help, MetricType type,
           std::vector<ClientMetric::Label> labels, double value) {
    auto& f = families[name];
    if (f.name.empty()) {
      f.name = name;
      f.help = help;
      f.type = type;
    }
    ClientMetric m;
    m.label = std::move(labels);
    if (type == MetricType::Counter) m.counter.value = value;
    else m.gauge.value = value;
    f.metric.push_back(std::move(m));
  }
  void add_histogram(const std::string& name, const char* help,
                     std::vector<ClientMetric::Label> labels,
                     const replication::HistogramFigures& h) {
    auto& f = families[name];
    if (f.name.empty()) {
      f.name = name;
      f.help = help;
      f.type = MetricType::Histogram;
    }
    ClientMetric m;
    m.label = std::move(labels);
    for (std::size_t i = 0; i < h.bounds.size(); ++i) {
      m.histogram.bucket.push_back({h.counts[i], h.bounds[i]});
    }
    m.histogram.bucket.push_back({h.count, std::numeric_limits<double>::infinity()});
    m.histogram.sample_count = h.count;
    m.histogram.sample_sum = h.sum;
    f.metric.push_back(std::move(m));
  }
};

const char* kStates[] = {"created", "starting", "assessing", "loading", "streaming", "pausing", "paused",
                         "stopping", "stopped", "loaded", "cutting_over", "cut_over", "failed"};

}  // namespace

std::vector<prometheus::MetricFamily> TaskMetrics::Collect() const {
  Builder b;
  for (const TaskView& v : tasks_.list()) {
    const ClientMetric::Label task{"task", v.id};
    for (const char* s : kStates) {
      b.add("tideway_task_state", "1 for the task's current state, 0 for the others.",
            MetricType::Gauge, {task, {"state", s}}, v.state == s ? 1 : 0);
    }
    b.add("tideway_task_failed", "1 while the task is failed.", MetricType::Gauge, {task},
          v.state == "failed" ? 1 : 0);
    b.add("tideway_replication_lag_seconds",
          "Seconds from the source commit of the oldest unapplied received change to now; 0 "
          "when everything received is applied.",
          MetricType::Gauge, {task}, lag_seconds(v));
    b.add("tideway_replication_lag_bytes", "Source head position minus checkpointed position.",
          MetricType::Gauge, {task}, static_cast<double>(lag_bytes(v)));
    b.add("tideway_source_head_position",
          "Source's end of log as last reported: PostgreSQL LSN; MySQL binlog file number * "
          "2^32 + offset.",
          MetricType::Gauge, {task}, static_cast<double>(v.stream.source_head_number));
    b.add("tideway_applied_position", "Position applied on the target.", MetricType::Gauge,
          {task}, static_cast<double>(v.stream.applied_number));
    b.add("tideway_checkpointed_position", "Position checkpointed in the state store.",
          MetricType::Gauge, {task}, static_cast<double>(v.stream.checkpointed_number));
    b.add("tideway_changes_applied_total", "Row changes applied since the task last started.",
          MetricType::Counter, {task}, static_cast<double>(v.stream.changes_applied));
    b.add("tideway_transactions_applied_total",
          "Source transactions applied since the task last started.", MetricType::Counter,
          {task}, static_cast<double>(v.stream.transactions_applied));
    b.add("tideway_stream_reconnects_total",
          "Stream sessions restarted after a connection loss, since the task last started.",
          MetricType::Counter, {task}, static_cast<double>(v.stream.reconnects));
    if (v.stream.streaming_in_progress) {
      b.add("tideway_stream_spool_bytes",
            "Bytes of in-progress source transactions spooled to local disk now (PostgreSQL "
            "14+ streaming).",
            MetricType::Gauge, {task}, static_cast<double>(v.stream.spool_bytes));
      b.add("tideway_streamed_transactions_total",
            "Source transactions received while in progress, by how they ended (committed: "
            "replayed from the spool; aborted: dropped), since the task last started.",
            MetricType::Counter, {task, {"outcome", "committed"}},
            static_cast<double>(v.stream.streamed_committed));
      b.add("tideway_streamed_transactions_total", "", MetricType::Counter,
            {task, {"outcome", "aborted"}}, static_cast<double>(v.stream.streamed_aborted));
    }
    if (v.state == "streaming" && v.stream.checkpoint_age_seconds >= 0) {
      b.add("tideway_checkpoint_age_seconds",
            "Seconds since the task's durable position (checkpoint) last moved.",
            MetricType::Gauge, {task}, v.stream.checkpoint_age_seconds);
    }
    for (const auto& [step, n] : v.errors) {
      b.add("tideway_task_errors_total",
            "Errors the task's journal recorded since the daemon started, by the step they "
            "stopped (full_load, stream, cutover, validate, retention, failed, ...).",
            MetricType::Counter, {task, {"kind", step}}, static_cast<double>(n));
    }
    for (const auto& [key, n] : v.apply.changes) {
      b.add("tideway_table_changes_applied_total",
            "Row changes committed on the target, by table and operation, since the task last "
            "started.",
            MetricType::Counter, {task, {"table", key.first}, {"op", key.second}},
            static_cast<double>(n));
    }
    if (v.apply.batch_changes.count > 0) {
      b.add_histogram("tideway_apply_batch_changes",
                      "Row changes per target commit (a group of source transactions).", {task},
                      v.apply.batch_changes);
      b.add_histogram("tideway_apply_batch_duration_seconds",
                      "Seconds from a batch's first change to its target commit.", {task},
                      v.apply.batch_seconds);
    }
    for (const auto& t : v.tables) {
      const ClientMetric::Label table{"table", t.table};
      b.add("tideway_full_load_rows_copied", "Rows copied by the full load.", MetricType::Gauge,
            {task, table}, static_cast<double>(t.rows_done));
      b.add("tideway_full_load_rows_estimated", "Estimated rows of the table at the snapshot.",
            MetricType::Gauge, {task, table}, static_cast<double>(t.estimated_rows));
      b.add("tideway_full_load_bytes_copied", "Bytes copied by the full load.",
            MetricType::Gauge, {task, table}, static_cast<double>(t.bytes_done));
    }
    if (v.retention.contains("retained_bytes")) {
      b.add("tideway_slot_retained_wal_bytes",
            "Log the source keeps for the task: WAL held by its replication slot (PostgreSQL), "
            "binlog bytes from its checkpoint to the head (MySQL).",
            MetricType::Gauge, {task},
            v.retention.value("retained_bytes", 0.0));
    }
    if (v.retention.contains("safe_wal_bytes")) {
      b.add("tideway_slot_safe_wal_bytes",
            "WAL the source can still write before it drops what the slot needs.",
            MetricType::Gauge, {task}, v.retention.value("safe_wal_bytes", 0.0));
    }
    if (v.retention.contains("binlog_files_behind")) {
      b.add("tideway_binlog_files_behind",
            "Binlog files the source wrote after the one holding the task's checkpoint.",
            MetricType::Gauge, {task}, v.retention.value("binlog_files_behind", 0.0));
    }
    if (v.retention.contains("risk")) {
      const std::string risk = v.retention.value("risk", "ok");
      b.add("tideway_slot_retention_risk", "0 ok, 1 warning, 2 critical.", MetricType::Gauge,
            {task}, risk == "critical" ? 2 : risk == "warning" ? 1 : 0);
    }
    if (v.validation.contains("tables")) {
      double mismatched = 0;
      for (const auto& t : v.validation["tables"]) mismatched += t.value("ok", true) ? 0 : 1;
      b.add("tideway_validation_mismatched_tables", "Tables that differed at the last validation.",
            MetricType::Gauge, {task}, mismatched);
    }
    if (v.cutover.contains("steps")) {
      for (const auto& s : v.cutover["steps"]) {
        b.add("tideway_cutover_step_duration_seconds", "Duration of each step of the last cutover.",
              MetricType::Gauge, {task, {"step", s.value("step", "")}}, s.value("seconds", 0.0));
      }
      b.add("tideway_cutover_aborted", "1 if the last cutover was aborted.", MetricType::Gauge,
            {task},
            v.cutover.value("outcome", std::string()).rfind("aborted", 0) == 0 ? 1 : 0);
    }
  }
  std::vector<MetricFamily> out;
  for (auto& [name, f] : b.families) out.push_back(std::move(f));
  return out;
}

}  // namespace tideway::daemon
