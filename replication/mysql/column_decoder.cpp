#include "replication/mysql/column_decoder.h"

#include <bit>
#include <cstring>

#include "replication/mysql/decimal.h"
#include "replication/mysql/json_binary.h"
#include "replication/mysql/json_diff.h"
#include "replication/mysql/parse_util.h"
#include "replication/mysql/temporal.h"

namespace tideway::replication::mysql {
namespace {

Value integer(ByteReader& r, std::size_t width, bool is_unsigned) {
  const std::uint64_t raw = r.uint_le(width);
  if (is_unsigned) return UIntValue{raw};
  const unsigned shift = static_cast<unsigned>(64 - 8 * width);
  return IntValue{static_cast<std::int64_t>(raw << shift) >> shift};
}

// A length-prefixed value: the prefix is `prefix_size` bytes LE.
Result<std::string_view> prefixed(ByteReader& r, std::size_t prefix_size, const char* type) {
  if (prefix_size < 1 || prefix_size > 4) {
    return corrupt(std::string(type) + " length prefix of " + std::to_string(prefix_size) +
                   " bytes is invalid");
  }
  const std::uint64_t length = r.uint_le(prefix_size);
  if (!r.ok()) return truncated(std::string(type) + " length", prefix_size, r.remaining());
  if (length > r.remaining()) {
    return corrupt(std::string(type) + " value of " + std::to_string(length) +
                   " bytes exceeds the " + std::to_string(r.remaining()) + " left in the event");
  }
  return r.chars(static_cast<std::size_t>(length));
}

Value character_value(std::string_view bytes, std::uint32_t collation_id, bool blob) {
  // An unstated charset on a BLOB-typed column may be TEXT or BLOB: bytes is the form
  // that loses nothing.
  if (collation_id == kBinaryCollation || (blob && collation_id == 0)) {
    return BytesValue{std::string(bytes)};
  }
  return TextValue{std::string(bytes), collation_id, {}};
}

Result<Value> enum_value(ByteReader& r, const ColumnDef& c) {
  const std::uint32_t size = c.pack_length();
  if (size != 1 && size != 2)
    return corrupt("ENUM pack length " + std::to_string(size) + " is invalid");
  const auto index = static_cast<std::uint32_t>(r.uint_le(size));
  if (!r.ok()) return truncated("ENUM value", size, r.remaining());
  EnumValue v{index, std::nullopt};
  if (c.enum_values && index >= 1 && index <= c.enum_values->size()) {
    v.label = (*c.enum_values)[index - 1];
  }
  return Value(std::move(v));
}

Result<Value> set_value(ByteReader& r, const ColumnDef& c) {
  const std::uint32_t size = c.pack_length();
  if (size < 1 || size > 8)
    return corrupt("SET pack length " + std::to_string(size) + " is invalid");
  const std::uint64_t mask = r.uint_le(size);
  if (!r.ok()) return truncated("SET value", size, r.remaining());
  SetValue v{mask, std::nullopt};
  if (c.set_values) {
    std::vector<std::string> labels;
    for (std::size_t i = 0; i < c.set_values->size() && i < 64; ++i) {
      if (((mask >> i) & 1U) != 0) labels.push_back((*c.set_values)[i]);
    }
    v.labels = std::move(labels);
  }
  return Value(std::move(v));
}

Result<Value> bit_value(ByteReader& r, const ColumnDef& c) {
  const std::uint32_t width = c.bit_width();
  if (width < 1 || width > 64) return corrupt("BIT(" + std::to_string(width) + ") is invalid");
  const std::size_t size = (width + 7) / 8;
  const std::uint64_t bits = r.uint_be(size);
  if (!r.ok()) return truncated("BIT value", size, r.remaining());
  return Value(BitValue{bits, static_cast<std::uint8_t>(width)});
}

Result<Value> json_value(ByteReader& r, const ColumnContext& ctx) {
  auto data = prefixed(r, ctx.column->pack_length(), "JSON");
  if (!data.ok()) return data.error();
  const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(data->data()), data->size());
  if (ctx.partial_json) {
    auto diff = json_diff_to_text(bytes);
    if (!diff.ok()) return diff.error();
    return Value(EngineValue{std::string(kJsonDiffTypeName), std::move(*diff)});
  }
  auto text = json_binary_to_text(bytes);
  if (!text.ok()) return text.error();
  return Value(JsonValue{std::move(*text)});
}

template <typename T>
Result<Value> temporal(Result<T> v) {
  if (!v.ok()) return v.error();
  return Value(std::move(*v));
}

}  // namespace

Result<Value> read_column_value(ByteReader& r, const ColumnContext& ctx) {
  const ColumnDef& c = *ctx.column;
  auto need = [&](std::size_t n, const char* type) -> Status {
    if (!r.can_read(n)) return truncated(std::string(type) + " value", n, r.remaining());
    return Status::ok_status();
  };
  switch (c.column_type()) {
    case ColumnType::kTiny:
      if (auto s = need(1, "TINY"); !s.ok()) return s.error();
      return integer(r, 1, ctx.is_unsigned);
    case ColumnType::kShort:
      if (auto s = need(2, "SHORT"); !s.ok()) return s.error();
      return integer(r, 2, ctx.is_unsigned);
    case ColumnType::kInt24:
      if (auto s = need(3, "INT24"); !s.ok()) return s.error();
      return integer(r, 3, ctx.is_unsigned);
    case ColumnType::kLong:
      if (auto s = need(4, "LONG"); !s.ok()) return s.error();
      return integer(r, 4, ctx.is_unsigned);
    case ColumnType::kLongLong:
      if (auto s = need(8, "LONGLONG"); !s.ok()) return s.error();
      return integer(r, 8, ctx.is_unsigned);
    case ColumnType::kFloat: {
      if (auto s = need(4, "FLOAT"); !s.ok()) return s.error();
      return Value(FloatValue{std::bit_cast<float>(r.u32_le())});
    }
    case ColumnType::kDouble: {
      if (auto s = need(8, "DOUBLE"); !s.ok()) return s.error();
      return Value(DoubleValue{std::bit_cast<double>(r.u64_le())});
    }
    case ColumnType::kNewDecimal: {
      auto text = read_decimal(r, c.precision(), c.scale());
      if (!text.ok()) return text.error();
      return Value(DecimalValue{std::move(*text)});
    }
    case ColumnType::kYear: {
      if (auto s = need(1, "YEAR"); !s.ok()) return s.error();
      const std::uint8_t y = r.u8();
      return Value(IntValue{y == 0 ? 0 : 1900 + y});
    }
    case ColumnType::kDate:
    case ColumnType::kNewDate:
      return temporal(read_date(r));
    case ColumnType::kTime:
      return temporal(read_time(r));
    case ColumnType::kTime2:
      return temporal(read_time2(r, c.fsp()));
    case ColumnType::kDateTime:
      return temporal(read_datetime(r));
    case ColumnType::kDateTime2:
      return temporal(read_datetime2(r, c.fsp()));
    case ColumnType::kTimestamp:
      return temporal(read_timestamp(r));
    case ColumnType::kTimestamp2:
      return temporal(read_timestamp2(r, c.fsp()));
    case ColumnType::kVarchar:
    case ColumnType::kVarString:
    case ColumnType::kString: {
      auto bytes = prefixed(r, c.max_length() > 255 ? 2 : 1, "string");
      if (!bytes.ok()) return bytes.error();
      return character_value(*bytes, ctx.collation_id, false);
    }
    case ColumnType::kEnum:
      return enum_value(r, c);
    case ColumnType::kSet:
      return set_value(r, c);
    case ColumnType::kBit:
      return bit_value(r, c);
    case ColumnType::kBlob:
    case ColumnType::kTinyBlob:
    case ColumnType::kMediumBlob:
    case ColumnType::kLongBlob: {
      auto bytes = prefixed(r, c.pack_length(), "BLOB");
      if (!bytes.ok()) return bytes.error();
      return character_value(*bytes, ctx.collation_id, true);
    }
    case ColumnType::kGeometry: {
      auto bytes = prefixed(r, c.pack_length(), "GEOMETRY");
      if (!bytes.ok()) return bytes.error();
      return Value(BytesValue{std::string(*bytes)});
    }
    case ColumnType::kVector: {
      auto bytes = prefixed(r, c.pack_length(), "VECTOR");
      if (!bytes.ok()) return bytes.error();
      return Value(EngineValue{"vector", std::string(*bytes)});
    }
    case ColumnType::kJson:
      return json_value(r, ctx);
    case ColumnType::kNull:
      return Value(NullValue{});
    default:
      break;
  }
  return corrupt("column type " + column_type_name(c.real_type) + " has no row encoding we know");
}

}  // namespace tideway::replication::mysql
