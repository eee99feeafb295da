#include "tests/support/tideway_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

#include "tests/support/sandbox_env.h"

extern char** environ;

namespace tideway::test {

pid_t spawn_tideway_run(const std::string& task, const std::string& data_dir,
                        const std::string& log_path, const std::string& failpoint,
                        bool truncate_log) {
  std::vector<std::string> args = {required_env("TIDEWAY_BIN"), "run", "--task", task,
                                   "--data-dir", data_dir};
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("TIDEWAY_FAILPOINT=", 0) != 0) env.emplace_back(*e);
  }
  if (!failpoint.empty()) env.push_back("TIDEWAY_FAILPOINT=" + failpoint);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log_path.c_str(),
                                   O_WRONLY | O_CREAT | (truncate_log ? O_TRUNC : O_APPEND),
                                   0600);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  INFO("spawning " << args[0] << " for " << task);
  REQUIRE(spawned == 0);
  return pid;
}

std::optional<ProcessExit> wait_for_exit(pid_t& pid, int seconds) {
  for (int i = 0; i <= seconds * 20; ++i) {
    int status = 0;
    if (pid > 0 && ::waitpid(pid, &status, WNOHANG) == pid) {
      pid = 0;
      ProcessExit e;
      e.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
      e.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      return e;
    }
    if (i < seconds * 20) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

}  // namespace tideway::test
