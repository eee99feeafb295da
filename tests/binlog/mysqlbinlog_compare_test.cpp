// Compares every row we decode with MariaDB mysqlbinlog's decode of the same file
// (`--base64-output=decode-rows -vv`, kept beside the fixtures as *.mysqlbinlog.txt).
//
// For each `###   @N=value /* TYPE meta=M nullable=X is_null=Y */` line we render our
// value the way mysqlbinlog prints it and compare the whole line's content: the value,
// the type tag (from our TABLE_MAP decode), the metadata number, nullability and NULL.
// Rows are compared in file order; where mysqlbinlog stopped early (event types it
// cannot read) its rows must be a prefix of ours.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "replication/mysql/binlog_event.h"
#include "tests/binlog/fixture_support.h"

namespace tideway::test::binlog {
namespace {

using namespace replication;
using namespace replication::mysql;

struct TextColumn {
  int index = 0;  // 1-based, as mysqlbinlog's @N
  std::string value;
  std::string comment;  // "TYPE meta=M nullable=X is_null=Y"
};

struct TextImage {
  std::string clause;  // SET or WHERE
  std::vector<TextColumn> columns;
};

struct TextRow {
  std::string statement;  // "INSERT INTO `db`.`t`", "UPDATE `db`.`t`", "DELETE FROM `db`.`t`"
  std::vector<TextImage> images;
};

struct TextDecode {
  std::vector<TextRow> rows;
  bool complete = false;  // mysqlbinlog read the whole file without an error
};

TextDecode parse_mysqlbinlog(const std::string& text) {
  TextDecode out;
  out.complete = text.find("# End of log file") != std::string::npos &&
                 text.find("\nERROR: ") == std::string::npos;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("### ")) continue;
    const std::string rest = line.substr(4);
    if (rest.starts_with("INSERT INTO ") || rest.starts_with("UPDATE ") ||
        rest.starts_with("DELETE FROM ")) {
      out.rows.push_back(TextRow{rest, {}});
    } else if (rest == "SET" || rest == "WHERE") {
      REQUIRE(!out.rows.empty());
      out.rows.back().images.push_back(TextImage{rest, {}});
    } else if (rest.starts_with("  @")) {
      REQUIRE(!out.rows.empty());
      REQUIRE(!out.rows.back().images.empty());
      const std::size_t eq = rest.find('=');
      const std::size_t comment = rest.rfind(" /* ");
      REQUIRE(eq != std::string::npos);
      REQUIRE(comment != std::string::npos);
      TextColumn col;
      col.index = std::stoi(rest.substr(3, eq - 3));
      col.value = rest.substr(eq + 1, comment - eq - 1);
      while (!col.value.empty() && col.value.back() == ' ') col.value.pop_back();  // %-20g
      col.comment = rest.substr(comment + 4);
      if (col.comment.ends_with(" */")) col.comment.resize(col.comment.size() - 3);
      out.rows.back().images.back().columns.push_back(col);
    }
  }
  return out;
}

// mysqlbinlog's my_b_write_quoted: bytes below 0x20 as \xNN, all others as they are.
std::string quoted(const std::string& bytes) {
  std::string out = "'";
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (b > 0x1f) {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", b);
      out += buf;
    }
  }
  return out + "'";
}

int integer_bits(ColumnType t) {
  switch (t) {
    case ColumnType::kTiny:
      return 8;
    case ColumnType::kShort:
      return 16;
    case ColumnType::kInt24:
      return 24;
    case ColumnType::kLong:
      return 32;
    default:
      return 64;
  }
}

// Integers: the signed value, and the unsigned one in parentheses when negative.
std::string integer_text(std::uint64_t raw, int bits) {
  const std::uint64_t mask = bits == 64 ? ~0ULL : ((1ULL << bits) - 1);
  const std::uint64_t u = raw & mask;
  const bool negative = ((u >> (bits - 1)) & 1U) != 0;
  if (!negative) return std::to_string(u);
  const std::int64_t s = bits == 64 ? static_cast<std::int64_t>(u)
                                    : static_cast<std::int64_t>(u) - (std::int64_t{1} << bits);
  return std::to_string(s) + " (" + std::to_string(u) + ")";
}

std::string bits_text(std::uint64_t v, unsigned width) {
  std::string out = "b'";
  for (int i = static_cast<int>(width) - 1; i >= 0; --i) out += ((v >> i) & 1U) ? '1' : '0';
  return out + "'";
}

std::string fraction(std::uint32_t micro, std::uint8_t fsp) {
  if (fsp == 0) return "";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%06u", micro);
  return "." + std::string(buf, fsp);
}

std::string as_mysqlbinlog(const Value& v, const ColumnDef& c) {
  const ColumnType t = c.column_type();
  if (v.is_null()) return "NULL";
  if (const auto* i = v.get_if<IntValue>()) {
    if (t == ColumnType::kYear) {
      char buf[16];
      std::snprintf(buf, sizeof(buf), "%04d", static_cast<int>(i->value == 0 ? 1900 : i->value));
      return buf;
    }
    return integer_text(static_cast<std::uint64_t>(i->value), integer_bits(t));
  }
  if (const auto* u = v.get_if<UIntValue>()) return integer_text(u->value, integer_bits(t));
  if (const auto* f = v.get_if<FloatValue>()) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%g", static_cast<double>(f->value));
    return buf;
  }
  if (const auto* d = v.get_if<DoubleValue>()) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.20g", d->value);
    return buf;
  }
  if (const auto* d = v.get_if<DecimalValue>()) return d->digits;
  if (const auto* s = v.get_if<TextValue>()) return quoted(s->bytes);
  if (const auto* b = v.get_if<BytesValue>()) return quoted(b->bytes);
  if (v.get_if<DateTimeValue>() || v.get_if<TimeValue>()) return "'" + v.to_string() + "'";
  if (const auto* d = v.get_if<DateValue>()) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "'%04d:%02u:%02u'", d->year, d->month, d->day);
    return buf;
  }
  if (const auto* ts = v.get_if<TimestampValue>()) {
    return std::to_string(ts->seconds) + fraction(ts->microseconds, ts->fsp);
  }
  if (const auto* b = v.get_if<BitValue>()) return bits_text(b->bits, b->width);
  if (const auto* e = v.get_if<EnumValue>()) return std::to_string(e->index);
  if (const auto* s = v.get_if<SetValue>()) return bits_text(s->mask, c.pack_length() * 8);
  return "<" + std::string(value_kind_name(v.kind())) + " has no mysqlbinlog form>";
}

std::string type_tag(const ColumnDef& c) {
  switch (c.column_type()) {
    case ColumnType::kTiny:
      return "TINYINT";
    case ColumnType::kShort:
      return "SHORTINT";
    case ColumnType::kInt24:
      return "MEDIUMINT";
    case ColumnType::kLong:
      return "INT";
    case ColumnType::kLongLong:
      return "LONGINT";
    case ColumnType::kNewDecimal:
      return "DECIMAL(" + std::to_string(c.precision()) + "," + std::to_string(c.scale()) + ")";
    case ColumnType::kFloat:
      return "FLOAT";
    case ColumnType::kDouble:
      return "DOUBLE";
    case ColumnType::kBit:
      return "BIT(" + std::to_string(c.bit_width()) + ")";
    case ColumnType::kTimestamp:
      return "TIMESTAMP";
    case ColumnType::kTimestamp2:
      return "TIMESTAMP(" + std::to_string(c.fsp()) + ")";
    case ColumnType::kDateTime:
      return "DATETIME";
    case ColumnType::kDateTime2:
      return "DATETIME(" + std::to_string(c.fsp()) + ")";
    case ColumnType::kTime:
      return "TIME";
    case ColumnType::kTime2:
      return "TIME(" + std::to_string(c.fsp()) + ")";
    case ColumnType::kDate:
    case ColumnType::kNewDate:
      return "DATE";
    case ColumnType::kYear:
      return "YEAR";
    case ColumnType::kEnum:
      return c.pack_length() == 1 ? "ENUM(1 byte)" : "ENUM(2 bytes)";
    case ColumnType::kSet:
      return "SET(" + std::to_string(c.pack_length()) + " bytes)";
    case ColumnType::kBlob:
      switch (c.pack_length()) {
        case 1:
          return "TINYBLOB/TINYTEXT";
        case 2:
          return "BLOB/TEXT";
        case 3:
          return "MEDIUMBLOB/MEDIUMTEXT";
        default:
          return "LONGBLOB/LONGTEXT";
      }
    case ColumnType::kVarchar:
    case ColumnType::kVarString:
      return "VARSTRING(" + std::to_string(c.max_length()) + ")";
    case ColumnType::kString:
      return "STRING(" + std::to_string(c.max_length()) + ")";
    default:
      return "?" + column_type_name(c.real_type);
  }
}

struct OurRow {
  std::string statement;
  std::vector<std::pair<std::string, const RowImage*>> images;
  const TableMapEvent* table = nullptr;
};

// Our rows in file order, each with the TABLE_MAP in force when it was decoded.
std::vector<OurRow> our_rows(const DecodedFile& file, std::vector<TableMapEvent>& maps) {
  std::vector<OurRow> out;
  std::map<std::uint64_t, std::size_t> current;  // table id -> index in maps
  maps.reserve(file.events.size());
  for (const auto& ev : file.events) {
    if (const auto* map = ev.get_if<TableMapEvent>()) {
      maps.push_back(*map);
      current[map->table_id] = maps.size() - 1;
    }
    const auto* rows = ev.get_if<RowsEvent>();
    if (rows == nullptr || rows->rows.empty()) continue;
    REQUIRE(current.count(rows->table_id) == 1);
    const TableMapEvent* table = &maps[current[rows->table_id]];
    const std::string name = "`" + rows->schema + "`.`" + rows->table + "`";
    for (const auto& change : rows->rows) {
      OurRow row;
      row.table = table;
      switch (rows->kind) {
        case RowsKind::kWrite:
          row.statement = "INSERT INTO " + name;
          row.images = {{"SET", &*change.after}};
          break;
        case RowsKind::kUpdate:
          row.statement = "UPDATE " + name;
          row.images = {{"WHERE", &*change.before}, {"SET", &*change.after}};
          break;
        case RowsKind::kDelete:
          row.statement = "DELETE FROM " + name;
          row.images = {{"WHERE", &*change.before}};
          break;
      }
      out.push_back(std::move(row));
    }
  }
  return out;
}

struct Pair {
  std::string decode;  // the mysqlbinlog text file
  std::string binlog;  // the binlog it was made from
};

std::vector<Pair> decode_pairs() {
  std::vector<Pair> out;
  for (const auto& binlog : all_binlog_fixtures()) {
    const std::string stem = binlog.ends_with(".gz") ? binlog.substr(0, binlog.size() - 3) : binlog;
    for (const char* suffix : {".mysqlbinlog.txt", ".mysqlbinlog.txt.gz"}) {
      const std::string decode = stem + suffix;
      if (std::filesystem::exists(fixture_path(decode))) out.push_back({decode, binlog});
    }
  }
  return out;
}

}  // namespace

TEST_CASE("every row matches mysqlbinlog's decode of the same file", "[binlog][mysqlbinlog]") {
  const auto pairs = decode_pairs();
  // Every binlog that has a decode beside it: this guards against the walk finding none.
  REQUIRE(pairs.size() >= 40);
  std::size_t compared_columns = 0;
  for (const auto& pair : pairs) {
    INFO("binlog " << pair.binlog << " vs " << pair.decode);
    const TextDecode expected = parse_mysqlbinlog(read_fixture_text(pair.decode));
    const DecodedFile decoded = decode_fixture(pair.binlog);
    std::vector<TableMapEvent> maps;
    const std::vector<OurRow> ours = our_rows(decoded, maps);

    if (expected.complete) {
      CHECK(ours.size() == expected.rows.size());
    } else {
      CHECK(ours.size() >= expected.rows.size());
    }
    const std::size_t n = std::min(ours.size(), expected.rows.size());
    for (std::size_t r = 0; r < n; ++r) {
      INFO("row " << r);
      const TextRow& want = expected.rows[r];
      const OurRow& got = ours[r];
      REQUIRE(got.statement == want.statement);
      REQUIRE(got.images.size() == want.images.size());
      for (std::size_t i = 0; i < want.images.size(); ++i) {
        REQUIRE(got.images[i].first == want.images[i].clause);
        const RowImage& image = *got.images[i].second;
        std::size_t present = 0;
        for (const auto& col : image.columns) present += col ? 1 : 0;
        REQUIRE(present == want.images[i].columns.size());
        for (const TextColumn& col : want.images[i].columns) {
          INFO("@" << col.index);
          const auto idx = static_cast<std::size_t>(col.index - 1);
          REQUIRE(idx < image.columns.size());
          REQUIRE(image.columns[idx].has_value());
          const Value& value = *image.columns[idx];
          const ColumnDef& def = got.table->columns[idx];
          CHECK(as_mysqlbinlog(value, def) == col.value);
          CHECK(type_tag(def) + " meta=" + std::to_string(def.metadata) + " nullable=" +
                    (def.nullable ? "1" : "0") + " is_null=" + (value.is_null() ? "1" : "0") ==
                col.comment);
          ++compared_columns;
        }
      }
    }
  }
  // The Sakila load alone has over 290,000 column values.
  CHECK(compared_columns > 290000);
}

}  // namespace tideway::test::binlog
