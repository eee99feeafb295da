#include "common/utc_time.h"

#include <chrono>
#include <ctime>

#include <fmt/format.h>

namespace tideway {
namespace {

enum class Form { kDateTime, kDateTimeZ, kDate };

// strftime with a literal format each, so the compiler checks them.
std::string format_utc(std::time_t seconds, Form form) {
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::size_t n = 0;
  switch (form) {
    case Form::kDateTime: n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm); break;
    case Form::kDateTimeZ: n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm); break;
    case Form::kDate: n = std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm); break;
  }
  return std::string(buf, n);
}

}  // namespace

std::string utc_now_millis() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  return fmt::format("{}.{:03d}Z",
                     format_utc(std::chrono::system_clock::to_time_t(now), Form::kDateTime),
                     static_cast<int>(ms.count()));
}

std::string utc_seconds(std::int64_t unix_seconds) {
  return format_utc(static_cast<std::time_t>(unix_seconds), Form::kDateTimeZ);
}

std::string utc_now_seconds() { return utc_seconds(std::time(nullptr)); }

std::string utc_today() { return format_utc(std::time(nullptr), Form::kDate); }

}  // namespace tideway
