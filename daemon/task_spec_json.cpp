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

nlohmann::json postgres_json(const replication::PostgresOptions& pg) {
  nlohmann::json j = {{"slot_name", pg.slot_name},
                      {"publication_name", pg.publication_name},
                      {"stream_in_progress", replication::stream_in_progress_name(
                                                 pg.stream_in_progress)},
                      {"maintenance_work_mem", pg.maintenance_work_mem}};
  if (!pg.logical_decoding_work_mem.empty()) {
    j["logical_decoding_work_mem"] = pg.logical_decoding_work_mem;
  }
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
          {"postgresql", postgres_json(spec.postgres)},
          {"mysql",
           {{"snapshot", replication::my_snapshot_mode_name(spec.mysql.snapshot)},
            {"signal_table", spec.mysql.signal_table},
            {"resume_by", replication::my_resume_by_name(spec.mysql.resume_by)}}}};
}

}  // namespace tideway::daemon
