#pragma once
// YamlMapReader: strict reading of one YAML mapping for config files and task specs.
// Every problem becomes one line an operator can act on:
//   <file>:<line>:<column>: <key path>: <what is wrong>; expected <what would be right>
// Unknown keys are errors (a typo must not silently fall back to a default). String
// values may reference the environment as ${NAME}; an unset variable is an error.
//
// Errors are thrown as ConfigError inside the parse and caught at its boundary
// (load_daemon_config and friends), which turn them into Result errors: this keeps each
// field to one line of reading code. Nothing outside a parser sees the exception.

#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace tideway::daemon {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// "<file>:<line>:<col>: " for a node (1-based), or "<file>: " when it has no position.
std::string node_location(const std::string& file, const YAML::Node& node);

class YamlMapReader {
 public:
  /// `path` is the dotted key path of this mapping ("" for the document root).
  YamlMapReader(YAML::Node node, std::string file, std::string path);

  std::optional<std::string> optional_string(const std::string& key);
  std::string required_string(const std::string& key);
  std::optional<std::int64_t> optional_int(const std::string& key, std::int64_t min,
                                           std::int64_t max);
  std::optional<bool> optional_bool(const std::string& key);
  std::optional<YamlMapReader> optional_map(const std::string& key);
  std::optional<std::vector<std::string>> optional_string_list(const std::string& key);
  /// A key whose value is a secret must never be written in the file itself.
  void forbid_literal_secret(const std::string& key, const std::string& instead);

  /// Fails on the first key that no read above asked for.
  void finish(const std::string& expected_keys) const;

  /// Throws ConfigError at `key`'s position (or the mapping's, if `key` is absent).
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const;

  const std::string& file() const { return file_; }
  std::string key_path(const std::string& key) const;

 private:
  YAML::Node scalar(const std::string& key, const char* expected);

  YAML::Node node_;
  std::string file_;
  std::string path_;
  std::set<std::string> seen_;
};

/// Replaces ${NAME} with the environment variable's value; throws ConfigError (naming
/// `where`) if NAME is unset or the reference is not closed.
std::string expand_env(const std::string& value, const std::string& where);

/// Loads a YAML file whose top level must be a mapping; ConfigError on syntax errors
/// (with line and column) or an unreadable file.
YAML::Node load_yaml_mapping(const std::string& file);

}  // namespace tideway::daemon
