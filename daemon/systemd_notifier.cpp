#include "daemon/systemd_notifier.h"

#include <systemd/sd-daemon.h>

#include <string>

namespace tideway::daemon {

SystemdNotifier::SystemdNotifier() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_ = std::chrono::microseconds(usec);
  }
}

// sd_notify's result is deliberately not acted on: failing to tell systemd something is
// not a reason to stop migrating data, and systemd reports a missing READY itself.
void SystemdNotifier::ready() const { (void)sd_notify(0, "READY=1\nSTATUS=serving"); }
void SystemdNotifier::stopping() const { (void)sd_notify(0, "STOPPING=1\nSTATUS=stopping"); }
void SystemdNotifier::reloading() const { (void)sd_notify(0, "RELOADING=1"); }
void SystemdNotifier::reloaded() const { (void)sd_notify(0, "READY=1\nSTATUS=serving"); }
void SystemdNotifier::watchdog() const { (void)sd_notify(0, "WATCHDOG=1"); }
void SystemdNotifier::status(std::string_view text) const {
  (void)sd_notify(0, ("STATUS=" + std::string(text)).c_str());
}

}  // namespace tideway::daemon
