#pragma once
// Secrets (API token, database passwords) come only from a file or an environment
// variable, never from a literal in a config file, and never reach logs, metrics or API
// responses. These helpers read them and produce errors that name the source, not the value.

#include <string>

#include "common/error.h"

namespace tideway {

/// Reads a secret from `path`; trailing newline(s) are removed. Errors name the path and
/// the cause (missing, unreadable, empty), never any content.
Result<std::string> read_secret_file(const std::string& path);

/// Reads a secret from environment variable `name`.
Result<std::string> read_secret_env(const std::string& name);

}  // namespace tideway
