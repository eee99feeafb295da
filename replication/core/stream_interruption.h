#pragma once
// Why a change stream is reconnecting, for the task's status: the error that ended its
// last session, when, and whether it is still trying. The reconnect loop logs the same,
// but an operator paged at night reads GET /v1/tasks/{id} first. Thread-safe: written by
// the stream, read by status and metrics.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace tideway::replication {

class StreamInterruption {
 public:
  struct View {
    bool reconnecting = false;     // between a failed session and the next one's start
    std::string last_error;        // the last session-ending error; "" if none yet
    std::int64_t last_error_us = 0;  // when it happened (Unix microseconds); 0 if none
  };

  /// Told of each interruption and of each resumption after one (the daemon journals
  /// them). Set before the stream runs; called on the stream's thread.
  using Listener = std::function<void(bool interrupted, const std::string& error)>;
  void set_listener(Listener listener) { listener_ = std::move(listener); }

  /// A session ended with `error`; the stream reconnects from its checkpoint.
  void interrupted(std::string error) {
    const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    {
      std::lock_guard lock(mutex_);
      view_.reconnecting = true;
      view_.last_error = error;
      view_.last_error_us = now;
    }
    if (listener_) listener_(true, error);
  }
  /// A new session streams again; the last error stays for the record.
  void resumed() {
    bool was_reconnecting = false;
    {
      std::lock_guard lock(mutex_);
      was_reconnecting = view_.reconnecting;
      view_.reconnecting = false;
    }
    if (was_reconnecting && listener_) listener_(false, {});
  }
  View view() const {
    std::lock_guard lock(mutex_);
    return view_;
  }

 private:
  mutable std::mutex mutex_;
  View view_;
  Listener listener_;
};

}  // namespace tideway::replication
