#include "replication/mysql/temporal.h"

#include <string>

#include "replication/mysql/parse_util.h"

namespace tideway::replication::mysql {
namespace {

constexpr std::int64_t kFracScale = std::int64_t{1} << 24;  // packed: int part << 24
constexpr std::uint32_t kTimeIntOffset = 0x800000;
constexpr std::uint64_t kTimeOffsetWithFrac = 0x800000000000ULL;
constexpr std::uint64_t kDateTimeIntOffset = 0x8000000000ULL;

Status check_fsp(std::uint8_t fsp, const char* type) {
  if (fsp > 6) {
    return corrupt(std::string(type) + " fractional precision " + std::to_string(fsp) +
                   " is above 6");
  }
  return Status::ok_status();
}

Status check_clock(unsigned hour_limit, unsigned hour, unsigned minute, unsigned second,
                   std::uint64_t micro, const char* type) {
  if (hour > hour_limit || minute > 59 || second > 59 || micro > 999999) {
    return corrupt(std::string(type) + " value " + std::to_string(hour) + ":" +
                   std::to_string(minute) + ":" + std::to_string(second) + "." +
                   std::to_string(micro) + " is out of range");
  }
  return Status::ok_status();
}

// Fraction bytes of a *2 temporal value (big-endian, unsigned) scaled to microseconds.
std::uint32_t read_fraction(ByteReader& r, std::uint8_t fsp) {
  switch (fsp) {
    case 1:
    case 2:
      return r.u8() * 10000U;
    case 3:
    case 4:
      return r.u16_be() * 100U;
    case 5:
    case 6:
      return static_cast<std::uint32_t>(r.uint_be(3));
    default:
      return 0;
  }
}

}  // namespace

Result<DateValue> read_date(ByteReader& r) {
  const std::uint32_t v = r.u24_le();
  if (!r.ok()) return truncated("DATE value", 3, r.remaining());
  DateValue d;
  d.day = static_cast<std::uint8_t>(v & 31U);
  d.month = static_cast<std::uint8_t>((v >> 5) & 15U);
  d.year = static_cast<std::int32_t>(v >> 9);
  if (d.month > 12) return corrupt("DATE month " + std::to_string(d.month) + " is out of range");
  return d;
}

Result<TimeValue> read_time(ByteReader& r) {
  std::int32_t v = static_cast<std::int32_t>(r.u24_le());
  if (!r.ok()) return truncated("TIME value", 3, r.remaining());
  if ((v & 0x800000) != 0) v -= 0x1000000;  // sign-extend the 24-bit value
  TimeValue t;
  t.negative = v < 0;
  const auto a = static_cast<std::uint32_t>(v < 0 ? -v : v);
  t.hours = a / 10000;
  t.minutes = static_cast<std::uint8_t>(a / 100 % 100);
  t.seconds = static_cast<std::uint8_t>(a % 100);
  if (auto s = check_clock(838, t.hours, t.minutes, t.seconds, 0, "TIME"); !s.ok()) {
    return s.error();
  }
  return t;
}

Result<TimeValue> read_time2(ByteReader& r, std::uint8_t fsp) {
  if (auto s = check_fsp(fsp, "TIME2"); !s.ok()) return s.error();
  const std::size_t size = 3 + (fsp + 1U) / 2;
  if (!r.can_read(size)) return truncated("TIME2 value", size, r.remaining());
  std::int64_t packed = 0;
  if (fsp >= 5) {
    // Integer and fraction form one 48-bit offset number.
    packed =
        static_cast<std::int64_t>(r.uint_be(6)) - static_cast<std::int64_t>(kTimeOffsetWithFrac);
  } else {
    std::int64_t intpart = static_cast<std::int64_t>(r.uint_be(3)) - kTimeIntOffset;
    std::int64_t frac = 0;
    if (fsp >= 1) {
      const bool two_bytes = fsp >= 3;
      frac = two_bytes ? r.u16_be() : r.u8();
      // A negative time stores its fraction as the complement towards the next second.
      if (intpart < 0 && frac != 0) {
        ++intpart;
        frac -= two_bytes ? 0x10000 : 0x100;
      }
      frac *= two_bytes ? 100 : 10000;
    }
    packed = intpart * kFracScale + frac;
  }
  return time_from_packed(packed, fsp);
}

Result<DateTimeValue> read_datetime(ByteReader& r) {
  const std::uint64_t v = r.u64_le();
  if (!r.ok()) return truncated("DATETIME value", 8, r.remaining());
  const std::uint64_t date = v / 1000000;
  const std::uint64_t time = v % 1000000;
  DateTimeValue dt;
  dt.year = static_cast<std::int32_t>(date / 10000);
  dt.month = static_cast<std::uint8_t>(date / 100 % 100);
  dt.day = static_cast<std::uint8_t>(date % 100);
  dt.hour = static_cast<std::uint8_t>(time / 10000);
  dt.minute = static_cast<std::uint8_t>(time / 100 % 100);
  dt.second = static_cast<std::uint8_t>(time % 100);
  if (date / 10000 > 9999 || dt.month > 12 || dt.day > 31) {
    return corrupt("DATETIME value " + std::to_string(v) + " is out of range");
  }
  if (auto s = check_clock(23, dt.hour, dt.minute, dt.second, 0, "DATETIME"); !s.ok()) {
    return s.error();
  }
  return dt;
}

Result<DateTimeValue> read_datetime2(ByteReader& r, std::uint8_t fsp) {
  if (auto s = check_fsp(fsp, "DATETIME2"); !s.ok()) return s.error();
  const std::size_t size = 5 + (fsp + 1U) / 2;
  if (!r.can_read(size)) return truncated("DATETIME2 value", size, r.remaining());
  const std::int64_t intpart =
      static_cast<std::int64_t>(r.uint_be(5)) - static_cast<std::int64_t>(kDateTimeIntOffset);
  const std::uint32_t frac = read_fraction(r, fsp);
  if (intpart < 0) return corrupt("DATETIME2 value is negative");
  return datetime_from_packed(intpart * kFracScale + frac, fsp);
}

Result<TimestampValue> read_timestamp(ByteReader& r) {
  const std::uint32_t seconds = r.u32_le();
  if (!r.ok()) return truncated("TIMESTAMP value", 4, r.remaining());
  return TimestampValue{seconds, 0, 0};
}

Result<TimestampValue> read_timestamp2(ByteReader& r, std::uint8_t fsp) {
  if (auto s = check_fsp(fsp, "TIMESTAMP2"); !s.ok()) return s.error();
  const std::size_t size = 4 + (fsp + 1U) / 2;
  if (!r.can_read(size)) return truncated("TIMESTAMP2 value", size, r.remaining());
  TimestampValue ts;
  ts.seconds = r.u32_be();
  ts.microseconds = read_fraction(r, fsp);
  ts.fsp = fsp;
  if (ts.microseconds > 999999) return corrupt("TIMESTAMP2 fraction is out of range");
  return ts;
}

Result<DateTimeValue> datetime_from_packed(std::int64_t packed, std::uint8_t fsp) {
  if (packed < 0) return corrupt("packed DATETIME value is negative");
  const std::int64_t ymdhms = packed / kFracScale;
  const std::int64_t ymd = ymdhms >> 17;
  const std::int64_t ym = ymd >> 5;
  const std::int64_t hms = ymdhms % (1 << 17);
  DateTimeValue dt;
  dt.microseconds = static_cast<std::uint32_t>(packed % kFracScale);
  dt.day = static_cast<std::uint8_t>(ymd % 32);
  dt.month = static_cast<std::uint8_t>(ym % 13);
  dt.year = static_cast<std::int32_t>(ym / 13);
  dt.second = static_cast<std::uint8_t>(hms % 64);
  dt.minute = static_cast<std::uint8_t>((hms >> 6) % 64);
  dt.hour = static_cast<std::uint8_t>(hms >> 12);
  dt.fsp = fsp;
  if (ym / 13 > 9999)
    return corrupt("DATETIME year " + std::to_string(ym / 13) + " is out of range");
  if (auto s = check_clock(23, dt.hour, dt.minute, dt.second, dt.microseconds, "DATETIME");
      !s.ok()) {
    return s.error();
  }
  return dt;
}

Result<TimeValue> time_from_packed(std::int64_t packed, std::uint8_t fsp) {
  TimeValue t;
  t.negative = packed < 0;
  const std::uint64_t a =
      t.negative ? 0 - static_cast<std::uint64_t>(packed) : static_cast<std::uint64_t>(packed);
  const std::uint64_t hms = a >> 24;
  t.microseconds = static_cast<std::uint32_t>(a & 0xffffffU);
  t.hours = static_cast<std::uint32_t>((hms >> 12) & 0x3ffU);
  t.minutes = static_cast<std::uint8_t>((hms >> 6) & 63U);
  t.seconds = static_cast<std::uint8_t>(hms & 63U);
  t.fsp = fsp;
  if ((hms >> 22) != 0) return corrupt("packed TIME value is out of range");
  if (auto s = check_clock(1023, t.hours, t.minutes, t.seconds, t.microseconds, "TIME"); !s.ok()) {
    return s.error();
  }
  return t;
}

}  // namespace tideway::replication::mysql
