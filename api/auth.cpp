#include "api/auth.h"

#include <cctype>

namespace tideway::api {

bool constant_time_equals(std::string_view a, std::string_view b) {
  // Walk the longer length so the time depends only on the lengths, not the contents.
  const std::size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = static_cast<unsigned char>(diff | (x ^ y));
  }
  return diff == 0;
}

BearerAuth::BearerAuth(std::string token)
    : token_(std::make_shared<const std::string>(std::move(token))) {}

void BearerAuth::set_token(std::string token) {
  auto fresh = std::make_shared<const std::string>(std::move(token));
  std::lock_guard lock(mutex_);
  token_ = std::move(fresh);
}

bool BearerAuth::allows(std::string_view header) const {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return false;
  }
  std::string_view presented = header.substr(kScheme.size());
  while (!presented.empty() && presented.front() == ' ') presented.remove_prefix(1);
  while (!presented.empty() && presented.back() == ' ') presented.remove_suffix(1);
  std::shared_ptr<const std::string> token;
  {
    std::lock_guard lock(mutex_);
    token = token_;
  }
  if (token->empty()) return false;  // an empty token never authorises anything
  return constant_time_equals(presented, *token);
}

}  // namespace tideway::api
