#pragma once
// SystemdNotifier: READY/STOPPING/RELOADING/WATCHDOG/STATUS for Type=notify units. Every
// call is a no-op when not run under systemd (no NOTIFY_SOCKET), so the same binary
// serves in a terminal, in tests and under systemd.

#include <chrono>
#include <optional>
#include <string_view>

namespace tideway::daemon {

class SystemdNotifier {
 public:
  SystemdNotifier();
  void ready() const;
  void stopping() const;
  void reloading() const;
  void reloaded() const;
  void watchdog() const;
  void status(std::string_view text) const;
  /// Interval systemd expects pings within (WatchdogSec=), when enabled for this process.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }

 private:
  std::optional<std::chrono::microseconds> watchdog_;
};

}  // namespace tideway::daemon
