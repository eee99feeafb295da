#include "daemon/task_engine.h"

#include <fmt/format.h>

#include "daemon/task_engine_impl.h"

namespace tideway::daemon {
namespace {

bool is_mysql_family(replication::Engine e) {
  return e == replication::Engine::kMysql || e == replication::Engine::kMariadb;
}

}  // namespace

Result<std::unique_ptr<TaskEngine>> make_task_engine(const replication::TaskSpec& spec,
                                                     storage::StateStore& store) {
  using replication::Engine;
  if (spec.source.engine == Engine::kPostgresql && spec.target.engine == Engine::kPostgresql) {
    return make_pg_task_engine(spec, store);
  }
  if (is_mysql_family(spec.source.engine) && is_mysql_family(spec.target.engine)) {
    return make_my_task_engine(spec, store);
  }
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("a {} -> {} task cannot run in this build; it migrates "
                                "postgresql -> postgresql and mysql/mariadb -> mysql/mariadb",
                                replication::engine_name(spec.source.engine),
                                replication::engine_name(spec.target.engine)));
}

}  // namespace tideway::daemon
