#include "daemon/stream_lag_display.h"

#include <unistd.h>

#include <chrono>

#include "common/log.h"

namespace tideway::daemon {
namespace {

const log::Logger kLog{"run"};

}  // namespace

StreamLagDisplay::StreamLagDisplay(std::function<std::string()> render, std::string task)
    : render_(std::move(render)), task_(std::move(task)), tty_(::isatty(STDERR_FILENO) == 1) {
  thread_ = std::thread([this] { loop(); });
}

StreamLagDisplay::~StreamLagDisplay() { stop(); }

void StreamLagDisplay::stop() {
  {
    std::lock_guard lock(wake_mutex_);
    if (done_.exchange(true)) return;
  }
  wake_.notify_all();
  thread_.join();
  if (tty_) log::end_status();
}

void StreamLagDisplay::loop() {
  int ticks = 0;
  while (true) {
    {
      std::unique_lock lock(wake_mutex_);
      if (wake_.wait_for(lock, std::chrono::milliseconds(250), [this] { return done_.load(); })) {
        return;
      }
    }
    if (!tty_ && ++ticks % 40 != 0) continue;
    const std::string line = render_();
    if (tty_) {
      log::draw_status("streaming " + task_ + ": " + line);
    } else {
      kLog.info("streaming", {{"task", task_}, {"status", line}});
    }
  }
}

}  // namespace tideway::daemon
