#include "daemon/task_engine.h"

#include <chrono>

#include <fmt/format.h>

#include "daemon/task_engine_impl.h"

namespace tideway::daemon {
namespace {

bool is_mysql_family(replication::Engine e) {
  return e == replication::Engine::kMysql || e == replication::Engine::kMariadb;
}

}  // namespace

double MovementClock::age_seconds(std::uint64_t position) const {
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  std::lock_guard lock(mutex_);
  if (moved_at_us_ == 0 || position != last_) {
    last_ = position;
    moved_at_us_ = now_us;
  }
  return static_cast<double>(now_us - moved_at_us_) / 1e6;
}

Status check_engine_pair(const replication::TaskSpec& spec) {
  using replication::Engine;
  const bool pg = spec.source.engine == Engine::kPostgresql &&
                  spec.target.engine == Engine::kPostgresql;
  const bool my = is_mysql_family(spec.source.engine) && is_mysql_family(spec.target.engine);
  if (pg || my) return {};
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("a {} -> {} task cannot run in this build; it migrates "
                                "postgresql -> postgresql and mysql/mariadb -> mysql/mariadb",
                                replication::engine_name(spec.source.engine),
                                replication::engine_name(spec.target.engine)));
}

Result<std::unique_ptr<TaskEngine>> make_task_engine(const replication::TaskSpec& spec,
                                                     storage::StateStore& store) {
  if (Status s = check_engine_pair(spec); !s.ok()) return std::move(s).error();
  if (spec.source.engine == replication::Engine::kPostgresql) {
    return make_pg_task_engine(spec, store);
  }
  return make_my_task_engine(spec, store);
}

}  // namespace tideway::daemon
