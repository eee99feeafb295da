#pragma once
// Live full-load progress per table, shared between loader threads (writers, lock-free
// counters) and whoever reports it (terminal bars, logs, the API, metrics). The durable
// record of what is done is LoadStateStore; this is only for watching.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tideway::replication {

struct TableProgress {
  std::string table;
  std::int64_t estimated_rows = 0;
  int chunks_total = 0;
  std::atomic<int> chunks_done{0};
  std::atomic<std::int64_t> rows_done{0};
  std::atomic<std::int64_t> bytes_done{0};
  std::atomic<std::int64_t> live_bytes{0};  // bytes of chunks in flight
};

/// A point-in-time copy of one table's progress, with rates.
struct TableProgressView {
  std::string table;
  std::int64_t estimated_rows = 0;
  std::int64_t rows_done = 0;
  std::int64_t bytes_done = 0;
  int chunks_done = 0;
  int chunks_total = 0;
  double rows_per_second = 0;
  double eta_seconds = -1;  // -1 when unknown
  bool finished() const { return chunks_total > 0 && chunks_done >= chunks_total; }
};

class LoadProgress {
 public:
  /// Registers a table (idempotent); the returned reference lives as long as this object.
  TableProgress& table(const std::string& name, std::int64_t estimated_rows, int chunks_total);
  std::vector<TableProgressView> snapshot() const;
  void start_clock() { started_ = std::chrono::steady_clock::now(); }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<TableProgress>> tables_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace tideway::replication
