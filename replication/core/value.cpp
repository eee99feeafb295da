#include "replication/core/value.h"

#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>

namespace tideway::replication {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

template <typename T>
std::string shortest_text(T number) {
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), number);
  if (ec != std::errc()) return "?";
  return std::string(buf.data(), end);
}

// ".123" style fraction with exactly `fsp` digits (0 = none). fsp above 6 is clamped: a
// microsecond value has no more digits to show.
std::string fraction(std::uint32_t microseconds, std::uint8_t fsp) {
  if (fsp == 0) return {};
  if (fsp > 6) fsp = 6;
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%06u", microseconds % 1000000U);
  return "." + std::string(buf, fsp);
}

std::string date_text(std::int32_t year, unsigned month, unsigned day) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", year, month, day);
  return buf;
}

std::string clock_text(unsigned hour, unsigned minute, unsigned second) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%02u:%02u:%02u", hour, minute, second);
  return buf;
}

std::string timestamp_text(const TimestampValue& ts) {
  using namespace std::chrono;
  // Floor division, so instants before 1970 land on the right day.
  std::int64_t days_since_epoch = ts.seconds / 86400;
  std::int64_t second_of_day = ts.seconds % 86400;
  if (second_of_day < 0) {
    second_of_day += 86400;
    --days_since_epoch;
  }
  const year_month_day ymd{sys_days{days{days_since_epoch}}};
  const auto sod = static_cast<unsigned>(second_of_day);
  return date_text(static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                   static_cast<unsigned>(ymd.day())) +
         "T" + clock_text(sod / 3600, (sod / 60) % 60, sod % 60) +
         fraction(ts.microseconds, ts.fsp) + "Z";
}

std::string bit_text(const BitValue& bit) {
  std::string out = "b'";
  for (int i = bit.width - 1; i >= 0; --i) out += ((bit.bits >> i) & 1U) != 0 ? '1' : '0';
  return out + "'";
}

std::string join(const std::vector<std::string>& parts, char separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

}  // namespace

const char* value_kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::kNull:
      return "null";
    case ValueKind::kInt:
      return "int";
    case ValueKind::kUInt:
      return "uint";
    case ValueKind::kFloat:
      return "float";
    case ValueKind::kDouble:
      return "double";
    case ValueKind::kDecimal:
      return "decimal";
    case ValueKind::kText:
      return "text";
    case ValueKind::kBytes:
      return "bytes";
    case ValueKind::kDate:
      return "date";
    case ValueKind::kTime:
      return "time";
    case ValueKind::kDateTime:
      return "datetime";
    case ValueKind::kTimestamp:
      return "timestamp";
    case ValueKind::kJson:
      return "json";
    case ValueKind::kBit:
      return "bit";
    case ValueKind::kEnum:
      return "enum";
    case ValueKind::kSet:
      return "set";
    case ValueKind::kEngine:
      return "engine";
  }
  return "unknown";
}

std::string hex_bytes(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  out.reserve(2 + bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0f];
  }
  return out;
}

std::string Value::to_string() const {
  return std::visit(
      Overloaded{
          [](const NullValue&) -> std::string { return "NULL"; },
          [](const IntValue& v) { return std::to_string(v.value); },
          [](const UIntValue& v) { return std::to_string(v.value); },
          [](const FloatValue& v) { return shortest_text(v.value); },
          [](const DoubleValue& v) { return shortest_text(v.value); },
          [](const DecimalValue& v) { return v.digits; },
          [](const TextValue& v) { return v.bytes; },
          [](const BytesValue& v) { return hex_bytes(v.bytes); },
          [](const DateValue& v) { return date_text(v.year, v.month, v.day); },
          [](const TimeValue& v) {
            return (v.negative ? "-" : "") + clock_text(v.hours, v.minutes, v.seconds) +
                   fraction(v.microseconds, v.fsp);
          },
          [](const DateTimeValue& v) {
            return date_text(v.year, v.month, v.day) + " " +
                   clock_text(v.hour, v.minute, v.second) + fraction(v.microseconds, v.fsp);
          },
          [](const TimestampValue& v) { return timestamp_text(v); },
          [](const JsonValue& v) { return v.text; },
          [](const BitValue& v) { return bit_text(v); },
          [](const EnumValue& v) { return v.label ? *v.label : std::to_string(v.index); },
          [](const SetValue& v) {
            return v.labels ? join(*v.labels, ',') : std::to_string(v.mask);
          },
          [](const EngineValue& v) { return v.type_name + ":" + hex_bytes(v.bytes); },
      },
      data_);
}

}  // namespace tideway::replication
