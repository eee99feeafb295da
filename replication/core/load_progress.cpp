#include "replication/core/load_progress.h"

namespace tideway::replication {

TableProgress& LoadProgress::table(const std::string& name, std::int64_t estimated_rows,
                                   int chunks_total) {
  std::lock_guard lock(mutex_);
  auto& slot = tables_[name];
  if (!slot) {
    slot = std::make_unique<TableProgress>();
    slot->table = name;
  }
  slot->estimated_rows = estimated_rows;
  slot->chunks_total = chunks_total;
  return *slot;
}

std::vector<TableProgressView> LoadProgress::snapshot() const {
  std::lock_guard lock(mutex_);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  std::vector<TableProgressView> out;
  for (const auto& [name, t] : tables_) {
    TableProgressView v;
    v.table = name;
    v.estimated_rows = t->estimated_rows;
    v.rows_done = t->rows_done.load();
    v.bytes_done = t->bytes_done.load() + t->live_bytes.load();
    v.chunks_done = t->chunks_done.load();
    v.chunks_total = t->chunks_total;
    v.rows_per_second = elapsed > 0 ? static_cast<double>(v.rows_done) / elapsed : 0;
    if (v.finished()) {
      v.eta_seconds = 0;
    } else if (v.rows_per_second > 0 && v.estimated_rows > v.rows_done) {
      v.eta_seconds = static_cast<double>(v.estimated_rows - v.rows_done) / v.rows_per_second;
    }
    out.push_back(v);
  }
  return out;
}

}  // namespace tideway::replication
