#pragma once
// QUERY_EVENT (2): a statement (DDL, statement-based DML, BEGIN, COMMIT for
// non-transactional engines), with the session state it ran under. Also
// EXECUTE_LOAD_QUERY_EVENT (18), a QUERY with LOAD DATA file fields, and MariaDB's
// QUERY_COMPRESSED_EVENT (165), whose statement text is zlib-compressed.
// https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Query__event.html
//
//   post-header  4  thread_id
//                4  exec_time           seconds
//                1  schema_length
//                2  error_code
//                2  status_vars_length  (v4; absent in the 11-byte v3 post-header)
//      EXECUTE_LOAD_QUERY adds 4 file_id, 4 start_pos, 4 end_pos, 1 dup_handling
//   body         status_vars_length bytes of status variables: 1-byte code + value
//                schema_length bytes of schema name, then a NUL
//                the statement: the rest of the event
//
// Status variables have per-code lengths, so an unknown code ends the walk: its
// length cannot be known. The codes up to then are kept and the first unknown code is
// reported (`unknown_status_code`) rather than failing the event, as MySQL does.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/byte_reader.h"
#include "common/error.h"

namespace tideway::replication::mysql {

struct QueryStatusVars {
  std::optional<std::uint32_t> flags2;    // 0 Q_FLAGS2_CODE
  std::optional<std::uint64_t> sql_mode;  // 1 Q_SQL_MODE_CODE
  std::optional<std::string> catalog;     // 2 Q_CATALOG / 6 Q_CATALOG_NZ
  std::optional<std::pair<std::uint16_t, std::uint16_t>> auto_increment;  // 3 incr, offset
  /// 4 Q_CHARSET_CODE: character_set_client, collation_connection, collation_server.
  std::optional<std::array<std::uint16_t, 3>> charset;
  std::optional<std::string> time_zone;                        // 5
  std::optional<std::uint16_t> lc_time_names;                  // 7
  std::optional<std::uint16_t> charset_database;               // 8
  std::optional<std::uint64_t> table_map_for_update;           // 9
  std::optional<std::uint32_t> master_data_written;            // 10
  std::optional<std::pair<std::string, std::string>> invoker;  // 11 user, host
  /// 12 Q_UPDATED_DB_NAMES; empty with `over_max_dbs` when more than 16 were touched.
  std::optional<std::vector<std::string>> updated_db_names;
  bool over_max_dbs = false;
  std::optional<std::uint32_t> microseconds;                   // 13 Q_MICROSECONDS / 128 Q_HRNOW
  std::optional<bool> explicit_defaults_for_timestamp;         // 16
  std::optional<std::uint64_t> ddl_xid;                        // 17 Q_DDL_LOGGED_WITH_XID
  std::optional<std::uint16_t> default_collation_for_utf8mb4;  // 18
  std::optional<std::uint8_t> sql_require_primary_key;         // 19
  std::optional<std::uint8_t> default_table_encryption;        // 20
  std::optional<std::uint64_t> mariadb_xid;                    // 129 Q_XID (MariaDB)
  std::optional<std::uint8_t> mariadb_gtid_flags3;             // 130 Q_GTID_FLAGS3 (MariaDB)
  /// First code we could not read; later variables were skipped.
  std::optional<std::uint8_t> unknown_status_code;
};

/// The extra post-header of EXECUTE_LOAD_QUERY_EVENT.
struct ExecuteLoadInfo {
  std::uint32_t file_id = 0;
  std::uint32_t start_pos = 0;
  std::uint32_t end_pos = 0;
  std::uint8_t dup_handling = 0;
};

struct QueryEvent {
  std::uint32_t thread_id = 0;
  std::uint32_t exec_time = 0;
  std::uint16_t error_code = 0;
  std::string schema;
  std::string query;
  QueryStatusVars status;
  std::optional<ExecuteLoadInfo> execute_load;
};

enum class QueryVariant { kQuery, kExecuteLoadQuery, kMariaCompressed };

Result<QueryEvent> parse_query(ByteReader& body, std::size_t post_header_length,
                               QueryVariant variant);

/// Walks a status-variable block (exposed for tests).
Result<QueryStatusVars> parse_query_status_vars(ByteReader block);

}  // namespace tideway::replication::mysql
