#include "replication/mysql/json_binary.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/byte_reader.h"
#include "replication/mysql/column_type.h"
#include "replication/mysql/decimal.h"
#include "replication/mysql/parse_util.h"
#include "replication/mysql/temporal.h"

namespace tideway::replication::mysql {
namespace {

enum JsonType : std::uint8_t {
  kSmallObject = 0x00,
  kLargeObject = 0x01,
  kSmallArray = 0x02,
  kLargeArray = 0x03,
  kLiteral = 0x04,
  kInt16 = 0x05,
  kUInt16 = 0x06,
  kInt32 = 0x07,
  kUInt32 = 0x08,
  kInt64 = 0x09,
  kUInt64 = 0x0a,
  kDouble = 0x0b,
  kString = 0x0c,
  kOpaque = 0x0f,
};

// MySQL refuses documents nested deeper than 100; a little slack for our own callers.
constexpr int kMaxDepth = 150;

std::uint64_t le(std::span<const std::uint8_t> d, std::size_t offset, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{d[offset + i]} << (8 * i);
  return v;
}

std::string base64(std::span<const std::uint8_t> data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < data.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{data[i]} << 16) |
                            (i + 1 < data.size() ? std::uint32_t{data[i + 1]} << 8 : 0U) |
                            (i + 2 < data.size() ? std::uint32_t{data[i + 2]} : 0U);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < data.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

class Renderer {
 public:
  explicit Renderer(std::size_t limit) : limit_(limit) {}

  Status value(std::uint8_t type, std::span<const std::uint8_t> data, int depth) {
    if (depth > kMaxDepth) return corrupt("JSON document nests deeper than 150 levels");
    if (out.size() > limit_) {
      return corrupt("JSON text grows past " + std::to_string(limit_) +
                     " bytes: offsets alias each other");
    }
    switch (type) {
      case kSmallObject:
        return container(true, false, data, depth);
      case kLargeObject:
        return container(true, true, data, depth);
      case kSmallArray:
        return container(false, false, data, depth);
      case kLargeArray:
        return container(false, true, data, depth);
      case kLiteral:
        if (data.empty()) return corrupt("JSON literal truncated");
        switch (data[0]) {
          case 0:
            out += "null";
            return Status::ok_status();
          case 1:
            out += "true";
            return Status::ok_status();
          case 2:
            out += "false";
            return Status::ok_status();
          default:
            return corrupt("JSON literal " + std::to_string(data[0]) + " is unknown");
        }
      case kInt16:
        return integer(data, 2, true);
      case kUInt16:
        return integer(data, 2, false);
      case kInt32:
        return integer(data, 4, true);
      case kUInt32:
        return integer(data, 4, false);
      case kInt64:
        return integer(data, 8, true);
      case kUInt64:
        return integer(data, 8, false);
      case kDouble: {
        if (data.size() < 8) return corrupt("JSON double truncated");
        const std::uint64_t bits = le(data, 0, 8);
        double d = 0;
        std::memcpy(&d, &bits, sizeof(d));
        out += json_double_text(d);
        return Status::ok_status();
      }
      case kString: {
        std::size_t header = 0;
        std::uint64_t length = 0;
        if (auto s = varlen(data, header, length); !s.ok()) return s;
        if (length > data.size() - header) return corrupt("JSON string runs past its document");
        append_json_string(out,
                           std::string_view(reinterpret_cast<const char*>(data.data()) + header,
                                            static_cast<std::size_t>(length)));
        return Status::ok_status();
      }
      case kOpaque:
        return opaque(data);
      default:
        return corrupt("JSON value type " + std::to_string(type) + " is unknown");
    }
  }

  std::string out;

 private:
  Status integer(std::span<const std::uint8_t> data, std::size_t n, bool is_signed) {
    if (data.size() < n) return corrupt("JSON integer truncated");
    const std::uint64_t raw = le(data, 0, n);
    if (is_signed) {
      const unsigned shift = static_cast<unsigned>(64 - 8 * n);
      // Sign-extend through the top bits.
      out += std::to_string(static_cast<std::int64_t>(raw << shift) >> shift);
    } else {
      out += std::to_string(raw);
    }
    return Status::ok_status();
  }

  // 7 bits per byte, low group first, at most 5 bytes (a 32-bit length).
  static Status varlen(std::span<const std::uint8_t> data, std::size_t& used,
                       std::uint64_t& value) {
    value = 0;
    for (std::size_t i = 0; i < 5; ++i) {
      if (i >= data.size()) return corrupt("JSON length truncated");
      value |= std::uint64_t{data[i] & 0x7fU} << (7 * i);
      if ((data[i] & 0x80) == 0) {
        used = i + 1;
        return Status::ok_status();
      }
    }
    return corrupt("JSON length is longer than 5 bytes");
  }

  Status container(bool object, bool large, std::span<const std::uint8_t> data, int depth) {
    const std::size_t word = large ? 4 : 2;
    if (data.size() < 2 * word) return corrupt("JSON container header truncated");
    const std::uint64_t count = le(data, 0, word);
    const std::uint64_t size = le(data, word, word);
    if (size > data.size()) {
      return corrupt("JSON container of " + std::to_string(size) + " bytes exceeds the " +
                     std::to_string(data.size()) + " available");
    }
    const auto body = data.first(static_cast<std::size_t>(size));
    const std::size_t key_entry = word + 2;
    const std::size_t value_entry = 1 + word;
    const std::uint64_t header = 2 * word + count * ((object ? key_entry : 0) + value_entry);
    if (count > size || header > size) return corrupt("JSON container entries exceed its size");

    out += object ? '{' : '[';
    const std::size_t values_at =
        2 * word + (object ? static_cast<std::size_t>(count) * key_entry : 0);
    for (std::size_t i = 0; i < count; ++i) {
      if (i > 0) out += ", ";
      if (object) {
        const std::size_t entry = 2 * word + i * key_entry;
        const std::uint64_t key_offset = le(body, entry, word);
        const std::uint64_t key_length = le(body, entry + word, 2);
        if (key_offset > size || key_length > size - key_offset) {
          return corrupt("JSON object key runs past its container");
        }
        append_json_string(out,
                           std::string_view(reinterpret_cast<const char*>(body.data()) + key_offset,
                                            static_cast<std::size_t>(key_length)));
        out += ": ";
      }
      const std::size_t entry = values_at + i * value_entry;
      const std::uint8_t type = body[entry];
      const auto slot = body.subspan(entry + 1, word);
      const bool inlined = type == kLiteral || type == kInt16 || type == kUInt16 ||
                           (large && (type == kInt32 || type == kUInt32));
      if (inlined) {
        if (auto s = value(type, slot, depth + 1); !s.ok()) return s;
        continue;
      }
      const std::uint64_t offset = le(slot, 0, word);
      if (offset < header || offset >= size) {
        return corrupt("JSON value offset " + std::to_string(offset) + " is outside its container");
      }
      if (auto s = value(type, body.subspan(static_cast<std::size_t>(offset)), depth + 1);
          !s.ok()) {
        return s;
      }
    }
    out += object ? '}' : ']';
    return Status::ok_status();
  }

  Status opaque(std::span<const std::uint8_t> data) {
    if (data.empty()) return corrupt("JSON opaque value truncated");
    const std::uint8_t field_type = data[0];
    std::size_t header = 0;
    std::uint64_t length = 0;
    if (auto s = varlen(data.subspan(1), header, length); !s.ok()) return s;
    if (length > data.size() - 1 - header)
      return corrupt("JSON opaque value runs past its document");
    const auto payload = data.subspan(1 + header, static_cast<std::size_t>(length));

    switch (static_cast<ColumnType>(field_type)) {
      case ColumnType::kNewDecimal: {
        if (payload.size() < 2) return corrupt("JSON decimal truncated");
        ByteReader r(payload.subspan(2));
        auto text = read_decimal(r, payload[0], payload[1]);
        if (!text.ok()) return text.error();
        out += *text;
        return Status::ok_status();
      }
      case ColumnType::kDate:
      case ColumnType::kNewDate:
      case ColumnType::kDateTime:
      case ColumnType::kTimestamp:
      case ColumnType::kTime: {
        if (payload.size() < 8) return corrupt("JSON temporal value truncated");
        const auto packed = static_cast<std::int64_t>(le(payload, 0, 8));
        std::string text;
        if (field_type == static_cast<std::uint8_t>(ColumnType::kTime)) {
          auto t = time_from_packed(packed, 6);
          if (!t.ok()) return t.error();
          text = Value(*t).to_string();
        } else {
          auto dt = datetime_from_packed(packed, 6);
          if (!dt.ok()) return dt.error();
          text = Value(*dt).to_string();
          if (field_type == static_cast<std::uint8_t>(ColumnType::kDate) ||
              field_type == static_cast<std::uint8_t>(ColumnType::kNewDate)) {
            text = text.substr(0, text.find(' '));
          }
        }
        append_json_string(out, text);
        return Status::ok_status();
      }
      default:
        append_json_string(out, "base64:type" + std::to_string(field_type) + ":" + base64(payload));
        return Status::ok_status();
    }
  }

  std::size_t limit_;
};

// Text can be larger than its binary form only through escaping (6x for control bytes)
// and separators; anything beyond this bound comes from aliased offsets.
std::size_t output_limit(std::size_t input_size) { return 8 * input_size + 4096; }

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x",
                        static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

std::string json_double_text(double value) {
  if (!std::isfinite(value)) return "null";  // JSON has no such numbers; MySQL never stores them
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  if (ec != std::errc()) return "null";
  // buf: [-]d[.ddd]e(+|-)XX -> sign, digits, decimal exponent.
  std::string_view sci(buf, static_cast<std::size_t>(end - buf));
  const bool negative = sci.front() == '-';
  if (negative) sci.remove_prefix(1);
  const std::size_t e_at = sci.find('e');
  std::string digits;
  for (const char c : sci.substr(0, e_at)) {
    if (c != '.') digits += c;
  }
  int exponent = 0;
  std::from_chars(sci.data() + e_at + 1 + (sci[e_at + 1] == '+' ? 1 : 0), sci.data() + sci.size(),
                  exponent);
  const int decpt = exponent + 1;  // digits before the decimal point
  const int n = static_cast<int>(digits.size());

  std::string out = negative ? "-" : "";
  // my_gcvt's choice: exponent form for very small or very large magnitudes.
  if (decpt < -3 || decpt > 15) {
    out += digits.substr(0, 1);
    if (n > 1) out += "." + digits.substr(1);
    out += "e" + std::to_string(exponent);
    return out;
  }
  if (decpt <= 0) {
    out += "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
  } else if (decpt >= n) {
    // Integral: MySQL appends ".0" so the text still reads back as a double.
    out += digits + std::string(static_cast<std::size_t>(decpt - n), '0') + ".0";
  } else {
    out += digits.substr(0, static_cast<std::size_t>(decpt)) + "." +
           digits.substr(static_cast<std::size_t>(decpt));
  }
  return out;
}

Result<std::string> json_binary_value_to_text(std::uint8_t type,
                                              std::span<const std::uint8_t> data) {
  Renderer renderer(output_limit(data.size()));
  if (auto s = renderer.value(type, data, 0); !s.ok()) return s.error();
  return std::move(renderer.out);
}

Result<std::string> json_binary_to_text(std::span<const std::uint8_t> document) {
  if (document.empty()) return std::string("null");
  return json_binary_value_to_text(document[0], document.subspan(1));
}

}  // namespace tideway::replication::mysql
