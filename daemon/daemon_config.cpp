#include "daemon/daemon_config.h"

#include <unistd.h>

#include <fmt/format.h>

#include "api/tls_context.h"
#include "common/log.h"
#include "common/secret.h"
#include "daemon/task_spec_parser.h"
#include "daemon/yaml_reader.h"

namespace tideway::daemon {
namespace {

constexpr const char* kTopKeys =
    "listen, api, data_dir, auth, log, metrics, http, shutdown_timeout_seconds, tasks";
const log::Logger kLog{"config"};
// A certificate closer than this to its end gets a warning at start and on reload.
constexpr std::chrono::hours kCertExpiryWarning{24 * 14};

void read_auth(YamlMapReader& root, DaemonConfig& config) {
  auto auth = root.optional_map("auth");
  if (!auth) {
    root.fail("auth", "is required; expected a mapping with token_file or token_env");
  }
  auth->forbid_literal_secret("token", "token_file: <path> or token_env: <VARIABLE>");
  config.token_file = auth->optional_string("token_file").value_or("");
  config.token_env = auth->optional_string("token_env").value_or("");
  auth->finish("token_file, token_env");
  if (config.token_file.empty() == config.token_env.empty()) {
    root.fail("auth", "needs exactly one of token_file or token_env");
  }
  Result<std::string> token = config.token_file.empty() ? read_secret_env(config.token_env)
                                                        : read_secret_file(config.token_file);
  if (!token.ok()) {
    auth->fail(config.token_file.empty() ? "token_env" : "token_file",
               token.error().message + "; expected a readable, non-empty token");
  }
  if (token->size() < 16) {
    auth->fail(config.token_file.empty() ? "token_env" : "token_file",
               "the token is shorter than 16 characters; expected a long random token, "
               "e.g. from `openssl rand -hex 32`");
  }
  config.token = std::move(token).value();
}

void read_api(YamlMapReader& root, DaemonConfig& config) {
  auto api_map = root.optional_map("api");
  if (!api_map) return;
  if (auto tls = api_map->optional_map("tls")) {
    auto cert = tls->optional_string("cert_file");
    auto key = tls->optional_string("key_file");
    tls->finish("cert_file, key_file");
    if (!cert && !key) {
      api_map->fail("tls", "has neither cert_file nor key_file; expected both (PEM files), or "
                           "no tls mapping for plain HTTP");
    }
    if (!cert || cert->empty()) {
      tls->fail("cert_file", "is missing; expected the PEM certificate chain that goes with "
                             "key_file (cert_file and key_file come together)");
    }
    if (!key || key->empty()) {
      tls->fail("key_file", "is missing; expected the PEM private key of cert_file "
                            "(cert_file and key_file come together)");
    }
    auto context = api::TlsContext::create();
    if (!context.ok()) tls->fail("cert_file", context.error().message);
    if (Status s = (*context)->use_certificate_chain(*cert); !s.ok()) {
      tls->fail("cert_file", s.message());
    }
    if (Status s = (*context)->use_private_key(*key); !s.ok()) tls->fail("key_file", s.message());
    if (auto too_open = api::key_file_too_open(*key)) {
      kLog.warn("TLS private key file is readable by others; restrict it with chmod 600 (or "
                "640, owned by root, with the service's group)",
                {{"config", root.file()}, {"key", tls->key_path("key_file")}, {"file", *key},
                 {"permissions", *too_open}});
    }
    // Checked at every start and reload: a renewal that did not happen shows up in the
    // log while there is still time, not as every client failing at once.
    const auto left = (*context)->cert_expiry() - std::chrono::system_clock::now();
    if (left < kCertExpiryWarning) {
      kLog.warn("TLS certificate expires soon; renew it, then reload",
                {{"config", root.file()}, {"key", tls->key_path("cert_file")}, {"file", *cert},
                 {"not_after", (*context)->cert_not_after()},
                 {"days_left", std::chrono::duration_cast<std::chrono::hours>(left).count() / 24}});
    }
    config.tls_cert_file = *cert;
    config.tls_key_file = *key;
    config.tls = std::move(context).value();
  }
  api_map->finish("tls");
}

void read_http(YamlMapReader& root, DaemonConfig& config) {
  auto http = root.optional_map("http");
  if (!http) return;
  if (auto v = http->optional_int("max_body_bytes", 1024, 64 << 20)) {
    config.http_limits.max_body_bytes = static_cast<std::size_t>(*v);
  }
  if (auto v = http->optional_int("max_header_bytes", 1024, 1 << 20)) {
    config.http_limits.max_header_bytes = static_cast<std::size_t>(*v);
  }
  if (auto v = http->optional_int("idle_timeout_seconds", 1, 3600)) {
    config.http_limits.idle_timeout = std::chrono::seconds(*v);
  }
  if (auto v = http->optional_int("threads", 1, 64)) config.http_threads = static_cast<int>(*v);
  http->finish("max_body_bytes, max_header_bytes, idle_timeout_seconds, threads");
}

DaemonConfig parse(const std::string& file) {
  DaemonConfig config;
  config.config_file = file;
  YamlMapReader root(load_yaml_mapping(file), file, "");

  if (auto listen = root.optional_string("listen")) {
    auto parsed = parse_listen_address(*listen);
    if (!parsed.ok()) root.fail("listen", parsed.error().message);
    config.listen = *parsed;
  }
  read_api(root, config);
  config.data_dir = root.required_string("data_dir");
  read_auth(root, config);

  if (auto log_map = root.optional_map("log")) {
    if (auto level = log_map->optional_string("level")) {
      auto parsed = log::parse_level(*level);
      if (!parsed) log_map->fail("level", fmt::format("'{}' is not a level; expected one of: "
                                                      "debug, info, warn, error", *level));
      config.log_level = *parsed;
    }
    log_map->finish("level");
  }
  if (auto metrics = root.optional_map("metrics")) {
    config.metrics_auth = metrics->optional_bool("auth").value_or(true);
    metrics->finish("auth");
  }
  read_http(root, config);
  if (auto v = root.optional_int("shutdown_timeout_seconds", 1, 3600)) {
    config.shutdown_timeout = std::chrono::seconds(*v);
  }
  if (auto tasks = root.optional_string_list("tasks")) {
    for (const auto& t : *tasks) {
      if (::access(t.c_str(), R_OK) != 0) {
        root.fail("tasks", fmt::format("task file {} is not readable; expected a path to a task "
                                       "spec (YAML)", t));
      }
      if (auto spec = load_task_spec(t); !spec.ok()) {
        root.fail("tasks", "task file is not valid: " + spec.error().message);
      }
    }
    config.task_files = *tasks;
  }
  root.finish(kTopKeys);
  return config;
}

}  // namespace

Result<ListenAddress> parse_listen_address(const std::string& text) {
  std::string host;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("'{}' is not valid; expected [ipv6]:port", text));
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("'{}' is not valid; expected host:port, e.g. 127.0.0.1:8432",
                                    text));
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 0 || port > 65535) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("port '{}' is not valid; expected 0 to 65535", port_text));
  }
  if (host == "localhost") host = "127.0.0.1";
  return ListenAddress{host, static_cast<std::uint16_t>(port)};
}

Result<DaemonConfig> load_daemon_config(const std::string& file) {
  try {
    return parse(file);
  } catch (const ConfigError& e) {
    return make_error(ErrorCode::kInvalidArgument, e.what());
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}:{}:{}: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
}

}  // namespace tideway::daemon
