#include "daemon/task_spec_parser.h"

#include <regex>

#include <fmt/format.h>

#include "daemon/yaml_reader.h"

namespace tideway::daemon {
namespace {

using replication::Endpoint;
using replication::Engine;
using replication::TaskMode;
using replication::TaskSpec;

constexpr const char* kTopKeys =
    "id, source, target, tables, mode, full_load, schema, postgresql, mysql";

Engine parse_engine(YamlMapReader& m) {
  const std::string e = m.required_string("engine");
  if (e == "postgresql" || e == "postgres") return Engine::kPostgresql;
  if (e == "mysql") return Engine::kMysql;
  if (e == "mariadb") return Engine::kMariadb;
  m.fail("engine", fmt::format("'{}' is not an engine; expected postgresql, mysql or mariadb", e));
}

Endpoint parse_endpoint(YamlMapReader& root, const std::string& key) {
  auto m = root.optional_map(key);
  if (!m) root.fail(key, "is required; expected a mapping with engine, host, port, database, "
                         "user and password_file or password_env");
  Endpoint e;
  e.engine = parse_engine(*m);
  e.host = m->optional_string("host").value_or("127.0.0.1");
  const std::int64_t default_port = e.engine == Engine::kPostgresql ? 5432 : 3306;
  e.port = static_cast<std::uint16_t>(m->optional_int("port", 1, 65535).value_or(default_port));
  e.database = m->required_string("database");
  e.user = m->required_string("user");
  m->forbid_literal_secret("password", "password_file: <path> or password_env: <VARIABLE>");
  e.password_file = m->optional_string("password_file").value_or("");
  e.password_env = m->optional_string("password_env").value_or("");
  if (e.password_file.empty() == e.password_env.empty()) {
    m->fail("password_file", "needs exactly one of password_file or password_env");
  }
  if (auto ssl = m->optional_string("sslmode")) {
    static const char* kModes[] = {"disable", "allow", "prefer", "require", "verify-ca",
                                   "verify-full"};
    bool known = false;
    for (const char* k : kModes) known = known || *ssl == k;
    if (!known) {
      m->fail("sslmode", fmt::format("'{}' is not valid; expected one of: disable, allow, "
                                     "prefer, require, verify-ca, verify-full", *ssl));
    }
    e.sslmode = *ssl;
  }
  m->finish("engine, host, port, database, user, password_file, password_env, sslmode");
  return e;
}

/// A PostgreSQL memory setting as the server accepts it: digits and a unit, `min_kb` to
/// INT_MAX kB. It goes into a SET statement, so nothing else may pass.
bool valid_memory_setting(const std::string& text, std::int64_t min_kb) {
  static const std::regex kSize("([0-9]{1,10})(kB|MB|GB)");
  std::smatch m;
  if (!std::regex_match(text, m, kSize)) return false;
  const std::int64_t n = std::stoll(m[1].str());
  const std::int64_t factor = m[2] == "kB" ? 1 : m[2] == "MB" ? 1024 : 1024 * 1024;
  if (n > std::int64_t{2147483647} / factor) return false;
  const std::int64_t kb = n * factor;
  return kb >= min_kb && kb <= 2147483647;
}

TaskSpec parse(const YAML::Node& node, const std::string& origin) {
  YamlMapReader root(node, origin, "");
  TaskSpec spec;
  spec.id = root.required_string("id");
  static const std::regex kId("[a-z0-9][a-z0-9-]{0,47}");
  if (!std::regex_match(spec.id, kId)) {
    root.fail("id", fmt::format("'{}' is not valid; expected 1-48 characters of a-z, 0-9 and "
                                "'-', starting with a letter or digit", spec.id));
  }
  spec.source = parse_endpoint(root, "source");
  spec.target = parse_endpoint(root, "target");

  if (auto t = root.optional_map("tables")) {
    if (auto inc = t->optional_string_list("include")) {
      if (inc->empty()) t->fail("include", "is empty; expected at least one pattern such as "
                                           "\"public.*\"");
      spec.tables.include = *inc;
    }
    if (auto exc = t->optional_string_list("exclude")) spec.tables.exclude = *exc;
    for (const auto& p : spec.tables.include) {
      if (p.find('.') == std::string::npos) {
        t->fail("include", fmt::format("pattern '{}' has no schema part; expected "
                                       "\"schema.table\" such as \"public.*\"", p));
      }
    }
    t->finish("include, exclude");
  }
  if (auto mode = root.optional_string("mode")) {
    if (*mode == "full_load") spec.mode = TaskMode::kFullLoad;
    else if (*mode == "cdc") spec.mode = TaskMode::kCdc;
    else if (*mode == "full_load_and_cdc") spec.mode = TaskMode::kFullLoadAndCdc;
    else root.fail("mode", fmt::format("'{}' is not a mode; expected full_load, cdc or "
                                       "full_load_and_cdc", *mode));
  }
  if (auto fl = root.optional_map("full_load")) {
    spec.full_load.workers = static_cast<int>(fl->optional_int("workers", 1, 64).value_or(4));
    spec.full_load.chunk_rows = fl->optional_int("chunk_rows", 100, 100000000).value_or(100000);
    fl->finish("workers, chunk_rows");
  }
  if (auto s = root.optional_map("schema")) {
    spec.schema.create = s->optional_bool("create").value_or(true);
    s->finish("create");
  }
  std::string default_slot = "tideway_" + spec.id;
  for (char& c : default_slot) c = c == '-' ? '_' : c;
  spec.postgres.slot_name = default_slot;
  spec.postgres.publication_name = default_slot;
  if (auto pg = root.optional_map("postgresql")) {
    static const std::regex kName("[a-z_][a-z0-9_]{0,62}");
    for (const char* key : {"slot_name", "publication_name"}) {
      if (auto v = pg->optional_string(key)) {
        if (!std::regex_match(*v, kName)) {
          pg->fail(key, fmt::format("'{}' is not valid; expected lower-case letters, digits and "
                                    "'_', at most 63 characters", *v));
        }
        (std::string(key) == "slot_name" ? spec.postgres.slot_name
                                         : spec.postgres.publication_name) = *v;
      }
    }
    if (auto mode = pg->optional_string("stream_in_progress")) {
      using replication::StreamInProgress;
      if (*mode == "auto") spec.postgres.stream_in_progress = StreamInProgress::kAuto;
      else if (*mode == "on") spec.postgres.stream_in_progress = StreamInProgress::kOn;
      else if (*mode == "off") spec.postgres.stream_in_progress = StreamInProgress::kOff;
      else pg->fail("stream_in_progress", fmt::format("'{}' is not valid; expected auto, on or "
                                                      "off", *mode));
    }
    if (auto mem = pg->optional_string("logical_decoding_work_mem")) {
      if (!valid_memory_setting(*mem, 64)) {
        pg->fail("logical_decoding_work_mem",
                 fmt::format("'{}' is not valid; expected a size with unit kB, MB or GB "
                             "between 64kB and 2147483647kB, such as 64MB", *mem));
      }
      spec.postgres.logical_decoding_work_mem = *mem;
    }
    if (auto mem = pg->optional_string("maintenance_work_mem")) {
      if (!valid_memory_setting(*mem, 1024)) {
        pg->fail("maintenance_work_mem",
                 fmt::format("'{}' is not valid; expected a size with unit kB, MB or GB "
                             "between 1MB and 2147483647kB, such as 512MB", *mem));
      }
      spec.postgres.maintenance_work_mem = *mem;
    }
    pg->finish("slot_name, publication_name, stream_in_progress, logical_decoding_work_mem, "
               "maintenance_work_mem");
  }
  if (auto my = root.optional_map("mysql")) {
    if (auto mode = my->optional_string("snapshot")) {
      if (*mode == "auto") spec.mysql.snapshot = replication::MySnapshotMode::kAuto;
      else if (*mode == "consistent_snapshot")
        spec.mysql.snapshot = replication::MySnapshotMode::kConsistentSnapshot;
      else if (*mode == "watermark") spec.mysql.snapshot = replication::MySnapshotMode::kWatermark;
      else my->fail("snapshot", fmt::format("'{}' is not a snapshot method; expected auto, "
                                            "consistent_snapshot or watermark", *mode));
    }
    if (auto table = my->optional_string("signal_table")) {
      // Plain identifiers only: the name goes into SQL and grant messages as it is.
      static const std::regex kTable("[A-Za-z0-9_$]{1,64}\\.[A-Za-z0-9_$]{1,64}");
      if (!std::regex_match(*table, kTable)) {
        my->fail("signal_table", fmt::format("'{}' is not valid; expected database.table, each "
                                             "1-64 characters of letters, digits, '_' and '$'",
                                             *table));
      }
      spec.mysql.signal_table = *table;
    }
    if (auto by = my->optional_string("resume_by")) {
      if (*by == "file") spec.mysql.resume_by = replication::MyResumeBy::kFile;
      else if (*by == "gtid") spec.mysql.resume_by = replication::MyResumeBy::kGtid;
      else my->fail("resume_by", fmt::format("'{}' is not a way to resume; expected file or gtid",
                                             *by));
    }
    my->finish("snapshot, signal_table, resume_by");
  }
  root.finish(kTopKeys);
  return spec;
}

}  // namespace

Result<TaskSpec> load_task_spec(const std::string& file) {
  try {
    return parse(load_yaml_mapping(file), file);
  } catch (const ConfigError& e) {
    return make_error(ErrorCode::kInvalidArgument, e.what());
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("{}:{}:{}: {}", file,
                                                               e.mark.line + 1, e.mark.column + 1,
                                                               e.msg));
  }
}

Result<TaskSpec> parse_task_spec(const std::string& yaml_text, const std::string& origin) {
  try {
    YAML::Node node;
    try {
      node = YAML::Load(yaml_text);
    } catch (const YAML::Exception& e) {
      throw ConfigError(fmt::format("{}:{}:{}: invalid YAML: {}", origin, e.mark.line + 1,
                                    e.mark.column + 1, e.msg));
    }
    return parse(node, origin);
  } catch (const ConfigError& e) {
    return make_error(ErrorCode::kInvalidArgument, e.what());
  }
}

}  // namespace tideway::daemon
