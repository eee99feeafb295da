#pragma once
// The current time in UTC as text, in the forms logs, journals and reports use.

#include <cstdint>
#include <string>

namespace tideway {

/// "2026-11-27T09:20:00.123Z": log lines and journal entries.
std::string utc_now_millis();
/// "2026-11-27T09:20:00Z": report timestamps.
std::string utc_now_seconds();
/// "2026-11-27T09:20:00Z" for a moment given in seconds since the Unix epoch.
std::string utc_seconds(std::int64_t unix_seconds);
/// "2026-11-27": comparisons with published end-of-support dates.
std::string utc_today();

}  // namespace tideway
