#pragma once
// Connection settings of the sandbox servers, for integration tests. tests/sandbox.sh
// writes them as KEY=VALUE lines to $TIDEWAY_SANDBOX_DIR/env; a variable already set in
// the environment wins, so a developer can point tests at other servers.

#include <string>

namespace tideway::test {

/// Value of `key` (e.g. "TIDEWAY_PG_SOURCE_PORT"). Throws std::runtime_error naming the
/// key and the env file when it is missing: a test that needs a server must fail loudly.
std::string sandbox_setting(const std::string& key);

/// Contents of the file named by setting `key` (a *_PASSWORD_FILE), newline stripped.
std::string sandbox_secret(const std::string& key);

/// Environment variable `name` or throws, naming it.
std::string required_env(const std::string& name);

}  // namespace tideway::test
