#pragma once
// Small fixed-layout events: transaction boundaries (XID, XA_PREPARE), file control
// (ROTATE, STOP, HEARTBEAT), statement context (INTVAR, RAND, USER_VAR, ROWS_QUERY),
// INCIDENT, the LOAD DATA blocks, and the catch-all for types we do not decode.
// Each parser gets the event body (after the common header, CRC32 already hidden) and
// the post-header length FORMAT_DESCRIPTION declared for the type.
// Layouts:
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_replication_binlog_event.html

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/byte_reader.h"
#include "common/error.h"

namespace tideway::replication::mysql {

/// ROTATE_EVENT (4): the stream continues in another file.
///   post-header  8  position   offset of the first event to read in the next file
///   body         *  next_file  file name, not NUL-terminated (at most 512 bytes)
struct RotateEvent {
  std::uint64_t position = 0;
  std::string next_file;
};

/// XID_EVENT (16): COMMIT of a transaction on a transactional engine.
///   body  8  xid  the server's internal transaction id
struct XidEvent {
  std::uint64_t xid = 0;
};

/// STOP_EVENT (3): the server shut down cleanly; nothing follows in this file.
struct StopEvent {};

/// INTVAR_EVENT (5): the LAST_INSERT_ID / INSERT_ID a following statement used.
///   body  1  kind   1 = LAST_INSERT_ID, 2 = INSERT_ID
///         8  value
struct IntvarEvent {
  std::uint8_t kind = 0;
  std::uint64_t value = 0;
};

/// RAND_EVENT (13): the RAND() seeds a following statement used.
///   body  8 seed1, 8 seed2
struct RandEvent {
  std::uint64_t seed1 = 0;
  std::uint64_t seed2 = 0;
};

/// USER_VAR_EVENT (14): a user variable a following statement read.
///   body  4  name_length, name, 1 is_null;
///         unless null: 1 value_type (0 string, 1 real, 2 int, 4 decimal),
///         4 charset (collation id), 4 value_length, value, [1 flags (bit 0 = unsigned)]
struct UserVarEvent {
  std::string name;
  bool is_null = false;
  std::uint8_t value_type = 0;
  std::uint32_t charset = 0;
  std::string value;
  std::optional<std::uint8_t> flags;
};

/// INCIDENT_EVENT (26): something happened on the source that the stream cannot show
/// (e.g. lost events). A consumer must stop: what follows may be inconsistent.
///   post-header  2  incident  1 = LOST_EVENTS (other numbers are kept as found)
///   body         1  message_length, message
struct IncidentEvent {
  std::uint16_t incident = 0;
  std::string message;
};

/// HEARTBEAT_LOG_EVENT (27) / HEARTBEAT_LOG_EVENT_V2 (41): sent by a source during idle
/// periods on the replication connection; never stored in a file.
///   v1 body: the current binlog file name (its position is the header's log_pos)
///   v2 body: fields as in TRANSACTION_PAYLOAD (type, length, value; all packed
///            integers): 1 = file name, 2 = position, 0 = end mark
struct HeartbeatEvent {
  std::string log_file;
  std::optional<std::uint64_t> log_position;
};

/// XA_PREPARE_LOG_EVENT (38): XA PREPARE of an XA transaction (its end, for the binlog).
///   body  1 one_phase, 4 format_id, 4 gtrid_length, 4 bqual_length, gtrid, bqual
struct XaPrepareEvent {
  bool one_phase = false;
  std::int32_t format_id = 0;
  std::string gtrid;
  std::string bqual;
};

/// ROWS_QUERY_LOG_EVENT (29): the statement text behind the following row events
/// (binlog_rows_query_log_events=ON).
///   body  1 length (ignored: truncated to 255 by the server), then the text
struct RowsQueryEvent {
  std::string query;
};

/// BEGIN_LOAD_QUERY_EVENT (17) / APPEND_BLOCK_EVENT (9): a chunk of a LOAD DATA file.
///   post-header  4  file_id;  body: the block (only its size is kept)
struct LoadBlockEvent {
  std::uint32_t file_id = 0;
  std::uint64_t block_size = 0;
};

/// Any event type we do not decode: unknown codes, and old types with no meaning for a
/// change stream (LOAD, CREATE_FILE, TRANSACTION_CONTEXT, VIEW_CHANGE...). The header
/// tells whether the source marked it ignorable; the body is kept as bytes.
struct UnknownEvent {
  std::string body;
};

Result<RotateEvent> parse_rotate(ByteReader& body, std::size_t post_header_length);
Result<XidEvent> parse_xid(ByteReader& body, std::size_t post_header_length);
Result<IntvarEvent> parse_intvar(ByteReader& body, std::size_t post_header_length);
Result<RandEvent> parse_rand(ByteReader& body, std::size_t post_header_length);
Result<UserVarEvent> parse_user_var(ByteReader& body, std::size_t post_header_length);
Result<IncidentEvent> parse_incident(ByteReader& body, std::size_t post_header_length);
Result<HeartbeatEvent> parse_heartbeat(ByteReader& body, std::size_t post_header_length);
Result<HeartbeatEvent> parse_heartbeat_v2(ByteReader& body, std::size_t post_header_length);
Result<XaPrepareEvent> parse_xa_prepare(ByteReader& body, std::size_t post_header_length);
Result<RowsQueryEvent> parse_rows_query(ByteReader& body, std::size_t post_header_length);
Result<LoadBlockEvent> parse_load_block(ByteReader& body, std::size_t post_header_length);

}  // namespace tideway::replication::mysql
