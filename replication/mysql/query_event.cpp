#include "replication/mysql/query_event.h"

#include "replication/mysql/mariadb_compression.h"
#include "replication/mysql/parse_util.h"

namespace tideway::replication::mysql {
namespace {

constexpr std::size_t kQueryPostHeader = 13;
constexpr std::size_t kExecuteLoadPostHeader = kQueryPostHeader + 13;
// Server limit on Q_UPDATED_DB_NAMES entries; the value 254 means "more than that".
constexpr std::uint8_t kMaxDbsInEvent = 16;
constexpr std::uint8_t kOverMaxDbs = 254;
// max_allowed_packet's ceiling: no statement can be longer.
constexpr std::size_t kMaxStatementSize = std::size_t{1} << 30;

// A length-prefixed (1 byte) string value of a status variable.
bool read_short_string(ByteReader& r, std::string& out) {
  const std::uint8_t length = r.u8();
  if (!r.ok() || !r.can_read(length)) return false;
  out = std::string(r.chars(length));
  return true;
}

// Reads one variable's value; false = its bytes are not all there.
bool read_status_var(std::uint8_t code, ByteReader& r, QueryStatusVars& v, bool& known) {
  known = true;
  switch (code) {
    case 0:
      v.flags2 = r.u32_le();
      break;
    case 1:
      v.sql_mode = r.u64_le();
      break;
    case 2: {  // Q_CATALOG_CODE (5.0.0-5.0.3): length, text, NUL
      std::string catalog;
      if (!read_short_string(r, catalog)) return false;
      r.skip(1);
      v.catalog = std::move(catalog);
      break;
    }
    case 3: {
      const std::uint16_t increment = r.u16_le();
      const std::uint16_t offset = r.u16_le();
      v.auto_increment = std::make_pair(increment, offset);
      break;
    }
    case 4: {
      std::array<std::uint16_t, 3> cs{};
      for (auto& c : cs) c = r.u16_le();
      v.charset = cs;
      break;
    }
    case 5: {
      std::string tz;
      if (!read_short_string(r, tz)) return false;
      v.time_zone = std::move(tz);
      break;
    }
    case 6: {
      std::string catalog;
      if (!read_short_string(r, catalog)) return false;
      v.catalog = std::move(catalog);
      break;
    }
    case 7:
      v.lc_time_names = r.u16_le();
      break;
    case 8:
      v.charset_database = r.u16_le();
      break;
    case 9:
      v.table_map_for_update = r.u64_le();
      break;
    case 10:
      v.master_data_written = r.u32_le();
      break;
    case 11: {
      std::string user;
      std::string host;
      if (!read_short_string(r, user) || !read_short_string(r, host)) return false;
      v.invoker = std::make_pair(std::move(user), std::move(host));
      break;
    }
    case 12: {
      const std::uint8_t count = r.u8();
      if (!r.ok()) return false;
      std::vector<std::string> names;
      if (count == kOverMaxDbs) {
        v.over_max_dbs = true;
      } else {
        if (count > kMaxDbsInEvent) return false;
        for (std::uint8_t i = 0; i < count; ++i) {
          const std::string_view name = r.cstring();
          if (!r.ok()) return false;
          names.emplace_back(name);
        }
      }
      v.updated_db_names = std::move(names);
      break;
    }
    case 13:
    case 128:
      v.microseconds = r.u24_le();
      break;
    case 16:
      v.explicit_defaults_for_timestamp = r.u8() != 0;
      break;
    case 17:
      v.ddl_xid = r.u64_le();
      break;
    case 18:
      v.default_collation_for_utf8mb4 = r.u16_le();
      break;
    case 19:
      v.sql_require_primary_key = r.u8();
      break;
    case 20:
      v.default_table_encryption = r.u8();
      break;
    case 129:
      v.mariadb_xid = r.u64_le();
      break;
    case 130:
      v.mariadb_gtid_flags3 = r.u8();
      break;
    default:
      known = false;
      return true;
  }
  return r.ok();
}

}  // namespace

Result<QueryStatusVars> parse_query_status_vars(ByteReader block) {
  QueryStatusVars vars;
  while (!block.at_end()) {
    const std::size_t at = block.position();
    const std::uint8_t code = block.u8();
    bool known = true;
    if (!read_status_var(code, block, vars, known)) {
      return corrupt("status variable " + std::to_string(code) + " at status offset " +
                     std::to_string(at) + " runs past the status block");
    }
    if (!known) {
      vars.unknown_status_code = code;
      break;
    }
  }
  return vars;
}

Result<QueryEvent> parse_query(ByteReader& body, std::size_t post_header_length,
                               QueryVariant variant) {
  const bool execute_load = variant == QueryVariant::kExecuteLoadQuery;
  const std::size_t needed = execute_load ? kExecuteLoadPostHeader : kQueryPostHeader;
  const char* name = execute_load ? "EXECUTE_LOAD_QUERY" : "QUERY";
  if (auto s = check_post_header(post_header_length, needed, name); !s.ok()) return s.error();

  QueryEvent ev;
  ev.thread_id = body.u32_le();
  ev.exec_time = body.u32_le();
  const std::uint8_t schema_length = body.u8();
  ev.error_code = body.u16_le();
  const std::uint16_t status_length = body.u16_le();
  if (execute_load) {
    ExecuteLoadInfo info;
    info.file_id = body.u32_le();
    info.start_pos = body.u32_le();
    info.end_pos = body.u32_le();
    info.dup_handling = body.u8();
    ev.execute_load = info;
  }
  body.skip(post_header_length - needed);
  if (!body.ok()) return truncated(std::string(name) + " post-header", post_header_length, 0);

  if (status_length > body.remaining()) {
    return corrupt(std::string(name) + " status block of " + std::to_string(status_length) +
                   " bytes exceeds the " + std::to_string(body.remaining()) +
                   " bytes left in the event");
  }
  auto status = parse_query_status_vars(ByteReader(body.bytes(status_length)));
  if (!status.ok()) return std::move(status).error().with_context(name);
  ev.status = std::move(*status);

  // Schema name, then a NUL the length does not count.
  if (std::size_t{schema_length} + 1 > body.remaining()) {
    return truncated(std::string(name) + " schema name", schema_length + 1U, body.remaining());
  }
  ev.schema = std::string(body.chars(schema_length));
  if (body.u8() != 0) return corrupt(std::string(name) + " schema name is not NUL-terminated");

  const auto text = body.rest();
  if (variant == QueryVariant::kMariaCompressed) {
    auto inflated = mariadb_uncompress(text, kMaxStatementSize);
    if (!inflated.ok()) return std::move(inflated).error().with_context("QUERY_COMPRESSED");
    ev.query = std::move(*inflated);
  } else {
    ev.query.assign(reinterpret_cast<const char*>(text.data()), text.size());
  }
  return ev;
}

}  // namespace tideway::replication::mysql
