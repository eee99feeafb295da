// Compares every event header and the event-specific summary line of MariaDB's
// mysqlbinlog (`# at N` / `#YYMMDD hh:mm:ss server id S  end_log_pos P CRC32 0x... <what>`)
// with our decode of the same file: offsets, timestamps (UTC), server ids, log positions,
// stored CRC32s, and per type the fields mysqlbinlog shows (query thread/exec
// time/error, XID, INTVAR/RAND/USER_VAR values, MariaDB GTIDs and GTID lists,
// checkpoints, rotations, table maps and row-event table ids and flags).

#include <catch2/catch.hpp>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "replication/mysql/binlog_event.h"
#include "tests/binlog/fixture_support.h"

namespace tideway::test::binlog {
namespace {

using namespace replication::mysql;

struct TextEvent {
  std::uint64_t offset = 0;
  std::string time;  // "180504  8:23:58"
  std::uint32_t server_id = 0;
  std::uint64_t end_log_pos = 0;
  std::optional<std::uint32_t> crc;
  std::string what;  // after the tab
  std::string next;  // the line after the header (SET ..., #Q> ...)
};

std::vector<TextEvent> parse_headers(const std::string& text) {
  static const std::regex header(
      R"(^#(\d{6} [ \d]\d:\d\d:\d\d) server id (\d+)  end_log_pos (\d+) ?(?:CRC32 0x([0-9a-f]{8}) ?)?(?:\t(.*))?$)");
  std::vector<TextEvent> out;
  std::deque<std::uint64_t> pending;
  std::istringstream in(text);
  std::string line;
  TextEvent* last = nullptr;
  bool want_next = false;
  while (std::getline(in, line)) {
    if (want_next && last != nullptr) {
      last->next = line;
      want_next = false;
    }
    std::smatch m;
    if (line.starts_with("# at ")) {
      pending.push_back(std::stoull(line.substr(5)));
    } else if (std::regex_match(line, m, header)) {
      REQUIRE_FALSE(pending.empty());
      TextEvent ev;
      ev.offset = pending.front();
      pending.pop_front();
      ev.time = m[1];
      ev.server_id = static_cast<std::uint32_t>(std::stoul(m[2]));
      ev.end_log_pos = std::stoull(m[3]);
      if (m[4].matched) ev.crc = static_cast<std::uint32_t>(std::stoul(m[4], nullptr, 16));
      ev.what = m[5];
      out.push_back(ev);
      last = &out.back();
      want_next = true;
    }
  }
  return out;
}

std::string mysqlbinlog_time(std::uint32_t timestamp) {
  const std::time_t t = timestamp;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%02d%02d%02d %2d:%02d:%02d", tm.tm_year % 100, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

// What mysqlbinlog writes after the tab for our event, where it writes something we
// decode; nullopt for descriptions we do not compare field by field.
std::optional<std::string> describe(const BinlogEvent& ev) {
  if (const auto* q = ev.get_if<QueryEvent>()) {
    const bool load = ev.header.type() == EventType::kExecuteLoadQuery;
    return std::string(load ? "Execute_load_query" : "Query") +
           "\tthread_id=" + std::to_string(q->thread_id) +
           "\texec_time=" + std::to_string(q->exec_time) +
           "\terror_code=" + std::to_string(q->error_code) +
           "\txid=" + std::to_string(q->status.mariadb_xid.value_or(0));
  }
  if (const auto* x = ev.get_if<XidEvent>()) return "Xid = " + std::to_string(x->xid);
  if (ev.get_if<IntvarEvent>()) return "Intvar";
  if (ev.get_if<RandEvent>()) return "Rand";
  if (ev.get_if<UserVarEvent>()) return "User_var";
  if (ev.get_if<StopEvent>()) return "Stop";
  if (const auto* r = ev.get_if<RotateEvent>()) {
    return "Rotate to " + r->next_file + "  pos: " + std::to_string(r->position);
  }
  if (const auto* g = ev.get_if<MariaGtidEvent>()) {
    std::string s = "GTID " + g->gtid.text();
    if (g->commit_id) s += " cid=" + std::to_string(*g->commit_id);
    return s + (g->standalone() ? "" : " trans") + (g->ddl() ? " ddl" : "");
  }
  if (const auto* l = ev.get_if<MariaGtidListEvent>()) {
    std::string s = "Gtid list [";
    for (std::size_t i = 0; i < l->gtids.size(); ++i) s += (i ? ",\n# " : "") + l->gtids[i].text();
    return s + "]";
  }
  if (const auto* c = ev.get_if<MariaBinlogCheckpointEvent>())
    return "Binlog checkpoint " + c->file;
  if (ev.get_if<MariaAnnotateRowsEvent>()) return "Annotate_rows:";
  if (const auto* t = ev.get_if<TableMapEvent>()) {
    return "Table_map: `" + t->schema + "`.`" + t->table + "` mapped to number " +
           std::to_string(t->table_id);
  }
  if (const auto* r = ev.get_if<RowsEvent>()) {
    const char* kind = r->kind == RowsKind::kWrite    ? "Write_rows"
                       : r->kind == RowsKind::kUpdate ? "Update_rows"
                                                      : "Delete_rows";
    return std::string(kind) + ": table id " + std::to_string(r->table_id) +
           (r->statement_end() ? " flags: STMT_END_F" : "");
  }
  if (ev.get_if<GtidEvent>() || ev.get_if<PreviousGtidsEvent>())
    return "Ignorable";  // MySQL-only to MariaDB
  return std::nullopt;
}

// The SET line mysqlbinlog prints after INTVAR, RAND and integer USER_VAR events.
std::optional<std::string> set_line(const BinlogEvent& ev) {
  if (const auto* i = ev.get_if<IntvarEvent>()) {
    return std::string(i->kind == 1 ? "SET LAST_INSERT_ID=" : "SET INSERT_ID=") +
           std::to_string(i->value) + "/*!*/;";
  }
  if (const auto* r = ev.get_if<RandEvent>()) {
    return "SET @@RAND_SEED1=" + std::to_string(r->seed1) +
           ", @@RAND_SEED2=" + std::to_string(r->seed2) + "/*!*/;";
  }
  if (const auto* u = ev.get_if<UserVarEvent>();
      u && !u->is_null && u->value_type == 2 && u->value.size() == 8) {
    std::int64_t v = 0;
    for (int b = 7; b >= 0; --b)
      v = (v << 8) | static_cast<unsigned char>(u->value[static_cast<std::size_t>(b)]);
    return "SET @`" + u->name + "`:=" + std::to_string(v) + "/*!*/;";
  }
  if (const auto* a = ev.get_if<MariaAnnotateRowsEvent>())
    return "#Q> " + a->query.substr(0, a->query.find('\n'));
  return std::nullopt;
}

}  // namespace

TEST_CASE("every event header and summary matches mysqlbinlog", "[binlog][mysqlbinlog]") {
  std::size_t headers = 0;
  std::size_t described = 0;
  for (const auto& binlog : all_binlog_fixtures()) {
    const std::string stem = binlog.ends_with(".gz") ? binlog.substr(0, binlog.size() - 3) : binlog;
    std::string decode = stem + ".mysqlbinlog.txt";
    if (!std::filesystem::exists(fixture_path(decode))) decode += ".gz";
    if (!std::filesystem::exists(fixture_path(decode))) continue;
    INFO(binlog);
    const DecodedFile ours = decode_fixture(binlog);
    std::map<std::uint64_t, const BinlogEvent*> at;
    for (const auto& ev : ours.events) at[ev.offset] = &ev;

    const std::string listing = read_fixture_text(decode);
    const bool complete = listing.find("# End of log file") != std::string::npos &&
                          listing.find("\nERROR: ") == std::string::npos;
    std::size_t matched = 0;
    for (const TextEvent& want : parse_headers(listing)) {
      INFO("# at " << want.offset << ": " << want.what);
      const auto it = at.find(want.offset);
      // Past the event we stop at in a broken file, mysqlbinlog may read on (it prints
      // the pre-GA file's 38-byte "XID" as Xid = 8359244358505296900).
      const std::uint64_t our_end = ours.events.empty() ? 4 : ours.events.back().next_offset();
      if (ours.error && want.offset >= our_end) break;
      REQUIRE(it != at.end());
      const BinlogEvent& ev = *it->second;
      CHECK(mysqlbinlog_time(ev.header.timestamp) == want.time);
      CHECK(ev.header.server_id == want.server_id);
      CHECK(ev.header.log_pos == want.end_log_pos);
      if (want.crc) CHECK(ev.checksum == want.crc);
      ++headers;
      ++matched;
      if (const auto text = describe(ev)) {
        CHECK(want.what == *text);
        ++described;
      } else if (const auto* fde = ev.get_if<FormatDescriptionEvent>()) {
        CHECK_THAT(want.what, Catch::StartsWith("Start: binlog v 4, server v " +
                                                fde->server_version + " created"));
      }
      if (const auto line = set_line(ev)) CHECK(want.next == *line);
    }
    // A complete mysqlbinlog decode shows every event once.
    if (complete) CHECK(matched == ours.events.size());
  }
  // Nearly 4000 events in the files mysqlbinlog could read, almost all with a summary.
  CHECK(headers > 3900);
  CHECK(described > 3800);
}

}  // namespace tideway::test::binlog
