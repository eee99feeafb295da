#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "daemon/daemon_config.h"

using namespace tideway;
using namespace tideway::daemon;
namespace fs = std::filesystem;

namespace {

struct ConfigDir {
  fs::path dir;
  std::string token_path;
  ConfigDir() {
    char tmpl[] = "/tmp/tideway_config_test_XXXXXX";
    dir = ::mkdtemp(tmpl);
    token_path = (dir / "token").string();
    std::ofstream(token_path) << "0123456789abcdef0123456789abcdef\n";
  }
  ~ConfigDir() { fs::remove_all(dir); }

  std::string write(const std::string& yaml) const {
    const std::string path = (dir / "tideway.yaml").string();
    std::ofstream(path, std::ios::trunc) << yaml;
    return path;
  }
  std::string base() const {
    return "data_dir: /tmp/x\nauth:\n  token_file: " + token_path + "\n";
  }
};

std::string error_of(const Result<DaemonConfig>& r) {
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

}  // namespace

TEST_CASE("A minimal config gets the documented defaults") {
  ConfigDir d;
  auto r = load_daemon_config(d.write(d.base()));
  REQUIRE(r.ok());
  CHECK(r->listen.host == "127.0.0.1");
  CHECK(r->listen.port == 8432);
  CHECK(r->data_dir == "/tmp/x");
  CHECK(r->token == "0123456789abcdef0123456789abcdef");
  CHECK(r->metrics_auth);
  CHECK(r->log_level == log::Level::kInfo);
  CHECK(r->http_limits.max_body_bytes == 1 << 20);
  CHECK(r->shutdown_timeout == std::chrono::seconds(30));
}

TEST_CASE("Every setting is read") {
  ConfigDir d;
  auto r = load_daemon_config(d.write(d.base() +
                                      "listen: \"[::1]:9000\"\n"
                                      "log: {level: debug}\n"
                                      "metrics: {auth: false}\n"
                                      "http: {max_body_bytes: 2048, max_header_bytes: 4096,\n"
                                      "       idle_timeout_seconds: 5, threads: 3}\n"
                                      "shutdown_timeout_seconds: 7\n"));
  REQUIRE(r.ok());
  CHECK(r->listen.host == "::1");
  CHECK(r->listen.port == 9000);
  CHECK(r->log_level == log::Level::kDebug);
  CHECK_FALSE(r->metrics_auth);
  CHECK(r->http_limits.max_body_bytes == 2048);
  CHECK(r->http_limits.max_header_bytes == 4096);
  CHECK(r->http_limits.idle_timeout == std::chrono::seconds(5));
  CHECK(r->http_threads == 3);
  CHECK(r->shutdown_timeout == std::chrono::seconds(7));
}

TEST_CASE("Config errors name file, line, column, key and what was expected") {
  ConfigDir d;
  struct Case {
    std::string yaml;
    std::string expected;  // the message after "<file>:"
  };
  const std::string file = (d.dir / "tideway.yaml").string();
  const Case cases[] = {
      {d.base() + "listn: 127.0.0.1:1\n",
       "4:1: listn: unknown key; expected one of: listen, api, data_dir, auth, log, metrics, http, "
       "shutdown_timeout_seconds, tasks"},
      {d.base() + "http:\n  threads: many\n",
       "5:12: http.threads: 'many' is not valid; expected an integer from 1 to 64"},
      {d.base() + "http:\n  threads: [1]\n",
       "5:12: http.threads: found a list; expected an integer from 1 to 64"},
      {d.base() + "metrics: {auth: maybe}\n",
       "4:17: metrics.auth: 'maybe' is not valid; expected true or false"},
      {d.base() + "log: {level: loud}\n",
       "4:14: log.level: 'loud' is not a level; expected one of: debug, info, warn, error"},
      {d.base() + "log: {lvl: debug}\n", "4:7: log.lvl: unknown key; expected one of: level"},
      {"auth:\n  token_file: " + d.token_path + "\n",
       "1:1: data_dir: is required; expected a non-empty string"},
      {"data_dir: /tmp/x\nauth:\n  token: hunter2hunter2hunter2\n",
       "3:10: auth.token: secrets are not accepted inline; expected token_file: <path> or "
       "token_env: <VARIABLE>"},
      {"data_dir: /tmp/x\nauth:\n  token_file: /nonexistent/token\n",
       "3:15: auth.token_file: cannot read secret file /nonexistent/token: No such file or "
       "directory; expected a readable, non-empty token"},
      {d.base() + "listen: 127.0.0.1\n",
       "4:9: listen: '127.0.0.1' is not valid; expected host:port, e.g. 127.0.0.1:8432"},
      {d.base() + "listen: 127.0.0.1:70000\n",
       "4:9: listen: port '70000' is not valid; expected 0 to 65535"},
      {d.base() + "tasks: [/nonexistent/task.yaml]\n",
       "4:8: tasks: task file /nonexistent/task.yaml is not readable; expected a path to a task "
       "spec (YAML)"},
      {d.base() + "data_dir2: [unclosed\n", "5:1: invalid YAML: end of sequence flow not found"},
      {"- a\n- b\n", "1:1: document: found a list; expected a mapping of keys"},
  };
  for (const Case& c : cases) {
    INFO(c.yaml);
    CHECK(error_of(load_daemon_config(d.write(c.yaml))) == file + ":" + c.expected);
  }
}

TEST_CASE("A missing or empty config file is an error naming it") {
  CHECK(error_of(load_daemon_config("/nonexistent/tideway.yaml")) ==
        "/nonexistent/tideway.yaml: cannot read: No such file or directory");
  ConfigDir d;
  const std::string path = d.write("");
  CHECK(error_of(load_daemon_config(path)) ==
        path + ": the file is empty; expected a mapping of keys");
}

TEST_CASE("${VAR} references are expanded, and an unset one is an error") {
  ConfigDir d;
  ::setenv("TIDEWAY_TEST_STATE_DIR", "/var/lib/tw-test", 1);
  ::setenv("TIDEWAY_TEST_TOKEN", "abcdefabcdefabcdefabcdef", 1);
  auto r = load_daemon_config(
      d.write("data_dir: ${TIDEWAY_TEST_STATE_DIR}/state\nauth: {token_env: TIDEWAY_TEST_TOKEN}\n"));
  REQUIRE(r.ok());
  CHECK(r->data_dir == "/var/lib/tw-test/state");
  CHECK(r->token == "abcdefabcdefabcdefabcdef");
  CHECK(r->token_env == "TIDEWAY_TEST_TOKEN");

  ::unsetenv("TIDEWAY_TEST_UNSET");
  const std::string path = d.write("data_dir: ${TIDEWAY_TEST_UNSET}\nauth: {token_env: X}\n");
  CHECK(error_of(load_daemon_config(path)) ==
        path + ":1:11: data_dir: environment variable 'TIDEWAY_TEST_UNSET' is not set; expected "
               "it to be set, or a literal value");
}

TEST_CASE("Short tokens and two token sources are refused") {
  ConfigDir d;
  std::ofstream(d.token_path, std::ios::trunc) << "short\n";
  auto short_token = load_daemon_config(d.write(d.base()));
  CHECK(error_of(short_token).find("shorter than 16 characters") != std::string::npos);

  auto both = load_daemon_config(
      d.write("data_dir: /x\nauth: {token_file: " + d.token_path + ", token_env: X}\n"));
  CHECK(error_of(both).find("auth: needs exactly one of token_file or token_env") !=
        std::string::npos);
}
