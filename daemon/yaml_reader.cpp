#include "daemon/yaml_reader.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

namespace tideway::daemon {
namespace {

const char* kind_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "nothing (null)";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "nothing";
  }
}

}  // namespace

std::string node_location(const std::string& file, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return file + ": ";
  return fmt::format("{}:{}:{}: ", file, mark.line + 1, mark.column + 1);
}

YamlMapReader::YamlMapReader(YAML::Node node, std::string file, std::string path)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {
  if (!node_.IsMap()) {
    throw ConfigError(fmt::format("{}{}: found {}; expected a mapping of keys",
                                  node_location(file_, node_),
                                  path_.empty() ? "document" : path_, kind_name(node_)));
  }
}

std::string YamlMapReader::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void YamlMapReader::fail(const std::string& key, const std::string& problem) const {
  YAML::Node at = node_[key];
  throw ConfigError(fmt::format("{}{}: {}", node_location(file_, at.IsDefined() ? at : node_),
                                key_path(key), problem));
}

YAML::Node YamlMapReader::scalar(const std::string& key, const char* expected) {
  seen_.insert(key);
  YAML::Node v = node_[key];
  if (!v.IsDefined() || v.IsNull()) return YAML::Node();
  if (!v.IsScalar()) fail(key, fmt::format("found {}; expected {}", kind_name(v), expected));
  return v;
}

std::optional<std::string> YamlMapReader::optional_string(const std::string& key) {
  YAML::Node v = scalar(key, "a string");
  if (!v.IsDefined() || v.IsNull()) return std::nullopt;
  return expand_env(v.Scalar(), node_location(file_, v) + key_path(key));
}

std::string YamlMapReader::required_string(const std::string& key) {
  auto v = optional_string(key);
  if (!v || v->empty()) fail(key, "is required; expected a non-empty string");
  return *v;
}

std::optional<std::int64_t> YamlMapReader::optional_int(const std::string& key, std::int64_t min,
                                                        std::int64_t max) {
  const std::string expected = fmt::format("an integer from {} to {}", min, max);
  YAML::Node v = scalar(key, expected.c_str());
  if (!v.IsDefined() || v.IsNull()) return std::nullopt;
  const std::string text = expand_env(v.Scalar(), node_location(file_, v) + key_path(key));
  errno = 0;
  char* end = nullptr;
  const long long parsed = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || parsed < min || parsed > max) {
    fail(key, fmt::format("'{}' is not valid; expected {}", text, expected));
  }
  return parsed;
}

std::optional<bool> YamlMapReader::optional_bool(const std::string& key) {
  YAML::Node v = scalar(key, "true or false");
  if (!v.IsDefined() || v.IsNull()) return std::nullopt;
  const std::string& t = v.Scalar();
  if (t == "true" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "no" || t == "off") return false;
  fail(key, fmt::format("'{}' is not valid; expected true or false", t));
}

std::optional<YamlMapReader> YamlMapReader::optional_map(const std::string& key) {
  seen_.insert(key);
  YAML::Node v = node_[key];
  if (!v.IsDefined() || v.IsNull()) return std::nullopt;
  if (!v.IsMap()) fail(key, fmt::format("found {}; expected a mapping of keys", kind_name(v)));
  return YamlMapReader(v, file_, key_path(key));
}

std::optional<std::vector<std::string>> YamlMapReader::optional_string_list(
    const std::string& key) {
  seen_.insert(key);
  YAML::Node v = node_[key];
  if (!v.IsDefined() || v.IsNull()) return std::nullopt;
  if (!v.IsSequence()) fail(key, fmt::format("found {}; expected a list of strings", kind_name(v)));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    YAML::Node item = v[i];
    const std::string where = fmt::format("{}[{}]", key_path(key), i);
    if (!item.IsScalar()) {
      throw ConfigError(fmt::format("{}{}: found {}; expected a string",
                                    node_location(file_, item), where, kind_name(item)));
    }
    out.push_back(expand_env(item.Scalar(), node_location(file_, item) + where));
  }
  return out;
}

void YamlMapReader::forbid_literal_secret(const std::string& key, const std::string& instead) {
  seen_.insert(key);
  if (node_[key].IsDefined()) {
    // Do not echo the value: it is a secret that should not have been written here.
    fail(key, fmt::format("secrets are not accepted inline; expected {}", instead));
  }
}

void YamlMapReader::finish(const std::string& expected_keys) const {
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    if (seen_.count(key) == 0) {
      throw ConfigError(fmt::format("{}{}: unknown key; expected one of: {}",
                                    node_location(file_, it->first), key_path(key),
                                    expected_keys));
    }
  }
}

std::string expand_env(const std::string& value, const std::string& where) {
  std::string out;
  std::size_t i = 0;
  while (i < value.size()) {
    if (value.compare(i, 2, "${") != 0) {
      out.push_back(value[i++]);
      continue;
    }
    const std::size_t close = value.find('}', i + 2);
    if (close == std::string::npos) {
      throw ConfigError(fmt::format("{}: unclosed '${{' reference; expected ${{NAME}}", where));
    }
    const std::string name = value.substr(i + 2, close - i - 2);
    const char* env = name.empty() ? nullptr : std::getenv(name.c_str());
    if (env == nullptr) {
      throw ConfigError(fmt::format(
          "{}: environment variable '{}' is not set; expected it to be set, or a literal value",
          where, name));
    }
    out.append(env);
    i = close + 1;
  }
  return out;
}

YAML::Node load_yaml_mapping(const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    throw ConfigError(fmt::format("{}: cannot read: {}", file, std::strerror(errno)));
  }
  YAML::Node root;
  try {
    root = YAML::Load(in);
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}:{}:{}: invalid YAML: {}", file, e.mark.line + 1,
                                  e.mark.column + 1, e.msg));
  }
  if (!root.IsDefined() || root.IsNull()) {
    throw ConfigError(fmt::format("{}: the file is empty; expected a mapping of keys", file));
  }
  return root;
}

}  // namespace tideway::daemon
