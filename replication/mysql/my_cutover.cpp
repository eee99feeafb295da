#include "replication/mysql/my_cutover.h"

#include <fmt/format.h>

#include "replication/mysql/my_catalog.h"
#include "replication/mysql/my_connection.h"
#include "replication/mysql/my_schema.h"
#include "replication/mysql/my_schema_steps.h"
#include "replication/mysql/my_stream.h"

namespace tideway::replication::mysql {

Result<FenceChange> set_read_only(const TaskSpec& spec, bool on) {
  auto conn = MyConnection::connect(spec.source, {SessionKind::kSource, false, false, 10});
  if (!conn.ok()) return std::move(conn).error().with_context("setting the read_only fence");
  auto now = (*conn)->query("SELECT @@GLOBAL.read_only");
  if (!now.ok()) return std::move(now).error().with_context("reading read_only");
  const bool is_on = now->as_int(0, 0) != 0;
  if (is_on == on) {
    return FenceChange{fmt::format("read_only was already {} on {}; left as it is",
                                   on ? "ON" : "OFF", spec.source.describe()),
                       false};
  }
  // SET GLOBAL read_only waits for transactions that hold locks; 10 s is plenty for a
  // healthy commit and keeps a forgotten open session from hanging the cutover.
  if (Status s = (*conn)->execute("SET SESSION lock_wait_timeout = 10"); !s.ok()) {
    return std::move(s).error();
  }
  Status set = (*conn)->execute(fmt::format("SET GLOBAL read_only = {}", on ? "ON" : "OFF"));
  if (!set.ok()) {
    if (set.error().code == ErrorCode::kPermissionDenied) {
      return make_error(
          ErrorCode::kPermissionDenied,
          fmt::format("{}: the migration user may not SET GLOBAL read_only ({}); grant READ_ONLY "
                      "ADMIN (MariaDB 10.5+) or SYSTEM_VARIABLES_ADMIN (MySQL 8), or on "
                      "Aurora/RDS set read_only = 1 in the DB parameter group yourself and "
                      "use fence \"none\"",
                      spec.source.describe(), set.error().message));
    }
    return std::move(set).error().with_context(
        "SET GLOBAL read_only (a session holding locks for more than lock_wait_timeout = 10 s "
        "blocks it; end that session or use fence \"none\")");
  }
  return FenceChange{fmt::format("SET GLOBAL read_only = {} on {}{}", on ? "ON" : "OFF",
                                 spec.source.describe(),
                                 on ? " (users with SUPER/READ_ONLY ADMIN can still write)" : ""),
                     true};
}

Result<BinlogPosition> mark_cutover_point(const TaskSpec& spec) {
  auto p = current_binlog_position(spec.source);
  if (!p.ok()) return std::move(p).error().with_context("reading the cutover point");
  return p;
}

Result<std::string> finish_mysql_target(const TaskSpec& spec) {
  auto source = MyConnection::connect(spec.source, {SessionKind::kSource, true, false, 10});
  if (!source.ok()) return std::move(source).error().with_context("finishing the target");
  auto target = MyConnection::connect(spec.target, {SessionKind::kTarget, false, false, 10});
  if (!target.ok()) return std::move(target).error().with_context("finishing the target");
  auto tables = list_tables(**source, spec.tables);
  if (!tables.ok()) return std::move(tables).error();
  std::string done;
  if (spec.schema.create) {
    auto plan = plan_schema(**source, *tables, spec.tables);
    if (!plan.ok()) return std::move(plan).error();
    if (Status s = run_schema_step(**target, spec.id, "at_cutover", plan->at_cutover); !s.ok()) {
      return std::move(s).error();
    }
    done = fmt::format("{} triggers created; ", plan->at_cutover.size());
  }
  auto counters = sync_auto_increment(**source, **target, *tables);
  if (!counters.ok()) return std::move(counters).error();
  return done + fmt::format("{} AUTO_INCREMENT counters set to at least the source's",
                            *counters);
}

}  // namespace tideway::replication::mysql
