#include "replication/mysql/my_sql_literal.h"

#include <fmt/format.h>

#include <cstdint>
#include <set>

namespace tideway::replication::mysql {
namespace {

const std::set<std::string, std::less<>> kNumberTypes = {
    "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "year"};
const std::set<std::string, std::less<>> kFloatTypes = {"float", "double", "real",
                                                        "double precision"};
const std::set<std::string, std::less<>> kByteTypes = {"binary",        "varbinary",
                                                       "tinyblob",      "blob",
                                                       "mediumblob",    "longblob",
                                                       "geometry",      "point",
                                                       "linestring",    "polygon",
                                                       "multipoint",    "multilinestring",
                                                       "multipolygon",  "geometrycollection",
                                                       "geomcollection"};
const std::set<std::string, std::less<>> kTextTypes = {
    "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json"};

// What the server prints for a number: digits, sign, point, exponent. Anything else is
// quoted instead, so a value can never end the literal early.
bool plain_number(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')) {
      return false;
    }
  }
  return true;
}

bool plain_charset_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

void append_quoted(std::string& out, std::string_view bytes) {
  out += '\'';
  append_escaped(out, bytes);
  out += '\'';
}

}  // namespace

LiteralKind literal_kind(const MyColumn& column) {
  const std::string_view t = column.data_type;
  if (kNumberTypes.count(t) != 0) return LiteralKind::kNumber;
  if (kFloatTypes.count(t) != 0) return LiteralKind::kFloat;
  if (t == "bit") return LiteralKind::kBit;
  if (kByteTypes.count(t) != 0) return LiteralKind::kBytes;
  if (kTextTypes.count(t) != 0) {
    // CHAR(n) CHARACTER SET binary is reported as binary already; a text column
    // without a charset name (MySQL's JSON) is utf8mb4.
    return column.charset == "binary" ? LiteralKind::kBytes : LiteralKind::kText;
  }
  return LiteralKind::kQuoted;
}

std::string select_expression(const MyColumn& column) {
  if (literal_kind(column) == LiteralKind::kFloat) {
    return fmt::format("CAST({} AS DOUBLE)", quote_identifier(column.name));
  }
  return quote_identifier(column.name);
}

void append_escaped(std::string& out, std::string_view bytes) {
  for (char c : bytes) {
    switch (c) {
      case '\0':
        out += "\\0";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\x1a':
        out += "\\Z";
        break;
      default:
        out += c;
    }
  }
}

void append_hex(std::string& out, std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  const std::size_t start = out.size();
  out.resize(start + bytes.size() * 2);
  char* p = out.data() + start;
  for (unsigned char b : bytes) {
    *p++ = kDigits[b >> 4];
    *p++ = kDigits[b & 0x0f];
  }
}

void append_literal(std::string& out, const MyColumn& column, std::optional<std::string_view> raw,
                    bool ascii_only) {
  if (!raw) {
    out += "NULL";
    return;
  }
  const std::string_view v = *raw;
  switch (literal_kind(column)) {
    case LiteralKind::kNumber:
    case LiteralKind::kFloat:
      if (plain_number(v)) {
        out += v;
      } else {
        append_quoted(out, v);
      }
      return;
    case LiteralKind::kBit: {
      if (v.size() <= 8) {
        std::uint64_t bits = 0;
        for (unsigned char b : v) bits = (bits << 8) | b;
        out += std::to_string(bits);
      } else {
        out += "X'";
        append_hex(out, v);
        out += '\'';
      }
      return;
    }
    case LiteralKind::kBytes:
      out += "X'";
      append_hex(out, v);
      out += '\'';
      return;
    case LiteralKind::kText: {
      const std::string charset = column.charset.empty() ? "utf8mb4" : column.charset;
      if (!plain_charset_name(charset)) {
        out += "X'";
        append_hex(out, v);
        out += '\'';
        return;
      }
      out += '_';
      out += charset;
      if (ascii_only) {
        out += " X'";
        append_hex(out, v);
        out += '\'';
      } else {
        append_quoted(out, v);
      }
      return;
    }
    case LiteralKind::kQuoted:
      if (ascii_only) {
        // Temporal and address types print as ASCII; anything else becomes hex text.
        bool ascii = true;
        for (unsigned char c : v) ascii = ascii && c >= 0x20 && c < 0x7f;
        if (!ascii) {
          out += "CONVERT(X'";
          append_hex(out, v);
          out += "' USING utf8mb4)";
          return;
        }
      }
      append_quoted(out, v);
      return;
  }
}

}  // namespace tideway::replication::mysql
