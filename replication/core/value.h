#pragma once
// Value: one column value as every engine's decoder hands it to the rest of tideway.
//
// It keeps what the source stored, not what a target will need: an unsigned BIGINT stays
// unsigned, a FLOAT stays a float (not widened to double), a DECIMAL stays exact digit
// text, and MySQL's zero and partial-zero dates ('0000-00-00', '2016-00-28') are kept as
// fields rather than forced into a calendar type that cannot hold them. Mapping to a
// target type is the type-mapping layer's job; losing information here would make that
// impossible.
//
// to_string() is the canonical text of each kind. Tests compare against it and the JSON
// output of `tideway binlog decode` uses it, so its format is part of the contract:
//   null       NULL
//   int/uint   decimal digits, '-' for negatives
//   float      shortest text that reads back to the same float (std::to_chars)
//   double     shortest text that reads back to the same double
//   decimal    the digits as stored, scale kept: "-10.550"
//   text       the bytes unchanged (their charset is in the value, not applied here)
//   bytes      "0x" + lower-case hex
//   date       YYYY-MM-DD, zero parts as 00
//   time       [-]HH:MM:SS[.f], hours may exceed 24 ("-838:59:59"), fsp fraction digits
//   datetime   YYYY-MM-DD HH:MM:SS[.f]
//   timestamp  YYYY-MM-DDTHH:MM:SS[.f]Z, in UTC (0 seconds is MySQL's zero timestamp)
//   json       the canonical JSON text
//   bit        b'0101' with exactly `width` digits
//   enum       the label if known, else the 1-based index (0 = MySQL's '' error value)
//   set        the labels joined by ',' if known, else the bitmask in decimal
//   engine     type_name + ":0x" + hex of the bytes

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace tideway::replication {

struct NullValue {
  bool operator==(const NullValue&) const = default;
};

struct IntValue {
  std::int64_t value = 0;
  bool operator==(const IntValue&) const = default;
};

struct UIntValue {
  std::uint64_t value = 0;
  bool operator==(const UIntValue&) const = default;
};

/// A 4-byte IEEE float (MySQL FLOAT, PostgreSQL real): kept apart from double so that
/// its canonical text is the float's shortest form ("1.1", not "1.100000023841858").
struct FloatValue {
  float value = 0;
  bool operator==(const FloatValue&) const = default;
};

struct DoubleValue {
  double value = 0;
  bool operator==(const DoubleValue&) const = default;
};

/// Exact decimal as text: optional '-', at least one integer digit, and '.' plus exactly
/// `scale` digits when the column has a scale ("0.10", "-12", "123.4560000000000000").
struct DecimalValue {
  std::string digits;
  bool operator==(const DecimalValue&) const = default;
};

/// Character data. The bytes are in the column's character set, which is named by a
/// collation id (MySQL/MariaDB ids; 0 = not known) or a charset name (PostgreSQL
/// encodings), whichever the source provides.
struct TextValue {
  std::string bytes;
  std::uint32_t collation_id = 0;
  std::string charset;
  bool operator==(const TextValue&) const = default;
};

/// Binary data (BLOB, VARBINARY, bytea, GEOMETRY's WKB with SRID prefix).
struct BytesValue {
  std::string bytes;
  bool operator==(const BytesValue&) const = default;
};

/// A calendar date whose month and day may be 0 (MySQL zero / partial-zero dates).
struct DateValue {
  std::int32_t year = 0;
  std::uint8_t month = 0;
  std::uint8_t day = 0;
  bool operator==(const DateValue&) const = default;
};

/// A signed duration of hours:minutes:seconds.micro (MySQL TIME spans -838:59:59 to
/// 838:59:59). `fsp` is the declared fractional precision (0-6), used only for text.
struct TimeValue {
  bool negative = false;
  std::uint32_t hours = 0;
  std::uint8_t minutes = 0;
  std::uint8_t seconds = 0;
  std::uint32_t microseconds = 0;
  std::uint8_t fsp = 0;
  bool operator==(const TimeValue&) const = default;
};

/// A wall-clock date and time without a zone (MySQL DATETIME); zero dates allowed.
struct DateTimeValue {
  std::int32_t year = 0;
  std::uint8_t month = 0;
  std::uint8_t day = 0;
  std::uint8_t hour = 0;
  std::uint8_t minute = 0;
  std::uint8_t second = 0;
  std::uint32_t microseconds = 0;
  std::uint8_t fsp = 0;
  bool operator==(const DateTimeValue&) const = default;
};

/// An instant: seconds since the Unix epoch in UTC plus microseconds (MySQL TIMESTAMP,
/// PostgreSQL timestamptz).
struct TimestampValue {
  std::int64_t seconds = 0;
  std::uint32_t microseconds = 0;
  std::uint8_t fsp = 0;
  bool operator==(const TimestampValue&) const = default;
};

/// A JSON document as canonical text (MySQL's own spacing: `{"a": [1, 2]}`).
struct JsonValue {
  std::string text;
  bool operator==(const JsonValue&) const = default;
};

/// BIT(width): the bits right-aligned in a uint64 (width 1..64).
struct BitValue {
  std::uint64_t bits = 0;
  std::uint8_t width = 0;
  bool operator==(const BitValue&) const = default;
};

/// ENUM: the stored 1-based index and, when the source said, its label.
struct EnumValue {
  std::uint32_t index = 0;
  std::optional<std::string> label;
  bool operator==(const EnumValue&) const = default;
};

/// SET: the stored bitmask and, when the source named the members, the labels of the
/// set bits in member order.
struct SetValue {
  std::uint64_t mask = 0;
  std::optional<std::vector<std::string>> labels;
  bool operator==(const SetValue&) const = default;
};

/// Anything without a neutral kind (MySQL VECTOR, a partial JSON update, a PostgreSQL
/// type we do not model): the source's type name and its bytes, passed on untouched.
struct EngineValue {
  std::string type_name;
  std::string bytes;
  bool operator==(const EngineValue&) const = default;
};

enum class ValueKind {
  kNull,
  kInt,
  kUInt,
  kFloat,
  kDouble,
  kDecimal,
  kText,
  kBytes,
  kDate,
  kTime,
  kDateTime,
  kTimestamp,
  kJson,
  kBit,
  kEnum,
  kSet,
  kEngine,
};

/// Stable lower-case kind name ("uint", "datetime", ...), used as the "type" in JSON.
const char* value_kind_name(ValueKind kind);

class Value {
 public:
  // Alternatives in ValueKind order: index() of the variant is the kind.
  using Data = std::variant<NullValue, IntValue, UIntValue, FloatValue, DoubleValue, DecimalValue,
                            TextValue, BytesValue, DateValue, TimeValue, DateTimeValue,
                            TimestampValue, JsonValue, BitValue, EnumValue, SetValue, EngineValue>;

  Value() = default;
  template <typename T>
  requires(!std::is_same_v<std::remove_cvref_t<T>, Value> && std::is_constructible_v<Data, T&&>)
      Value(T&& alternative)
      : data_(std::forward<T>(alternative)) {}  // NOLINT: implicit by design

  ValueKind kind() const { return static_cast<ValueKind>(data_.index()); }
  bool is_null() const { return kind() == ValueKind::kNull; }
  const Data& data() const { return data_; }

  /// The alternative if the value holds it, else nullptr.
  template <typename T>
  const T* get_if() const {
    return std::get_if<T>(&data_);
  }

  /// Canonical text; see the table at the top of this file.
  std::string to_string() const;

  bool operator==(const Value&) const = default;

 private:
  Data data_;
};

/// "0x" + lower-case hex of `bytes` (the canonical text of bytes values).
std::string hex_bytes(std::string_view bytes);

}  // namespace tideway::replication
