// Whole-file decoding of every binlog fixture: which files decode completely, where the
// deliberately broken ones stop, event counts (EXPECTED.md and the SOURCES.md
// catalogue), table column types and optional-metadata records, and log positions.

#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "replication/mysql/binlog_event.h"
#include "tests/binlog/fixture_support.h"

namespace tideway::test::binlog {
namespace {

using namespace replication::mysql;

struct BrokenFile {
  const char* file;
  std::uint64_t offset;  // where decoding must stop
  ErrorCode code;
  const char* reason;  // a part of the error message
};

// Files that must end in an Error. The first three are broken on purpose upstream (see
// EXPECTED.md). The wl2325 pair come from a MySQL 5.2 development tree (server
// 5.2.2-a_drop6p13) that numbered event types 16-22 differently and wrote an older row
// format; MySQL recognises such servers by version, and so do we, stopping at the first
// event whose meaning differs (for _r that is the 38-byte "XID" EXPECTED.md names).
const BrokenFile kBroken[] = {
    {"mysql/rust_mysql_common/binlog_truncated_event.000001", 4, ErrorCode::kCorruption,
     "truncated event header"},
    {"mysql/rust_mysql_common/binlog_truncated_prev_gtid_event.000001", 120, ErrorCode::kCorruption,
     "truncated event header"},
    {"mysql/rust_mysql_common/corrupt-relay-bin.000624", 91204, ErrorCode::kCorruption,
     "QUERY event: QUERY status block of 16949 bytes"},
    {"mysql/rust_mysql_common/ver_5_1-wl2325_r.001", 428, ErrorCode::kInvalidArgument,
     "pre-GA MySQL 5.1/5.2 development build"},
    {"mysql/rust_mysql_common/ver_5_1-wl2325_s.001", 411, ErrorCode::kInvalidArgument,
     "pre-GA MySQL 5.1/5.2 development build"},
};

const BrokenFile* broken(const std::string& file) {
  for (const auto& b : kBroken) {
    if (file == b.file) return &b;
  }
  return nullptr;
}

std::map<std::string, int> count_types(const std::vector<BinlogEvent>& events) {
  std::map<std::string, int> counts;
  for (const auto& ev : events) ++counts[ev.type_name()];
  return counts;
}

// "FORMAT_DESCRIPTION x1, QUERY x5" -> {FORMAT_DESCRIPTION: 1, QUERY: 5}
std::map<std::string, int> parse_counts(const std::string& list) {
  std::map<std::string, int> out;
  static const std::regex item(R"(([A-Z_0-9]+) x(\d+))");
  for (std::sregex_iterator it(list.begin(), list.end(), item), end; it != end; ++it) {
    out[(*it)[1]] += std::stoi((*it)[2]);
  }
  return out;
}

// The cataloguer's rendering of a TABLE_MAP column: the declared type, with details.
std::string catalogue_type(const ColumnDef& c) {
  const auto t = static_cast<ColumnType>(c.type);
  switch (t) {
    case ColumnType::kNewDecimal:
      return "NEWDECIMAL(" + std::to_string(c.precision()) + "," + std::to_string(c.scale()) + ")";
    case ColumnType::kTime2:
    case ColumnType::kDateTime2:
    case ColumnType::kTimestamp2:
      return column_type_name(c.type) + "(fsp=" + std::to_string(c.fsp()) + ")";
    case ColumnType::kBit:
      return "BIT(" + std::to_string(c.bit_width()) + ")";
    case ColumnType::kString:
      if (c.column_type() == ColumnType::kEnum) return "ENUM(as STRING)";
      if (c.column_type() == ColumnType::kSet) return "SET(as STRING)";
      return "STRING";
    default:
      return column_type_name(c.type);
  }
}

const char* metadata_name(std::uint8_t type) {
  static const char* const kNames[] = {"?",
                                       "SIGNEDNESS",
                                       "DEFAULT_CHARSET",
                                       "COLUMN_CHARSET",
                                       "COLUMN_NAME",
                                       "SET_STR_VALUE",
                                       "ENUM_STR_VALUE",
                                       "GEOMETRY_TYPE",
                                       "SIMPLE_PRIMARY_KEY",
                                       "PRIMARY_KEY_WITH_PREFIX",
                                       "ENUM_AND_SET_DEFAULT_CHARSET",
                                       "ENUM_AND_SET_COLUMN_CHARSET",
                                       "COLUMN_VISIBILITY",
                                       "VECTOR_DIMENSIONALITY"};
  return type < std::size(kNames) ? kNames[type] : "?";
}

struct CatalogueRow {
  std::string file;  // relative to the fixtures folder
  std::string cell;  // the events/tables cell
};

// The per-file rows of SOURCES.md's tables, with their section's folder.
std::vector<CatalogueRow> catalogue() {
  std::vector<CatalogueRow> rows;
  std::istringstream in(read_fixture_text("SOURCES.md"));
  std::string line;
  std::string folder;
  static const std::regex section(R"(^## ((?:mysql|mariadb)/[A-Za-z0-9_.-]+))");
  static const std::regex row(R"(^\| `([^`]+)` \| [^|]+ \| [^|]+ \| (.*) \|$)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, section)) {
      folder = m[1];
    } else if (line.starts_with("## ")) {
      folder.clear();
    } else if (!folder.empty() && std::regex_match(line, m, row)) {
      rows.push_back({folder + "/" + std::string(m[1]), m[2]});
    }
  }
  return rows;
}

}  // namespace

TEST_CASE("every fixture decodes completely, or stops where it is broken", "[binlog][files]") {
  const auto files = all_binlog_fixtures();
  REQUIRE(files.size() == 51);  // 45 MySQL-side files and 6 MariaDB 11.8 files
  for (const auto& file : files) {
    INFO(file);
    const DecodedFile decoded = decode_fixture(file);
    if (const BrokenFile* b = broken(file)) {
      REQUIRE(decoded.error.has_value());
      CHECK(decoded.error->code == b->code);
      CHECK_THAT(decoded.error->message,
                 Catch::Contains(file + ": offset " + std::to_string(b->offset) + ":"));
      CHECK_THAT(decoded.error->message, Catch::Contains(b->reason));
      // Everything before the broken event was delivered.
      const std::uint64_t end = decoded.events.empty() ? 4 : decoded.events.back().next_offset();
      CHECK(end == b->offset);
    } else {
      CHECK_FALSE(decoded.error.has_value());
      if (decoded.error) FAIL_CHECK(decoded.error->message);
      REQUIRE_FALSE(decoded.events.empty());
      CHECK(decoded.events.front().type_name() == "FORMAT_DESCRIPTION");
      // Events tile the file: the last one ends at its end.
      CHECK(decoded.events.back().next_offset() == read_fixture_bytes(file).size());
    }
  }
}

TEST_CASE("event counts equal mysql-binlog-connector-java's readAll counts", "[binlog][files]") {
  const std::string expected = read_fixture_text("mysql/mysql-binlog-connector-java/EXPECTED.md");
  static const std::regex row(R"(\| (mysql-bin\.[a-z0-9.-]+)[^|]*\| (\d+) \|)");
  int checked = 0;
  for (std::sregex_iterator it(expected.begin(), expected.end(), row), end; it != end; ++it) {
    const std::string file = "mysql/mysql-binlog-connector-java/" + std::string((*it)[1]);
    INFO(file);
    const DecodedFile decoded = decode_fixture(file);
    CHECK_FALSE(decoded.error.has_value());
    CHECK(decoded.events.size() == std::stoul((*it)[2]));
    ++checked;
  }
  CHECK(checked == 3);  // sakila 1462, checksum-none 191, checksum-crc32 303
}

TEST_CASE("events, row flags, tables and metadata match the SOURCES.md catalogue",
          "[binlog][files]") {
  const auto rows = catalogue();
  REQUIRE(rows.size() >= 50);
  for (const auto& row : rows) {
    if (broken(row.file)) continue;  // counted by a header walk past the broken event
    INFO(row.file);
    const DecodedFile decoded = decode_fixture(row.file);
    REQUIRE_FALSE(decoded.error.has_value());

    std::smatch m;
    static const std::regex events_re(R"(events: ([^<]*))");
    REQUIRE(std::regex_search(row.cell, m, events_re));
    CHECK(count_types(decoded.events) == parse_counts(m[1]));

    static const std::regex payload_re(R"(inside TRANSACTION_PAYLOAD \([^)]*\): ([^<]*))");
    if (std::regex_search(row.cell, m, payload_re)) {
      std::map<std::string, int> inner;
      for (const auto* ev : events_of_type(decoded, "TRANSACTION_PAYLOAD", false)) {
        for (const auto& [name, n] : count_types(ev->get_if<TransactionPayloadEvent>()->events))
          inner[name] += n;
      }
      CHECK(inner == parse_counts(m[1]));
    }

    // "rows events: WRITE_ROWS_V2 flags=0x1 x2, ..." over all row events, nested too.
    static const std::regex rows_re(R"(rows events: ([^<]*))");
    if (std::regex_search(row.cell, m, rows_re)) {
      std::map<std::string, int> want;
      const std::string list = m[1];
      static const std::regex item(R"(([A-Z_0-9]+) flags=(0x[0-9a-f]+) x(\d+))");
      for (std::sregex_iterator it(list.begin(), list.end(), item), end; it != end; ++it) {
        want[std::string((*it)[1]) + " " + std::string((*it)[2])] += std::stoi((*it)[3]);
      }
      std::map<std::string, int> got;
      auto add = [&](const BinlogEvent& ev) {
        if (const auto* r = ev.get_if<RowsEvent>()) {
          std::ostringstream key;
          key << ev.type_name() << " 0x" << std::hex << r->flags;
          ++got[key.str()];
        }
      };
      for (const auto& ev : decoded.events) {
        add(ev);
        if (const auto* p = ev.get_if<TransactionPayloadEvent>()) {
          for (const auto& inner : p->events) add(inner);
        }
      }
      CHECK(got == want);
    }

    // "table db.t: [LONG, NEWDECIMAL(10,2)]": some TABLE_MAP of that table has these types.
    static const std::regex table_re(R"(table ([^ :]+): \[([^\]]*)\])");
    for (std::sregex_iterator it(row.cell.begin(), row.cell.end(), table_re), end; it != end;
         ++it) {
      const std::string name = (*it)[1];
      const std::string want = (*it)[2];
      INFO("table " << name);
      std::set<std::string> seen;
      for (const auto* ev : events_of_type(decoded, "TABLE_MAP")) {
        const auto* map = ev->get_if<TableMapEvent>();
        if (map->schema + "." + map->table != name) continue;
        std::string types;
        for (const auto& c : map->columns) types += (types.empty() ? "" : ", ") + catalogue_type(c);
        seen.insert(types);
      }
      CHECK(seen == std::set<std::string>{want});
    }

    static const std::regex meta_re(R"(TABLE_MAP optional metadata fields: ([A-Z_, ]+))");
    std::set<std::string> want_meta;
    if (std::regex_search(row.cell, m, meta_re)) {
      std::istringstream names(m[1]);
      std::string name;
      while (std::getline(names, name, ',')) {
        name.erase(0, name.find_first_not_of(' '));
        want_meta.insert(name);
      }
    }
    std::set<std::string> got_meta;
    for (const auto* ev : events_of_type(decoded, "TABLE_MAP")) {
      for (const auto t : ev->get_if<TableMapEvent>()->optional_metadata_types)
        got_meta.insert(metadata_name(t));
    }
    CHECK(got_meta == want_meta);
  }
}

TEST_CASE("log positions point at the next event outside relay logs", "[binlog][files]") {
  for (const auto& file : all_binlog_fixtures()) {
    const DecodedFile decoded = decode_fixture(file);
    const auto fdes = events_of_type(decoded, "FORMAT_DESCRIPTION");
    // A second FORMAT_DESCRIPTION is the source's, copied into a relay log: the events
    // after it carry the source's positions. wl2325_s is a pre-GA file with its own rules.
    if (fdes.size() != 1 || file.find("wl2325_s") != std::string::npos) continue;
    INFO(file);
    for (const auto& ev : decoded.events) {
      INFO(ev.type_name() << " at " << ev.offset);
      if (ev.header.log_pos != 0) CHECK(ev.header.log_pos == ev.next_offset());
    }
  }
}

}  // namespace tideway::test::binlog
