// The daemon speaks the sd_notify protocol: READY=1 once serving, WATCHDOG=1 while
// healthy when systemd asks for a watchdog, STOPPING=1 on SIGTERM. systemd is stood in
// for by a datagram socket at NOTIFY_SOCKET, which is exactly what systemd itself offers.
#include <catch2/catch.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/sandbox_env.h"

extern char** environ;
namespace fs = std::filesystem;

namespace {

struct NotifySocket {
  int fd = -1;
  std::string path;
  explicit NotifySocket(const std::string& p) : path(p) {
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof addr.sun_path - 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() { ::close(fd); }
  /// Next datagram, or "" after a 1 s timeout.
  std::string receive() const {
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }
  /// Waits up to `seconds` for a datagram containing `needle`; returns it or "".
  std::string wait_for(const std::string& needle, int seconds) const {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < end) {
      std::string m = receive();
      if (m.find(needle) != std::string::npos) return m;
    }
    return {};
  }
};

}  // namespace

TEST_CASE("READY, WATCHDOG and STOPPING reach the notify socket") {
  char tmpl[] = "/tmp/tideway_notify_test_XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  std::ofstream(dir / "token") << "0123456789abcdef0123456789abcdef\n";
  std::ofstream(dir / "tideway.yaml") << "listen: 127.0.0.1:0\ndata_dir: " << (dir / "data").string()
                                      << "\nauth: {token_file: " << (dir / "token").string()
                                      << "}\n";
  NotifySocket sock((dir / "notify.sock").string());

  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.push_back("NOTIFY_SOCKET=" + sock.path);
  env_strings.push_back("WATCHDOG_USEC=400000");  // expects a ping at least every 0.4 s
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  const std::string bin = tideway::test::required_env("TIDEWAY_BIN");
  const std::string config = (dir / "tideway.yaml").string();
  std::vector<std::string> args = {bin, "serve", "--config", config};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(::posix_spawn(&pid, bin.c_str(), nullptr, nullptr, argv.data(), envp.data()) == 0);

  const std::string ready = sock.wait_for("READY=1", 10);
  CHECK(ready == "READY=1\nSTATUS=serving");
  int pings = 0;
  for (int i = 0; i < 3; ++i) {
    if (!sock.wait_for("WATCHDOG=1", 2).empty()) ++pings;
  }
  CHECK(pings == 3);

  REQUIRE(::kill(pid, SIGTERM) == 0);
  CHECK(sock.wait_for("STOPPING=1", 10) == "STOPPING=1\nSTATUS=stopping");
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  fs::remove_all(dir);
}
