#include "replication/mysql/my_applier_sql.h"

#include <fmt/format.h>

#include <cmath>
#include <ctime>

namespace tideway::replication::mysql {
namespace {

void append_approximate(std::string& out, double v) {
  // fmt's {} is the shortest text that reads back to the same double.
  std::string text = fmt::format("{}", v);
  if (text.find_first_of("eE") == std::string::npos) text += "e0";
  out += text;
}

/// 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx' of 16 bytes in order.
void append_uuid(std::string& out, std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += '\'';
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    const auto c = static_cast<unsigned char>(bytes[i]);
    out += kDigits[c >> 4];
    out += kDigits[c & 0x0f];
  }
  out += '\'';
}

std::string fraction(std::uint32_t microseconds) {
  return microseconds == 0 ? std::string() : fmt::format(".{:06d}", microseconds);
}

}  // namespace

void append_hex_literal(std::string& out, std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  out.reserve(out.size() + bytes.size() * 2 + 3);
  out += "X'";
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0x0f];
  }
  out += '\'';
}

Result<LiteralWriter> LiteralWriter::load(MyConnection& target) {
  auto r = target.query(
      "SELECT ID, CHARACTER_SET_NAME FROM information_schema.COLLATIONS WHERE ID IS NOT NULL");
  if (!r.ok()) return std::move(r).error().with_context("reading the target's collations");
  std::unordered_map<std::uint32_t, std::string> charsets;
  for (std::size_t i = 0; i < r->size(); ++i) {
    charsets[static_cast<std::uint32_t>(r->as_int(i, 0))] = r->text(i, 1);
  }
  return LiteralWriter(std::move(charsets), !target.is_mariadb());
}

Status LiteralWriter::append(std::string& out, const Datum& datum, std::string_view target_type,
                             bool for_compare) const {
  if (datum.state == Datum::State::kNull) {
    out += "NULL";
    return {};
  }
  if (datum.state == Datum::State::kUnchanged) {
    return make_error(ErrorCode::kInternal, "a column absent from the row image has no literal");
  }
  const Value& v = datum.value;
  // MariaDB's fixed-size binary types travel as fixed-length strings whose trailing zero
  // bytes the binlog drops (as for BINARY); they take their full size back here.
  const std::size_t fixed = target_type == "uuid" || target_type == "inet6" ? 16
                            : target_type == "inet4"                        ? 4
                                                                            : 0;
  if (fixed != 0) {
    const std::string* raw = nullptr;
    if (const auto* b = v.get_if<BytesValue>()) raw = &b->bytes;
    if (const auto* t = v.get_if<TextValue>()) raw = &t->bytes;
    if (raw != nullptr && raw->size() <= fixed) {
      std::string full = *raw;
      full.resize(fixed, '\0');
      // UUID refuses binary strings: it gets its text form.
      if (target_type == "uuid") {
        append_uuid(out, full);
      } else {
        append_hex_literal(out, full);
      }
      return {};
    }
  }
  if (const auto* i = v.get_if<IntValue>()) {
    out += std::to_string(i->value);
  } else if (const auto* u = v.get_if<UIntValue>()) {
    out += std::to_string(u->value);
  } else if (const auto* f = v.get_if<FloatValue>()) {
    if (!std::isfinite(f->value)) {
      return make_error(ErrorCode::kInvalidArgument, "a FLOAT value that is not finite");
    }
    append_approximate(out, static_cast<double>(f->value));
  } else if (const auto* d = v.get_if<DoubleValue>()) {
    if (!std::isfinite(d->value)) {
      return make_error(ErrorCode::kInvalidArgument, "a DOUBLE value that is not finite");
    }
    append_approximate(out, d->value);
  } else if (const auto* dec = v.get_if<DecimalValue>()) {
    out += dec->digits;
  } else if (const auto* t = v.get_if<TextValue>()) {
    auto cs = charsets_.find(t->collation_id);
    if (t->collation_id != 0 && cs != charsets_.end()) out += "_" + cs->second + " ";
    append_hex_literal(out, t->bytes);
  } else if (const auto* b = v.get_if<BytesValue>()) {
    append_hex_literal(out, b->bytes);
  } else if (v.get_if<DateValue>() != nullptr || v.get_if<TimeValue>() != nullptr ||
             v.get_if<DateTimeValue>() != nullptr) {
    out += "'" + v.to_string() + "'";
  } else if (const auto* ts = v.get_if<TimestampValue>()) {
    if (ts->seconds == 0 && ts->microseconds == 0) {
      out += "'0000-00-00 00:00:00'";
    } else {
      std::tm tm{};
      const std::time_t seconds = static_cast<std::time_t>(ts->seconds);
      if (::gmtime_r(&seconds, &tm) == nullptr) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("TIMESTAMP {} is out of range", ts->seconds));
      }
      out += fmt::format("'{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}{}'", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                         fraction(ts->microseconds));
    }
  } else if (const auto* j = v.get_if<JsonValue>()) {
    if (for_compare && mysql_json_) out += "CAST(";
    out += "_utf8mb4 ";
    append_hex_literal(out, j->text);
    if (for_compare && mysql_json_) out += " AS JSON)";
  } else if (const auto* bit = v.get_if<BitValue>()) {
    out += std::to_string(bit->bits);
  } else if (const auto* e = v.get_if<EnumValue>()) {
    out += std::to_string(e->index);
  } else if (const auto* s = v.get_if<SetValue>()) {
    out += std::to_string(s->mask);
  } else if (const auto* x = v.get_if<EngineValue>()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("a {} value ({} bytes) has no exact SQL form the applier can "
                                  "write",
                                  x->type_name, x->bytes.size()));
  } else {
    return make_error(ErrorCode::kInternal,
                      fmt::format("no SQL literal for a {} value", value_kind_name(v.kind())));
  }
  return {};
}

}  // namespace tideway::replication::mysql
