#include "replication/core/task_spec.h"

#include <fmt/format.h>

namespace tideway::replication {

const char* engine_name(Engine engine) {
  switch (engine) {
    case Engine::kPostgresql: return "postgresql";
    case Engine::kMysql: return "mysql";
    case Engine::kMariadb: return "mariadb";
  }
  return "postgresql";
}

const char* my_snapshot_mode_name(MySnapshotMode mode) {
  switch (mode) {
    case MySnapshotMode::kAuto: return "auto";
    case MySnapshotMode::kConsistentSnapshot: return "consistent_snapshot";
    case MySnapshotMode::kWatermark: return "watermark";
  }
  return "auto";
}

const char* stream_in_progress_name(StreamInProgress mode) {
  switch (mode) {
    case StreamInProgress::kAuto: return "auto";
    case StreamInProgress::kOn: return "on";
    case StreamInProgress::kOff: return "off";
  }
  return "auto";
}

const char* my_resume_by_name(MyResumeBy by) {
  switch (by) {
    case MyResumeBy::kFile: return "file";
    case MyResumeBy::kGtid: return "gtid";
  }
  return "file";
}

const char* task_mode_name(TaskMode mode) {
  switch (mode) {
    case TaskMode::kFullLoad: return "full_load";
    case TaskMode::kCdc: return "cdc";
    case TaskMode::kFullLoadAndCdc: return "full_load_and_cdc";
  }
  return "full_load_and_cdc";
}

std::string Endpoint::describe() const {
  return fmt::format("{}://{}@{}:{}/{}", engine_name(engine), user, host, port, database);
}

bool glob_match(const std::string& pattern, const std::string& text) {
  // Iterative matcher with one backtrack point: linear in practice, no recursion depth
  // to blow on long names.
  std::size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool TableFilter::matches(const std::string& schema, const std::string& table) const {
  const std::string name = schema + "." + table;
  bool included = false;
  for (const auto& p : include) included = included || glob_match(p, name);
  if (!included) return false;
  for (const auto& p : exclude) {
    if (glob_match(p, name)) return false;
  }
  return true;
}

}  // namespace tideway::replication
