// Rules for every source/target pair, the choice of rule sets, and the full-load estimate.
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "assess/rules.h"
#include "assess/version_support.h"
#include "common/utc_time.h"

namespace tideway::assess {

bool is_mysql_family(replication::Engine engine) {
  return engine == replication::Engine::kMysql || engine == replication::Engine::kMariadb;
}

bool has_word(std::string_view text, std::string_view word) {
  auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (word.empty() || text.size() < word.size()) return false;
  for (std::size_t i = 0; i + word.size() <= text.size(); ++i) {
    bool match = true;
    for (std::size_t j = 0; j < word.size() && match; ++j) match = lower(text[i + j]) == lower(word[j]);
    if (!match) continue;
    const bool before = i == 0 || !ident(text[i - 1]);
    const bool after = i + word.size() == text.size() || !ident(text[i + word.size()]);
    if (before && after) return true;
  }
  return false;
}

bool has_call(std::string_view text, std::string_view name) {
  auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (std::size_t i = 0; i + name.size() <= text.size(); ++i) {
    bool match = i == 0 || !ident(text[i - 1]);
    for (std::size_t j = 0; j < name.size() && match; ++j) match = lower(text[i + j]) == lower(name[j]);
    if (!match) continue;
    std::size_t k = i + name.size();
    while (k < text.size() && (text[k] == ' ' || text[k] == '\t' || text[k] == '\n')) ++k;
    if (k < text.size() && text[k] == '(') return true;
  }
  return false;
}

namespace {

// "2027-11-11" one year later, as text comparable with other dates.
std::string plus_one_year(const std::string& date) {
  if (date.size() < 4) return date;
  return std::to_string(std::stoi(date.substr(0, 4)) + 1) + date.substr(4);
}

void version_support(Assessment& a) {
  const std::string& eol = a.source.end_of_support;
  if (eol.empty()) return;
  const std::string today = utc_today();
  const std::string object = fmt::format("server {}", a.source.version);
  if (eol < today) {
    a.add("source.version_end_of_support", Severity::kWarning, object,
          fmt::format("this release line's vendor support ended on {}: no more security fixes", eol),
          "migrate to a supported major version (the target of this migration, if it is one)");
  } else if (eol < plus_one_year(today)) {
    a.add("source.version_end_of_support", Severity::kInfo, object,
          fmt::format("vendor support for this release line ends on {}", eol),
          "plan the upgrade before that date");
  }
}

void sessions(Assessment& a) {
  const bool pg = a.source.engine == replication::Engine::kPostgresql;
  for (const auto& s : a.activity.long_running) {
    a.add("source.long_transaction", pg ? Severity::kWarning : Severity::kInfo,
          fmt::format("session {} ({})", s.id, s.user),
          fmt::format("a transaction has been running for {}", human_duration(s.seconds)) +
              (pg ? ": creating the task's replication slot waits until it ends"
                  : ": it holds back purge while the snapshot is read"),
          "let it finish (or end it) before the task starts");
  }
  for (const auto& s : a.activity.idle_in_transaction) {
    a.add("source.idle_in_transaction", Severity::kWarning,
          fmt::format("session {} ({})", s.id, s.user),
          fmt::format("idle in an open transaction for {}: it holds locks and old row versions, "
                      "and a replication slot cannot be created until it ends",
                      human_duration(s.seconds)),
          "commit or roll it back; fix the application that leaves transactions open");
  }
}

void estimate(Assessment& a) {
  Estimate& e = a.estimate;
  e.total_bytes = a.inventory.total_bytes();
  if (e.assumed_bytes_per_second <= 0) e.assumed_bytes_per_second = 50.0 * 1024 * 1024;
  e.full_load_seconds = static_cast<double>(e.total_bytes) / e.assumed_bytes_per_second;
  if (e.log_retention_bytes && a.activity.log_bytes_per_second > 0) {
    e.log_retention_seconds = *e.log_retention_bytes / a.activity.log_bytes_per_second;
  }
  // The stream must still find the log where the load began: half again the estimate
  // leaves room for a load slower than assumed.
  e.retention_covers_load =
      !e.log_retention_seconds || *e.log_retention_seconds >= 1.5 * e.full_load_seconds;
  if (!e.retention_covers_load) {
    const bool pg = a.source.engine == replication::Engine::kPostgresql;
    a.add("source.log_retention", Severity::kWarning, "server",
          fmt::format("the source keeps {} for about {}, but the full load is estimated at {}: "
                      "the stream could find its start position gone",
                      pg ? "WAL for a slot (max_slot_wal_keep_size)" : "binlogs",
                      human_duration(*e.log_retention_seconds), human_duration(e.full_load_seconds)),
          pg ? "raise max_slot_wal_keep_size (or set it to -1) for the migration"
             : "raise binlog_expire_logs_seconds (Aurora: CALL mysql.rds_set_configuration("
               "'binlog retention hours', N)) to cover the load with room to spare");
  }
}

}  // namespace

void apply_common_rules(Assessment& a) {
  version_support(a);
  sessions(a);
}

void apply_rules(Assessment& a) {
  const auto src = a.source.engine;
  const TargetKind& t = a.target.kind;
  apply_common_rules(a);
  if (!t.same_as_source) {
    const bool src_pg = src == replication::Engine::kPostgresql;
    const bool dst_pg = t.engine == replication::Engine::kPostgresql;
    if (!src_pg && dst_pg) apply_mysql_to_pg_rules(a);
    if (src_pg && !dst_pg) apply_pg_to_mysql_rules(a);
    if (src_pg && dst_pg && t.major > a.source.major) apply_pg_upgrade_rules(a);
    if (!src_pg && t.engine == replication::Engine::kMysql && t.major >= 8 &&
        (src == replication::Engine::kMariadb || a.source.major < 8)) {
      apply_mysql_upgrade_rules(a);
    }
    if (t.aurora) apply_aurora_rules(a);
  }
  estimate(a);
}

}  // namespace tideway::assess
