#pragma once
// Process exit codes, grouped by cause so systemd can act on them:
// RestartPreventExitStatus=2 4 in deploy/tideway.service stops restart loops that can
// only fail again (a bad config, a corrupt or locked store) while still restarting
// after a crash or a transient failure.

namespace tideway::daemon {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;       // runtime failure; a restart may help
inline constexpr int kExitUsage = 2;         // bad command line, config, or listen address
inline constexpr int kExitBlocked = 3;       // assessment blockers (`tideway assess`, `tideway run`)
inline constexpr int kExitStateStore = 4;    // state store locked by another process, or corrupt

}  // namespace tideway::daemon
