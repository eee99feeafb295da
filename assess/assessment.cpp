#include "assess/assessment.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace tideway::assess {

const char* severity_name(Severity severity) {
  switch (severity) {
    case Severity::kBlocker: return "blocker";
    case Severity::kWarning: return "warning";
    case Severity::kInfo: return "info";
  }
  return "info";
}

std::string TargetKind::label() const {
  std::string name;
  switch (engine) {
    case replication::Engine::kPostgresql: name = aurora ? "aurora-postgresql" : "postgresql"; break;
    case replication::Engine::kMysql: name = aurora ? "aurora-mysql" : "mysql"; break;
    case replication::Engine::kMariadb: name = "mariadb"; break;
  }
  if (same_as_source) return name + " (same as the source)";
  // Aurora MySQL is named by its own major: 3 is MySQL 8.0 compatible, 2 is 5.7.
  if (aurora && engine != replication::Engine::kPostgresql) {
    return fmt::format("{}:{}", name, major >= 8 ? 3 : 2);
  }
  if (engine == replication::Engine::kPostgresql) return fmt::format("{}:{}", name, major);
  return fmt::format("{}:{}.{}", name, major, minor);
}

std::string SourceInfo::setting(const std::string& name) const {
  for (const auto& [k, v] : settings) {
    if (k == name) return v;
  }
  return "";
}

std::int64_t Inventory::total_bytes() const {
  std::int64_t total = 0;
  for (const auto& s : schemas) {
    for (const auto& t : s.tables) total += t.data_bytes + t.index_bytes;
  }
  return total;
}

std::vector<const TableInfo*> Inventory::tables() const {
  std::vector<const TableInfo*> out;
  for (const auto& s : schemas) {
    for (const auto& t : s.tables) out.push_back(&t);
  }
  return out;
}

std::string Assessment::verdict() const {
  bool warning = false;
  for (const auto& f : findings) {
    if (f.severity == Severity::kBlocker) return "blocked";
    warning = warning || f.severity == Severity::kWarning;
  }
  return warning ? "ready_with_warnings" : "ready";
}

void Assessment::add(std::string id, Severity severity, std::string object, std::string why,
                     std::string remediation) {
  findings.push_back(Finding{std::move(id), severity, std::move(object), std::move(why),
                             std::move(remediation)});
}

void Assessment::add_stream_prerequisite(std::string id, Severity severity, std::string object,
                                         std::string why, std::string remediation) {
  add(std::move(id), severity, std::move(object), std::move(why), std::move(remediation));
  findings.back().stream_only = true;
}

std::vector<Finding> blocking_findings(const Assessment& assessment,
                                       const std::vector<std::string>& acknowledged) {
  std::vector<Finding> out;
  for (const auto& f : assessment.findings) {
    if (f.severity != Severity::kBlocker) continue;
    const bool acked = std::any_of(acknowledged.begin(), acknowledged.end(), [&](const auto& a) {
      return a == f.id || a == f.id + ":" + f.object;
    });
    if (!acked) out.push_back(f);
  }
  return out;
}

std::string describe_findings(const std::vector<Finding>& findings) {
  std::string out;
  for (const auto& f : findings) {
    out += fmt::format("{}{} on {}: {}", out.empty() ? "" : "; ", f.id, f.object, f.why);
  }
  return out;
}

std::string human_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "unknown";
  const auto s = static_cast<std::int64_t>(std::llround(seconds));
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{} min {} s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{} h {} min", s / 3600, (s % 3600) / 60);
  return fmt::format("{} d {} h", s / 86400, (s % 86400) / 3600);
}

std::string human_bytes(double bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 5) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

}  // namespace tideway::assess
