#pragma once
// Shows the change stream's figures while `tideway run` follows a source: on a terminal,
// one status line redrawn in place; otherwise one log line every 10 s.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace tideway::daemon {

class StreamLagDisplay {
 public:
  /// `render` returns the current figures as one line of text.
  StreamLagDisplay(std::function<std::string()> render, std::string task);
  ~StreamLagDisplay();
  /// Ends the display at once (not at its next tick).
  void stop();

 private:
  void loop();

  std::function<std::string()> render_;
  std::string task_;
  bool tty_;
  std::atomic<bool> done_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace tideway::daemon
