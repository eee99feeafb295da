#include "replication/core/load_state.h"

#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace tideway::replication {
namespace {

using nlohmann::json;
using storage::Family;

constexpr const char* kPhaseNames[] = {"created", "loading", "loaded", "streaming", "stopped",
                                       "failed"};

TaskPhase phase_from(const std::string& name) {
  for (int i = 0; i < 6; ++i) {
    if (name == kPhaseNames[i]) return static_cast<TaskPhase>(i);
  }
  return TaskPhase::kFailed;
}

template <typename F>
auto parse_json(const std::string& key, const std::string& text, F&& convert)
    -> Result<decltype(convert(json()))> {
  try {
    return convert(json::parse(text));
  } catch (const json::exception& e) {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("state store record {} is not valid: {}", key, e.what()));
  }
}

std::string chunk_key(const std::string& task, const std::string& table, int chunk) {
  // Zero-padded so keys sort in chunk order.
  return fmt::format("{}/done/{}/{:08d}", task, table, chunk);
}

}  // namespace

const char* task_phase_name(TaskPhase phase) { return kPhaseNames[static_cast<int>(phase)]; }

Result<std::optional<TaskState>> LoadStateStore::load_task() const {
  auto raw = store_.get(Family::kTasks, kTaskStatePrefix + task_);
  if (!raw.ok()) return std::move(raw).error();
  if (!raw->has_value()) return std::optional<TaskState>();
  auto parsed = parse_json(task_, **raw, [](const json& j) {
    TaskState s;
    s.phase = phase_from(j.value("phase", "failed"));
    s.slot_name = j.value("slot_name", "");
    s.start_position = j.value("start_position", "");
    s.schema_before_load = j.value("schema_before_load", false);
    s.schema_after_load = j.value("schema_after_load", false);
    s.replica_role = j.value("replica_role", false);
    s.replica_role_note = j.value("replica_role_note", "");
    s.last_error = j.value("last_error", "");
    return s;
  });
  if (!parsed.ok()) return std::move(parsed).error();
  return std::optional<TaskState>(std::move(parsed).value());
}

Status LoadStateStore::save_task(const TaskState& s) {
  json j = {{"phase", task_phase_name(s.phase)},
            {"slot_name", s.slot_name},
            {"start_position", s.start_position},
            {"schema_before_load", s.schema_before_load},
            {"schema_after_load", s.schema_after_load},
            {"replica_role", s.replica_role},
            {"replica_role_note", s.replica_role_note},
            {"last_error", s.last_error}};
  return store_.put(Family::kTasks, kTaskStatePrefix + task_, j.dump());
}

Result<std::optional<TablePlan>> LoadStateStore::load_plan(const std::string& table) const {
  const std::string key = task_ + "/plan/" + table;
  auto raw = store_.get(Family::kProgress, key);
  if (!raw.ok()) return std::move(raw).error();
  if (!raw->has_value()) return std::optional<TablePlan>();
  auto parsed = parse_json(key, **raw, [](const json& j) {
    TablePlan p;
    p.table = j.at("table").get<std::string>();
    p.method = j.at("method").get<std::string>();
    p.estimated_rows = j.at("estimated_rows").get<std::int64_t>();
    for (const auto& c : j.at("chunks")) {
      p.chunks.push_back({c.at("index").get<int>(), c.at("where").get<std::string>(),
                          c.at("description").get<std::string>()});
    }
    return p;
  });
  if (!parsed.ok()) return std::move(parsed).error();
  return std::optional<TablePlan>(std::move(parsed).value());
}

Status LoadStateStore::save_plan(const TablePlan& p) {
  json chunks = json::array();
  for (const auto& c : p.chunks) {
    chunks.push_back({{"index", c.index}, {"where", c.where_sql}, {"description", c.description}});
  }
  json j = {{"table", p.table}, {"method", p.method}, {"estimated_rows", p.estimated_rows},
            {"chunks", chunks}};
  return store_.put(Family::kProgress, task_ + "/plan/" + p.table, j.dump());
}

Result<std::map<std::string, TablePlan>> LoadStateStore::load_plans() const {
  std::map<std::string, TablePlan> plans;
  std::vector<std::string> tables;
  const std::string prefix = task_ + "/plan/";
  Status s = store_.scan_prefix(Family::kProgress, prefix,
                                [&](std::string_view key, std::string_view) {
                                  tables.emplace_back(key.substr(prefix.size()));
                                  return true;
                                });
  if (!s.ok()) return std::move(s).error();
  for (const auto& t : tables) {
    auto plan = load_plan(t);
    if (!plan.ok()) return std::move(plan).error();
    if (plan->has_value()) plans.emplace(t, std::move(**plan));
  }
  return plans;
}

Result<std::optional<std::string>> LoadStateStore::load_checkpoint() const {
  return store_.get(Family::kCheckpoints, task_);
}

Status LoadStateStore::save_checkpoint(const std::string& position) {
  return store_.put(Family::kCheckpoints, task_, position, storage::Durability::kSynced);
}

Result<std::map<int, ChunkDone>> LoadStateStore::load_done(const std::string& table) const {
  std::map<int, ChunkDone> done;
  const std::string prefix = task_ + "/done/" + table + "/";
  Error failure;
  bool failed = false;
  Status s = store_.scan_prefix(
      Family::kProgress, prefix, [&](std::string_view key, std::string_view value) {
        const int index = std::atoi(std::string(key.substr(prefix.size())).c_str());
        auto parsed = parse_json(std::string(key), std::string(value), [](const json& j) {
          return ChunkDone{j.at("rows").get<std::int64_t>(), j.at("bytes").get<std::int64_t>(),
                           j.value("snapshot", "")};
        });
        if (!parsed.ok()) {
          failure = std::move(parsed).error();
          failed = true;
          return false;
        }
        done.emplace(index, std::move(parsed).value());
        return true;
      });
  if (!s.ok()) return std::move(s).error();
  if (failed) return failure;
  return done;
}

Status LoadStateStore::mark_done(const std::string& table, int chunk, const ChunkDone& d) {
  json j = {{"rows", d.rows}, {"bytes", d.bytes}, {"snapshot", d.snapshot}};
  return store_.put(Family::kProgress, chunk_key(task_, table, chunk), j.dump());
}

Result<TablePlan> LoadStateStore::plan_once(const std::string& table,
                                            const std::function<Result<TablePlan>()>& make) {
  auto stored = load_plan(table);
  if (!stored.ok()) return std::move(stored).error();
  if (stored->has_value()) return std::move(**stored);
  auto plan = make();
  if (!plan.ok()) return plan;
  plan->table = table;
  if (Status s = save_plan(*plan); !s.ok()) return std::move(s).error();
  return plan;
}

Status LoadStateStore::forget_done(const std::string& table) {
  auto done = load_done(table);
  if (!done.ok()) return std::move(done).error();
  storage::WriteSet w;
  for (const auto& [chunk, d] : *done) w.remove(Family::kProgress, chunk_key(task_, table, chunk));
  return store_.write(w);
}

}  // namespace tideway::replication
