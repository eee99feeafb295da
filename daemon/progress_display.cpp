#include "daemon/progress_display.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "common/log.h"

namespace tideway::daemon {
namespace {

const log::Logger kLog{"progress"};

std::string human(double n) {
  if (n >= 1e9) return fmt::format("{:.1f}G", n / 1e9);
  if (n >= 1e6) return fmt::format("{:.1f}M", n / 1e6);
  if (n >= 1e3) return fmt::format("{:.1f}k", n / 1e3);
  return fmt::format("{:.0f}", n);
}

std::string eta_text(double seconds) {
  if (seconds < 0) return "ETA ?";
  if (seconds == 0) return "done";
  const auto s = static_cast<long>(seconds);
  if (s >= 3600) return fmt::format("ETA {}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("ETA {}m{:02}s", s / 60, s % 60);
  return fmt::format("ETA {}s", s);
}

}  // namespace

ProgressDisplay::ProgressDisplay(const replication::LoadProgress& progress, std::string task_id)
    : progress_(progress), task_id_(std::move(task_id)), tty_(::isatty(STDERR_FILENO) == 1) {
  thread_ = std::thread([this] { loop(); });
}

ProgressDisplay::~ProgressDisplay() { stop(); }

void ProgressDisplay::stop() {
  {
    std::lock_guard lock(wake_mutex_);
    if (stop_.exchange(true)) return;
  }
  wake_.notify_all();  // the run ends now, not at the display's next tick
  if (thread_.joinable()) thread_.join();
  draw(true);
  if (tty_) log::end_status();  // the final bars stay; what follows goes below them
}

std::string ProgressDisplay::render_line(const replication::TableProgressView& v,
                                         int name_width) {
  constexpr int kWidth = 24;
  double fraction = 0;
  if (v.chunks_total > 0) fraction = static_cast<double>(v.chunks_done) / v.chunks_total;
  if (v.estimated_rows > 0 && !v.finished()) {
    fraction = std::min(0.99, static_cast<double>(v.rows_done) / static_cast<double>(v.estimated_rows));
  }
  if (v.finished()) fraction = 1.0;
  const int filled = static_cast<int>(fraction * kWidth);
  return fmt::format("{:<{}}  [{}{}] {:3.0f}%  {}/{} rows  {} rows/s  {}", v.table, name_width,
                     std::string(static_cast<std::size_t>(filled), '#'),
                     std::string(static_cast<std::size_t>(kWidth - filled), ' '),
                     fraction * 100, human(static_cast<double>(v.rows_done)),
                     human(static_cast<double>(std::max(v.estimated_rows, v.rows_done))),
                     human(v.rows_per_second), eta_text(v.eta_seconds));
}

void ProgressDisplay::loop() {
  using namespace std::chrono;
  auto last_log = steady_clock::now();
  while (true) {
    {
      std::unique_lock lock(wake_mutex_);
      if (wake_.wait_for(lock, milliseconds(250), [this] { return stop_.load(); })) break;
    }
    if (tty_) {
      draw(false);
    } else if (steady_clock::now() - last_log >= seconds(10)) {
      last_log = steady_clock::now();
      draw(false);
    }
  }
}

void ProgressDisplay::draw(bool final_draw) {
  const auto views = progress_.snapshot();
  if (!tty_) {
    for (const auto& v : views) {
      if (v.finished() && !final_draw) continue;
      kLog.info("full load progress", {{"task", task_id_}, {"table", v.table},
                                       {"rows_done", v.rows_done},
                                       {"rows_estimated", v.estimated_rows},
                                       {"bytes_done", v.bytes_done},
                                       {"chunks_done", v.chunks_done},
                                       {"chunks_total", v.chunks_total},
                                       {"rows_per_second", static_cast<long>(v.rows_per_second)},
                                       {"eta_seconds", static_cast<long>(v.eta_seconds)}});
    }
    return;
  }
  int name_width = 10;
  for (const auto& v : views) name_width = std::max<int>(name_width, static_cast<int>(v.table.size()));
  std::string out;
  for (const auto& v : views) out += render_line(v, name_width) + "\n";
  log::draw_status(out);  // replaces the bars drawn before, below any log line since
}

}  // namespace tideway::daemon
