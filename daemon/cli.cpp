#include "daemon/cli.h"

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "daemon/assess_command.h"
#include "daemon/binlog_command.h"
#include "daemon/build_info.h"
#include "daemon/daemon.h"
#include "daemon/daemon_config.h"
#include "daemon/exit_codes.h"
#include "daemon/run_command.h"

namespace tideway::daemon {
namespace {

constexpr const char* kUsage = R"(tideway - live database migration (MySQL, MariaDB, PostgreSQL)

Usage:
  tideway serve --config FILE            run the daemon (REST API, metrics, tasks)
  tideway serve --config FILE --check-config
                                         validate FILE (and the secrets it names), then exit
  tideway run --task FILE --data-dir DIR run one task in the foreground (resumes from
                                         the state in DIR); SIGINT/SIGTERM stop it
                                         at a consistent point
      [--acknowledge ID[:OBJECT],...]    before its first load the task is assessed;
                                         blockers not acknowledged stop it (exit 3)
  tideway status --data-dir DIR [--json] phase, position and per-table progress of
                                         the tasks in DIR (works while they run)
  tideway binlog decode FILE...          print every event of MySQL/MariaDB binlog files
                                         as JSON lines (typed row values); a truncated or
                                         corrupt file ends with an error naming the offset
  tideway assess --source URL [--target URL | --target-engine KIND]
         [--sample-seconds N] [--format json|markdown|html] [--output FILE]
         [--source-password-file F] [--target-password-file F] [--exact-counts]
         [--connect-timeout N]           inventory, live write rate, replication health
  tideway assess --source-task FILE ...  and compatibility findings for a migration; URL is
                                         postgresql|mysql|mariadb://user[:pw]@host:port/db,
                                         KIND postgresql:16, mysql:8.0, mariadb:11.4,
                                         aurora-mysql:3 or aurora-postgresql:16; without a
                                         password in the URL: the file, else the variable
                                         TIDEWAY_SOURCE_PASSWORD (TIDEWAY_TARGET_PASSWORD)
  tideway --version                      print version and commit
  tideway --help                         print this help

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration (assess: or the
            source cannot be reached or read), 3 assess found blockers,
            4 state store locked by another process or corrupt.
)";

void print_error(std::string_view message) {
  std::fprintf(stderr, "tideway: %.*s\n", static_cast<int>(message.size()), message.data());
}

int usage_error(std::string_view message) {
  print_error(fmt::format("{}; see 'tideway --help'", message));
  return kExitUsage;
}

int cmd_serve(const std::vector<std::string>& args) {
  std::string config_file;
  bool check_only = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--config" || a == "-c") {
      if (i + 1 >= args.size()) return usage_error("--config needs a file");
      config_file = args[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_file = a.substr(9);
    } else if (a == "--check-config") {
      check_only = true;
    } else {
      return usage_error(fmt::format("serve: unknown option '{}'", a));
    }
  }
  if (config_file.empty()) return usage_error("serve needs --config FILE");

  auto config = load_daemon_config(config_file);
  if (!config.ok()) {
    print_error(fmt::format("config error: {}", config.error().message));
    return kExitUsage;
  }
  if (check_only) {
    std::printf("config %s is valid\n", config_file.c_str());
    return kExitOk;
  }
  // Before any thread exists, so all threads inherit the mask (see Daemon).
  block_lifecycle_signals();
  Daemon daemon(std::move(config).value());
  return daemon.run();
}

}  // namespace

int run_cli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string command = args.front();
  args.erase(args.begin());
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (command == "--version" || command == "-V" || command == "version") {
    std::printf("tideway %s (commit %s, %s)\n", kVersion, kGitCommit, kCompiler);
    return kExitOk;
  }
  if (command == "serve") return cmd_serve(args);
  if (command == "run") return cmd_run(args);
  if (command == "binlog") return cmd_binlog(args);
  if (command == "assess") return cmd_assess(args);
  if (command == "status") return cmd_status(args);
  return usage_error(fmt::format("unknown command '{}'", command));
}

}  // namespace tideway::daemon
