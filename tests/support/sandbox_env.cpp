#include "tests/support/sandbox_env.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>

#include "common/secret.h"

namespace tideway::test {
namespace {

std::string env_file_path() { return required_env("TIDEWAY_SANDBOX_DIR") + "/env"; }

std::map<std::string, std::string> load_env_file() {
  std::map<std::string, std::string> values;
  std::ifstream in(env_file_path());
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return values;
}

}  // namespace

std::string required_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr || *v == '\0') {
    throw std::runtime_error("environment variable " + name +
                             " is not set; run the tests through ctest");
  }
  return v;
}

std::string sandbox_setting(const std::string& key) {
  if (const char* v = std::getenv(key.c_str()); v != nullptr && *v != '\0') return v;
  static const std::map<std::string, std::string> values = load_env_file();
  auto it = values.find(key);
  if (it == values.end()) {
    throw std::runtime_error("sandbox setting " + key + " not found in " + env_file_path() +
                             "; start the servers with tests/sandbox.sh start");
  }
  return it->second;
}

std::string sandbox_secret(const std::string& key) {
  auto secret = read_secret_file(sandbox_setting(key));
  if (!secret.ok()) throw std::runtime_error(secret.error().message);
  return secret.value();
}

}  // namespace tideway::test
