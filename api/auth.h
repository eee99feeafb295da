#pragma once
// BearerAuth: checks `Authorization: Bearer <token>`. The token is replaceable at runtime
// (SIGHUP re-reads the token file) and compared in constant time, so response timing
// does not reveal how much of a guess was right.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace tideway::api {

/// Compares without an early exit on the first differing byte.
bool constant_time_equals(std::string_view a, std::string_view b);

class BearerAuth {
 public:
  explicit BearerAuth(std::string token);
  void set_token(std::string token);
  /// True when `authorization_header` is "Bearer <the token>" (scheme case-insensitive).
  bool allows(std::string_view authorization_header) const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const std::string> token_;
};

}  // namespace tideway::api
