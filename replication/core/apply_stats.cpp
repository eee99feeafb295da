#include "replication/core/apply_stats.h"

#include <algorithm>

namespace tideway::replication {

const char* change_kind_name(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kInsert: return "insert";
    case ChangeKind::kUpdate: return "update";
    case ChangeKind::kDelete: return "delete";
    case ChangeKind::kTruncate: return "truncate";
  }
  return "insert";
}

ApplyStats::ApplyStats() {
  // Rows per commit: single-row transactions up to the largest groups the appliers make.
  published_.batch_changes.bounds = {1, 10, 100, 1000, 10000, 100000, 1000000};
  // Seconds per commit: a fast local commit up to a stalled target.
  published_.batch_seconds.bounds = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30};
  for (auto* h : {&published_.batch_changes, &published_.batch_seconds}) {
    h->counts.assign(h->bounds.size() + 1, 0);
  }
}

void ApplyStats::note_change(const Change& change) {
  if (pending_total_ == 0) batch_started_ = std::chrono::steady_clock::now();
  ++pending_total_;
  if (change.kind == ChangeKind::kTruncate) {
    end_run();
    for (const auto& t : change.truncated) {
      if (t) ++pending_[{t->qualified(), change_kind_name(change.kind)}];
    }
    return;
  }
  if (change.table == run_table_ && change.kind == run_kind_) {
    ++run_count_;
    return;
  }
  end_run();
  run_table_ = change.table;
  run_kind_ = change.kind;
  run_count_ = 1;
}

void ApplyStats::end_run() {
  if (run_count_ > 0 && run_table_) {
    pending_[{run_table_->qualified(), change_kind_name(run_kind_)}] += run_count_;
  }
  run_table_.reset();
  run_count_ = 0;
}

void ApplyStats::commit_batch() {
  if (pending_total_ == 0) return;
  end_run();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - batch_started_).count();
  std::lock_guard lock(mutex_);
  for (const auto& [key, n] : pending_) published_.changes[key] += n;
  observe(published_.batch_changes, static_cast<double>(pending_total_));
  observe(published_.batch_seconds, seconds);
  pending_.clear();
  pending_total_ = 0;
}

void ApplyStats::drop_batch() {
  run_table_.reset();
  run_count_ = 0;
  pending_.clear();
  pending_total_ = 0;
}

ApplyFigures ApplyStats::figures() const {
  std::lock_guard lock(mutex_);
  return published_;
}

void ApplyStats::observe(HistogramFigures& h, double value) {
  for (std::size_t i = 0; i < h.bounds.size(); ++i) {
    if (value <= h.bounds[i]) ++h.counts[i];
  }
  ++h.counts.back();
  h.sum += value;
  ++h.count;
}

}  // namespace tideway::replication
