// The mysql/mariadb -> mysql/mariadb path as a TaskEngine (see task_engine.h).
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "daemon/task_engine_impl.h"
#include "replication/core/load_state.h"
#include "replication/mysql/my_connection.h"
#include "replication/mysql/my_cutover.h"
#include "replication/mysql/my_full_load.h"
#include "replication/mysql/my_position.h"
#include "replication/mysql/my_stream.h"
#include "replication/mysql/my_validation.h"

namespace tideway::daemon {
namespace {

namespace my = replication::mysql;
using my::BinlogPosition;

std::uint64_t position_number(const std::string& text) {
  auto p = BinlogPosition::parse(text);
  return p ? (p->file_sequence() << 32) + p->offset : 0;
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class MyStreamRun final : public StreamRun {
 public:
  MyStreamRun(replication::TaskSpec spec, storage::StateStore& store)
      : spec_(std::move(spec)), store_(store) {}

  Status run(const std::atomic<bool>& stop) override {
    return my::run_mysql_stream(spec_, store_, status_, stop);
  }

  StreamFigures figures() const override {
    StreamFigures f;
    f.received = status_.received_position();
    f.applied = status_.applied_position();
    f.checkpointed = status_.checkpointed_position();
    f.applied_number = position_number(f.applied);
    f.checkpointed_number = position_number(f.checkpointed);
    f.last_commit_time_us = status_.last_commit_time_us;
    // The stream knows how late the last transaction it took was, and that it is caught
    // up (lag 0); in between, the lag is counted from that transaction's commit, so a
    // stalled apply shows a growing lag rather than a frozen one.
    f.oldest_pending_commit_us = status_.lag_seconds.load() > 0 ? f.last_commit_time_us : 0;
    if (f.oldest_pending_commit_us > now_us()) f.oldest_pending_commit_us = now_us();
    f.changes_applied = status_.changes_applied;
    f.transactions_applied = status_.transactions_applied;
    f.reconnects = status_.reconnects;
    f.interruption = status_.interruption.view();
    f.checkpoint_age_seconds = checkpoint_clock_.age_seconds(
        std::max(f.checkpointed_number, position_number(status_.idle_position())));
    return f;
  }

  replication::ApplyFigures apply_figures() const override { return status_.apply.figures(); }

  void on_interruption(replication::StreamInterruption::Listener listener) override {
    status_.interruption.set_listener(std::move(listener));
  }

  bool reached(const std::string& point) const override {
    const auto target = BinlogPosition::parse(point);
    if (!target) return false;
    for (const auto& text : {status_.checkpointed_position(), status_.idle_position()}) {
      const auto p = BinlogPosition::parse(text);
      if (p && *p >= *target) return true;
    }
    return false;
  }

 private:
  const replication::TaskSpec spec_;
  storage::StateStore& store_;
  my::MyStreamStatus status_;
  MovementClock checkpoint_clock_;
};

// How close the source is to purging the binlog the stream still needs. A binlog source
// keeps files by age (binlog_expire_logs_seconds / expire_logs_days, on Aurora the
// 'binlog retention hours' configuration), not by what replicas have read, so the risk is
// read off where our checkpoint's file stands among the files still kept.
nlohmann::json probe_binlog_retention(const replication::TaskSpec& spec,
                                      storage::StateStore& store) {
  replication::LoadStateStore state(store, spec.id);
  std::string needed;
  if (auto cp = state.load_checkpoint(); cp.ok() && cp->has_value()) needed = **cp;
  if (needed.empty()) {
    if (auto t = state.load_task(); t.ok() && t->has_value()) needed = (*t)->start_position;
  }
  const auto need = BinlogPosition::parse(needed);
  if (!need) return {{"risk", "ok"}, {"detail", "no binlog position recorded yet"}};
  auto conn = my::MyConnection::connect(spec.source, {my::SessionKind::kSource, false, false, 5});
  if (!conn.ok()) return {{"error", conn.error().message}};
  auto logs = (*conn)->query("SHOW BINARY LOGS");
  if (!logs.ok()) return {{"error", logs.error().message}};
  auto head_row = (*conn)->query("SHOW MASTER STATUS");
  if (!head_row.ok()) return {{"error", head_row.error().message}};
  nlohmann::json j = {{"needed_position", needed}};
  if (!head_row->empty()) {
    j["source_head"] = fmt::format("{}:{}", head_row->text(0, 0), head_row->text(0, 1));
  }
  if (auto expire = (*conn)->query("SELECT @@GLOBAL.binlog_expire_logs_seconds"); expire.ok()) {
    j["binlog_expire_logs_seconds"] = expire->as_int(0, 0);
  }
  std::int64_t behind = 0;
  int files_behind = 0;
  bool found = false;
  for (std::size_t r = 0; r < logs->size(); ++r) {
    const std::string file = logs->text(r, 0);
    const std::int64_t size = logs->as_int(r, 1);
    if (file == need->file) {
      found = true;
      behind += std::max<std::int64_t>(0, size - static_cast<std::int64_t>(need->offset));
    } else if (found) {
      behind += size;
      ++files_behind;
    }
  }
  if (!logs->empty()) j["oldest_binlog"] = logs->text(0, 0);
  if (!found) {
    j["risk"] = "critical";
    j["detail"] = fmt::format("binlog {} is no longer on the source; a new full load is needed",
                              need->file);
    return j;
  }
  j["retained_bytes"] = behind;
  j["binlog_files_behind"] = files_behind;
  if (logs->text(0, 0) == need->file && logs->size() > 1) {
    j["risk"] = "warning";
    j["detail"] = fmt::format(
        "{} is the oldest binlog the source keeps: the next expiry purge removes it; keep "
        "the stream running or raise binlog_expire_logs_seconds", need->file);
  } else {
    j["risk"] = "ok";
    j["detail"] = fmt::format("the stream's binlog {} is kept, {} newer files",
                              need->file, files_behind);
  }
  return j;
}

class MyTaskEngine final : public TaskEngine {
 public:
  MyTaskEngine(replication::TaskSpec spec, storage::StateStore& store)
      : spec_(std::move(spec)), store_(store) {}

  Result<LoadSummary> full_load(replication::LoadProgress& progress,
                                const std::atomic<bool>& stop) const override {
    auto r = my::run_mysql_full_load(spec_, store_, progress, stop);
    if (!r.ok()) return std::move(r).error();
    std::vector<std::string> warnings = r->warnings;
    for (const auto& d : r->definers_rewritten) warnings.push_back(d);
    return LoadSummary{r->start_position, r->tables, r->rows, r->chunks_copied,
                       r->chunks_skipped, std::move(warnings)};
  }

  std::unique_ptr<StreamRun> new_stream() const override {
    return std::make_unique<MyStreamRun>(spec_, store_);
  }

  StreamFigures stored_figures() const override {
    StreamFigures f;
    replication::LoadStateStore state(store_, spec_.id);
    if (auto cp = state.load_checkpoint(); cp.ok() && cp->has_value()) {
      f.checkpointed = f.applied = **cp;
      f.checkpointed_number = f.applied_number = position_number(**cp);
    }
    return f;
  }

  Result<FenceResult> set_fence(bool on) const override {
    auto r = my::set_read_only(spec_, on);
    if (!r.ok()) return std::move(r).error();
    return FenceResult{r->detail, r->changed};
  }

  Result<std::string> mark_cutover_point() const override {
    auto p = my::mark_cutover_point(spec_);
    if (!p.ok()) return std::move(p).error();
    return p->to_string();
  }

  Result<replication::ValidationReport> validate() const override {
    return my::validate_mysql_tables(spec_, store_);
  }

  Result<std::string> finish_target() const override { return my::finish_mysql_target(spec_); }

  Result<std::string> drop_source_objects() const override {
    // A binlog reader leaves nothing on the source: the server forgets a replica when
    // it disconnects.
    return std::string("nothing to drop: a binlog stream keeps no state on the source");
  }

  nlohmann::json probe_retention() const override {
    return probe_binlog_retention(spec_, store_);
  }

 private:
  replication::TaskSpec spec_;
  storage::StateStore& store_;
};

}  // namespace

std::unique_ptr<TaskEngine> make_my_task_engine(const replication::TaskSpec& spec,
                                                storage::StateStore& store) {
  return std::make_unique<MyTaskEngine>(spec, store);
}

}  // namespace tideway::daemon
