#pragma once
// Runs the real `tideway run` binary as a child process, for the tests that kill it
// (kill -9 at failpoints, SIGTERM) and start it again on the same data dir.

#include <sys/types.h>

#include <optional>
#include <string>

namespace tideway::test {

struct ProcessExit {
  bool killed = false;  // ended by SIGKILL
  int code = -1;        // exit code, -1 when it did not exit normally
};

/// Starts `$TIDEWAY_BIN run --task TASK --data-dir DATA_DIR` with stderr (the log) going
/// to `log_path`, appended to or truncated. The environment is the test's own, with
/// TIDEWAY_FAILPOINT set to `failpoint` (and removed when that is empty). REQUIREs that
/// the process started; returns its pid.
pid_t spawn_tideway_run(const std::string& task, const std::string& data_dir,
                        const std::string& log_path, const std::string& failpoint,
                        bool truncate_log);

/// Waits up to `seconds` (0: looks once) for `pid` to end; on an end sets `pid` to 0 and
/// says how it ended. Nothing when it still runs (or `pid` is 0).
std::optional<ProcessExit> wait_for_exit(pid_t& pid, int seconds);

}  // namespace tideway::test
