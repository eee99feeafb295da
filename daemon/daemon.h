#pragma once
// Daemon: one `tideway serve` process. Owns the state store, the metrics registry, the
// HTTP server and its I/O threads, and the process lifecycle:
//   start:  lock and open the state store, bind, serve, tell systemd READY
//   SIGHUP: re-read log level, API token and TLS certificate and key from the config file
//   SIGTERM/SIGINT: STOPPING, refuse new connections, let running work reach a
//           checkpoint and open requests finish (bounded by shutdown_timeout), close the
//           state store, exit 0.
// Signals are taken synchronously on the main thread (sigtimedwait), never in a handler,
// so shutdown code runs in ordinary context.

#include <memory>

#include "daemon/daemon_config.h"

namespace tideway::daemon {

class Daemon {
 public:
  explicit Daemon(DaemonConfig config);
  ~Daemon();
  /// Runs until SIGTERM/SIGINT; returns the process exit code (daemon/exit_codes.h).
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread; call before any thread starts
/// so every thread inherits the mask and only sigtimedwait receives them.
void block_lifecycle_signals();

}  // namespace tideway::daemon
