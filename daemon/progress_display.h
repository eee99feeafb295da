#pragma once
// Shows full-load progress while `tideway run` works: on a terminal, one bar per table
// redrawn in place (rows/s and ETA); otherwise (journald, CI, a pipe) one log line per
// table at a fixed interval, so logs stay readable.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "replication/core/load_progress.h"

namespace tideway::daemon {

class ProgressDisplay {
 public:
  ProgressDisplay(const replication::LoadProgress& progress, std::string task_id);
  ~ProgressDisplay();  // stops and draws the final state
  void stop();

  /// One table's bar, e.g. "public.orders  [#####     ]  52%  1.2M/2.3M rows  48k rows/s
  /// ETA 23s"; exposed for tests.
  static std::string render_line(const replication::TableProgressView& v, int name_width);

 private:
  void loop();
  void draw(bool final_draw);

  const replication::LoadProgress& progress_;
  std::string task_id_;
  bool tty_;
  std::atomic<bool> stop_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace tideway::daemon
