#include "common/secret.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace tideway {

Result<std::string> read_secret_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return make_error(err == EACCES ? ErrorCode::kPermissionDenied : ErrorCode::kNotFound,
                      fmt::format("cannot read secret file {}: {}", path, std::strerror(err)));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string value = buf.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  if (value.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("secret file {} is empty", path));
  }
  return value;
}

Result<std::string> read_secret_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr || *v == '\0') {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("environment variable {} is not set or empty", name));
  }
  return std::string(v);
}

}  // namespace tideway
