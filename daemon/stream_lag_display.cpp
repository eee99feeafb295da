#include "daemon/stream_lag_display.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

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
  if (tty_) {
    std::fputs("\n", stderr);
    log::set_status_line_active(false);
  }
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
      log::set_status_line_active(true);
      std::fprintf(stderr, "\r\x1b[2Kstreaming %s: %s", task_.c_str(), line.c_str());
    } else {
      kLog.info("streaming", {{"task", task_}, {"status", line}});
    }
  }
}

}  // namespace tideway::daemon
