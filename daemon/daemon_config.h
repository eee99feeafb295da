#pragma once
// DaemonConfig: what `tideway serve --config FILE` reads. Every field has its default
// here; the README's configuration section mirrors this struct.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/http_server.h"
#include "common/error.h"
#include "common/log.h"

namespace tideway::daemon {

struct ListenAddress {
  std::string host = "127.0.0.1";  // Default: loopback only; expose deliberately.
  std::uint16_t port = 8432;       // Default: 8432. 0 picks a free port (logged).
};

struct DaemonConfig {
  std::string config_file;  // where this came from, for messages and SIGHUP reloads

  ListenAddress listen;
  // api.tls: serve HTTPS with this PEM certificate chain and private key (both or
  // neither). The context is built while the file is read, so a bad file is a config
  // error (on SIGHUP: a failed reload that keeps the current certificate) and the daemon
  // serves exactly what was checked. Reloadable (SIGHUP) for rotation; turning TLS on or
  // off takes a restart.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::shared_ptr<api::TlsContext> tls;  // null: plain HTTP
  std::string data_dir;  // Required. RocksDB state and the process lock live here.

  // API bearer token source: exactly one of these. Reloadable (SIGHUP).
  std::string token_file;
  std::string token_env;
  std::string token;  // the secret itself, read at load time; never logged

  log::Level log_level = log::Level::kInfo;  // Reloadable (SIGHUP).
  bool metrics_auth = true;  // Default: /metrics needs the token like the rest.

  api::HttpLimits http_limits;
  int http_threads = 2;  // Default: 2 I/O threads; handlers never block on databases.

  // Default: 30 s from SIGTERM for running work to reach a checkpoint and connections to
  // drain; past it the daemon closes its state store and exits anyway.
  std::chrono::seconds shutdown_timeout{30};

  // Predefined task spec files, loaded at start.
  std::vector<std::string> task_files;
};

/// Reads and validates `file`. Errors are one line: file:line:column, key, expected.
Result<DaemonConfig> load_daemon_config(const std::string& file);

/// Parses "host:port" or "[v6]:port".
Result<ListenAddress> parse_listen_address(const std::string& text);

}  // namespace tideway::daemon
