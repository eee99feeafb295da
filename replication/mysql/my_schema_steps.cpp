#include "replication/mysql/my_schema_steps.h"

#include <map>
#include <set>

#include <fmt/format.h>

#include "common/log.h"
#include "replication/mysql/my_source_checks.h"

namespace tideway::replication::mysql {
namespace {

const log::Logger kLog{"my.schema"};

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += fmt::format("{}({}) {}", i == 0 ? "" : "; ", i + 1, items[i]);
  }
  return out;
}

}  // namespace

Status run_schema_step(MyConnection& target, const std::string& task, const std::string& step,
                       const std::vector<DdlStatement>& statements) {
  auto marks = target.query(fmt::format(
      "SELECT item FROM `_tideway`.`task_steps` WHERE task_id = {} AND step = {}",
      target.quote(task), target.quote(step)));
  if (!marks.ok()) return std::move(marks).error().with_context("reading schema step markers");
  std::set<std::string> done;
  for (std::size_t r = 0; r < marks->size(); ++r) done.insert(marks->text(r, 0));
  if (done.count("done") != 0) return {};
  auto mark = [&](const std::string& item) {
    return target.execute(fmt::format(
        "INSERT INTO `_tideway`.`task_steps` (task_id, step, item) VALUES ({}, {}, {})",
        target.quote(task), target.quote(step), target.quote(item)));
  };
  const bool resumed = done.count("begun") != 0;
  if (!resumed) {
    if (Status s = mark("begun"); !s.ok()) return s;
  }
  bool first_unmarked = true;
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const std::string item = std::to_string(i);
    if (done.count(item) != 0) continue;
    Status s = apply_ddl(target, statements[i]);
    if (!s.ok()) {
      const bool crash_window =
          resumed && first_unmarked && s.error().code == ErrorCode::kAlreadyExists;
      if (!crash_window) return s;
      kLog.warn("schema statement was done before a restart but not recorded; continuing",
                {{"task", task}, {"step", step}, {"object", statements[i].object}});
    }
    first_unmarked = false;
    if (Status m = mark(item); !m.ok()) return m;
  }
  if (Status s = mark("done"); !s.ok()) return s;
  kLog.info("schema step done", {{"task", task}, {"step", step},
                                 {"statements", statements.size()}});
  return {};
}

Result<std::vector<std::string>> check_target_for_schema(MyConnection& target,
                                                         const SchemaPlan& plan) {
  std::vector<std::string> problems;
  if (!plan.has_triggers && !plan.has_functions) return problems;
  auto vars = target.query("SELECT @@log_bin, @@log_bin_trust_function_creators, CURRENT_USER()");
  if (!vars.ok()) return std::move(vars).error().with_context("checking target settings");
  auto grant_rows = target.query("SHOW GRANTS");
  if (!grant_rows.ok()) return std::move(grant_rows).error().with_context("checking grants");
  std::vector<std::string> lines;
  for (std::size_t r = 0; r < grant_rows->size(); ++r) lines.push_back(grant_rows->text(r, 0));
  const bool super = GrantSet::parse(lines).has("SUPER");
  if (vars->text(0, 0) == "1" && vars->text(0, 1) != "1" && !super) {
    problems.push_back(fmt::format(
        "the target logs a binlog, and without SUPER user {} may create {} only with "
        "log_bin_trust_function_creators = 1; run SET GLOBAL log_bin_trust_function_creators "
        "= 1 on the target (Aurora/RDS: the parameter group)",
        grantee(vars->text(0, 2)),
        plan.has_triggers && plan.has_functions ? "triggers and functions"
        : plan.has_triggers                     ? "triggers"
                                                : "functions"));
  }
  return problems;
}

Status verify_target_tables(MyConnection& target, const std::vector<MyTable>& source_tables) {
  TableFilter exact;
  exact.include.clear();
  for (const auto& t : source_tables) exact.include.push_back(t.qualified());
  // Glob characters in names only widen the match; the lookup below is exact.
  auto existing = list_tables(target, exact);
  if (!existing.ok()) return std::move(existing).error().with_context("reading target tables");
  std::map<std::string, const MyTable*> by_name;
  for (const auto& t : *existing) by_name[t.qualified()] = &t;
  std::vector<std::string> problems;
  for (const auto& s : source_tables) {
    auto it = by_name.find(s.qualified());
    if (it == by_name.end()) {
      problems.push_back(fmt::format("table {} is missing on the target", s.qualified()));
      continue;
    }
    for (const auto* c : s.stored_columns()) {
      const MyColumn* t = it->second->column(c->name);
      if (t == nullptr) {
        problems.push_back(fmt::format("{}.{} ({}) is missing on the target", s.qualified(),
                                       c->name, c->column_type));
      } else if (t->column_type != c->column_type) {
        problems.push_back(fmt::format("{}.{} is {} on the source but {} on the target",
                                       s.qualified(), c->name, c->column_type, t->column_type));
      }
    }
  }
  if (!problems.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the target's tables do not match the source (schema.create is false): " +
                          join(problems));
  }
  return {};
}

Result<int> sync_auto_increment(MyConnection& source, MyConnection& target,
                                const std::vector<MyTable>& tables) {
  TableFilter exact;
  exact.include.clear();
  for (const auto& t : tables) exact.include.push_back(t.qualified());
  auto now = list_tables(source, exact);  // the counters as they are now, not at planning
  if (!now.ok()) return std::move(now).error().with_context("reading AUTO_INCREMENT counters");
  std::set<std::string> wanted;
  for (const auto& t : tables) wanted.insert(t.qualified());
  int set = 0;
  for (const auto& t : *now) {
    // The filter's globs may match more names than the exact ones asked for.
    if (!t.auto_increment || wanted.count(t.qualified()) == 0) continue;
    if (Status s = target.execute(fmt::format("ALTER TABLE {} AUTO_INCREMENT = {}", t.sql_name(),
                                              *t.auto_increment));
        !s.ok()) {
      return std::move(s).error().with_context("setting AUTO_INCREMENT of " + t.qualified());
    }
    ++set;
  }
  return set;
}

}  // namespace tideway::replication::mysql
