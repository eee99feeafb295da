#include "replication/postgres/pgoutput_message.h"

#include <fmt/format.h>

#include <chrono>
#include <limits>
#include <type_traits>

namespace tideway::replication::postgres {
namespace {

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

// Days from 2000-01-01 to the first and last day that ISO-8601 can write with a plain
// four-digit year. std::chrono's calendar covers more, but a commit timestamp outside
// years 1..9999 is damage, not data, and gets a form that cannot be mistaken for a date.
constexpr std::chrono::sys_days kPgEpoch{std::chrono::year{2000} / 1 / 1};
constexpr std::int64_t kFirstIsoDay =
    (std::chrono::sys_days{std::chrono::year{1} / 1 / 1} - kPgEpoch).count();
constexpr std::int64_t kLastIsoDay =
    (std::chrono::sys_days{std::chrono::year{9999} / 12 / 31} - kPgEpoch).count();

}  // namespace

std::int64_t PgTimestamp::unix_micros() const {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  if (micros_since_2000 > kMax - kUnixEpochOffsetMicros) return kMax;
  return micros_since_2000 + kUnixEpochOffsetMicros;
}

std::string PgTimestamp::to_iso8601() const {
  // PostgreSQL's DT_NOEND / DT_NOBEGIN sentinels.
  if (micros_since_2000 == std::numeric_limits<std::int64_t>::max()) return "infinity";
  if (micros_since_2000 == std::numeric_limits<std::int64_t>::min()) return "-infinity";

  // Floor division, so times before 2000 land on the right day with a positive remainder.
  std::int64_t day = micros_since_2000 / kMicrosPerDay;
  std::int64_t in_day = micros_since_2000 % kMicrosPerDay;
  if (in_day < 0) {
    in_day += kMicrosPerDay;
    --day;
  }
  if (day < kFirstIsoDay || day > kLastIsoDay) {
    return fmt::format("{}us-since-2000-01-01", micros_since_2000);
  }
  const std::chrono::year_month_day date{kPgEpoch + std::chrono::days{day}};
  const std::int64_t seconds = in_day / kMicrosPerSecond;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", int{date.year()},
                     unsigned{date.month()}, unsigned{date.day()}, seconds / 3600,
                     seconds / 60 % 60, seconds % 60, in_day % kMicrosPerSecond);
}

char message_type_byte(const PgoutputMessage& message) {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::kType; }, message);
}

const char* message_type_name(char type_byte) {
  switch (type_byte) {
    case 'B':
      return "Begin";
    case 'C':
      return "Commit";
    case 'O':
      return "Origin";
    case 'R':
      return "Relation";
    case 'Y':
      return "Type";
    case 'I':
      return "Insert";
    case 'U':
      return "Update";
    case 'D':
      return "Delete";
    case 'T':
      return "Truncate";
    case 'M':
      return "Message";
    case 'S':
      return "Stream Start";
    case 'E':
      return "Stream Stop";
    case 'c':
      return "Stream Commit";
    case 'A':
      return "Stream Abort";
    case 'b':
      return "Begin Prepare";
    case 'P':
      return "Prepare";
    case 'p':
      return "Stream Prepare";
    case 'K':
      return "Commit Prepared";
    case 'r':
      return "Rollback Prepared";
    default:
      return "unknown";
  }
}

}  // namespace tideway::replication::postgres
