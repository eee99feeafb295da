// The postgresql -> postgresql path as a TaskEngine (see task_engine.h).
#include <fmt/format.h>

#include "daemon/task_engine_impl.h"
#include "replication/core/load_state.h"
#include "replication/core/lsn.h"
#include "replication/postgres/pg_connection.h"
#include "replication/postgres/pg_cutover.h"
#include "replication/postgres/pg_full_load.h"
#include "replication/postgres/pg_stream.h"
#include "replication/postgres/pg_validation.h"

namespace tideway::daemon {
namespace {

namespace pg = replication::postgres;
using replication::Lsn;

std::string lsn_text(std::uint64_t v) { return Lsn{v}.to_string(); }

class PgStreamRun final : public StreamRun {
 public:
  PgStreamRun(const replication::TaskSpec& spec, storage::StateStore& store)
      : spec_(spec), store_(store) {}

  Status run(const std::atomic<bool>& stop) override {
    return pg::run_stream(spec_, store_, status_, stop);
  }

  StreamFigures figures() const override {
    StreamFigures f;
    f.source_head_number = status_.source_wal_end;
    f.applied_number = status_.applied_lsn;
    f.checkpointed_number = status_.checkpointed_lsn;
    f.source_head = lsn_text(f.source_head_number);
    f.received = lsn_text(status_.received_lsn);
    f.applied = lsn_text(f.applied_number);
    f.checkpointed = lsn_text(f.checkpointed_number);
    f.lag_bytes = f.source_head_number > f.checkpointed_number
                      ? f.source_head_number - f.checkpointed_number
                      : 0;
    f.last_commit_time_us = status_.last_commit_time_us;
    f.oldest_pending_commit_us = status_.oldest_pending_commit_us;
    f.changes_applied = status_.changes_applied;
    f.transactions_applied = status_.transactions_applied;
    f.reconnects = status_.reconnects;
    f.interruption = status_.interruption.view();
    f.streaming_in_progress = status_.streaming_in_progress;
    f.spool_bytes = status_.spool_bytes;
    f.streamed_open = status_.streamed_open;
    f.streamed_committed = status_.streamed_committed;
    f.streamed_aborted = status_.streamed_aborted;
    f.checkpoint_age_seconds = checkpoint_clock_.age_seconds(f.checkpointed_number);
    return f;
  }

  replication::ApplyFigures apply_figures() const override { return status_.apply.figures(); }

  void on_interruption(replication::StreamInterruption::Listener listener) override {
    status_.interruption.set_listener(std::move(listener));
  }

  bool reached(const std::string& point) const override {
    auto lsn = Lsn::parse(point);
    return lsn && status_.checkpointed_lsn.load() >= lsn->value;
  }

 private:
  const replication::TaskSpec spec_;
  storage::StateStore& store_;
  pg::StreamStatus status_;
  MovementClock checkpoint_clock_;
};

// How close the source is to dropping WAL the slot needs. PostgreSQL 13+ reports
// wal_status and safe_wal_size (bytes left before max_slot_wal_keep_size would cut the
// slot loose); without a limit, retention is only bounded by disk.
nlohmann::json probe_slot_retention(const replication::TaskSpec& spec) {
  auto conn = pg::PgConnection::connect(spec.source, {false, "tideway-monitor", 5});
  if (!conn.ok()) return {{"error", conn.error().message}};
  auto r = (*conn)->exec_params(
      "SELECT (pg_current_wal_lsn() - restart_lsn)::bigint, wal_status, safe_wal_size "
      "FROM pg_replication_slots WHERE slot_name = $1",
      {spec.postgres.slot_name});
  if (!r.ok()) return {{"error", r.error().message}};
  if (r->rows() == 0) return {{"risk", "critical"}, {"detail", "the slot does not exist"}};
  nlohmann::json j = {{"retained_bytes", r->is_null(0, 0) ? 0 : r->as_int(0, 0)},
                      {"wal_status", r->optional(0, 1).value_or("")}};
  std::string risk = "ok", detail = "WAL needed by the slot is reserved";
  const std::string status = j["wal_status"];
  if (!r->is_null(0, 2)) {
    const std::int64_t safe = r->as_int(0, 2);
    j["safe_wal_bytes"] = safe;
    if (safe < (256LL << 20)) {
      risk = "critical";
      detail = "less than 256 MiB of WAL before the source drops what the slot needs";
    } else if (safe < (1LL << 30)) {
      risk = "warning";
      detail = "less than 1 GiB of WAL before the source drops what the slot needs";
    }
  }
  if (status == "lost") {
    risk = "critical";
    detail = "the source removed WAL the slot needed; a new full load is needed";
  } else if (status == "unreserved") {
    risk = "critical";
    detail = "WAL beyond max_slot_wal_keep_size; the next checkpoint may remove it";
  } else if (status == "extended" && risk == "ok") {
    risk = "warning";
    detail = "WAL retained beyond max_wal_size for the slot";
  }
  j["risk"] = risk;
  j["detail"] = detail;
  return j;
}

class PgTaskEngine final : public TaskEngine {
 public:
  PgTaskEngine(replication::TaskSpec spec, storage::StateStore& store)
      : spec_(std::move(spec)), store_(store) {}

  Result<LoadSummary> full_load(replication::LoadProgress& progress,
                                const std::atomic<bool>& stop) const override {
    auto r = pg::run_full_load(spec_, store_, progress, stop);
    if (!r.ok()) return std::move(r).error();
    return LoadSummary{r->start_position, r->tables, r->rows, r->chunks_copied,
                       r->chunks_skipped, {}};
  }

  std::unique_ptr<StreamRun> new_stream() const override {
    return std::make_unique<PgStreamRun>(spec_, store_);
  }

  StreamFigures stored_figures() const override {
    StreamFigures f;
    replication::LoadStateStore state(store_, spec_.id);
    if (auto cp = state.load_checkpoint(); cp.ok() && cp->has_value()) {
      f.checkpointed_number = Lsn::parse(**cp).value_or(Lsn{}).value;
      f.applied_number = f.checkpointed_number;
    }
    f.source_head = lsn_text(0);
    f.received = lsn_text(0);
    f.checkpointed = f.applied = lsn_text(f.checkpointed_number);
    return f;
  }

  Result<FenceResult> set_fence(bool on) const override {
    auto r = pg::set_read_only_fence(spec_, on);
    if (!r.ok()) return std::move(r).error();
    return FenceResult{*r, true};
  }

  Result<std::string> mark_cutover_point() const override {
    auto lsn = pg::mark_cutover_point(spec_);
    if (!lsn.ok()) return std::move(lsn).error();
    return lsn->to_string();
  }

  Result<replication::ValidationReport> validate() const override {
    return pg::validate_tables(spec_, store_);
  }

  Result<std::string> finish_target() const override {
    if (Status s = pg::finish_target(spec_); !s.ok()) return std::move(s).error();
    return std::string("sequences at the source's values; foreign keys and triggers created");
  }

  Result<std::string> drop_source_objects() const override {
    if (spec_.postgres.slot_name.empty()) return std::string("no replication slot");
    auto conn = pg::PgConnection::connect(spec_.source);
    if (!conn.ok()) return std::move(conn).error().with_context("dropping the replication slot");
    auto dropped = (*conn)->exec_params(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
        "WHERE slot_name = $1",
        {spec_.postgres.slot_name});
    if (!dropped.ok()) {
      return std::move(dropped).error().with_context("dropping the replication slot");
    }
    return fmt::format("replication slot {} dropped", spec_.postgres.slot_name);
  }

  nlohmann::json probe_retention() const override { return probe_slot_retention(spec_); }

 private:
  replication::TaskSpec spec_;
  storage::StateStore& store_;
};

}  // namespace

std::unique_ptr<TaskEngine> make_pg_task_engine(const replication::TaskSpec& spec,
                                                storage::StateStore& store) {
  return std::make_unique<PgTaskEngine>(spec, store);
}

}  // namespace tideway::daemon
