#include "daemon/task_spec_json.h"

namespace tideway::daemon {
namespace {

nlohmann::json endpoint_json(const replication::Endpoint& e) {
  nlohmann::json j = {{"engine", replication::engine_name(e.engine)},
                      {"host", e.host},
                      {"port", e.port},
                      {"database", e.database},
                      {"user", e.user},
                      {"sslmode", e.sslmode}};
  if (!e.password_file.empty()) j["password_file"] = e.password_file;
  if (!e.password_env.empty()) j["password_env"] = e.password_env;
  return j;
}

}  // namespace

nlohmann::json task_spec_to_json(const replication::TaskSpec& spec) {
  return {{"id", spec.id},
          {"source", endpoint_json(spec.source)},
          {"target", endpoint_json(spec.target)},
          {"tables", {{"include", spec.tables.include}, {"exclude", spec.tables.exclude}}},
          {"mode", replication::task_mode_name(spec.mode)},
          {"full_load",
           {{"workers", spec.full_load.workers}, {"chunk_rows", spec.full_load.chunk_rows}}},
          {"schema", {{"create", spec.schema.create}}},
          {"postgresql",
           {{"slot_name", spec.postgres.slot_name},
            {"publication_name", spec.postgres.publication_name}}},
          {"mysql",
           {{"snapshot", replication::my_snapshot_mode_name(spec.mysql.snapshot)},
            {"signal_table", spec.mysql.signal_table},
            {"resume_by", replication::my_resume_by_name(spec.mysql.resume_by)}}}};
}

}  // namespace tideway::daemon
