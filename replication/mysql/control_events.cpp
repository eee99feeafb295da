#include "replication/mysql/control_events.h"

#include "replication/mysql/parse_util.h"

namespace tideway::replication::mysql {
namespace {

// MySQL's FN_REFLEN: no binlog file name is longer.
constexpr std::size_t kMaxFileNameLength = 512;
// MAXGTRIDSIZE / MAXBQUALSIZE of the XA standard.
constexpr std::uint32_t kMaxXidPartLength = 64;

// For events whose whole body has a fixed size: anything else means we are reading
// something that is not this event (wrong boundary, foreign numbering).
Status expect_body_size(const ByteReader& body, std::size_t size, std::string_view event) {
  if (body.remaining() != size) {
    return corrupt(std::string(event) + " body is " + std::to_string(body.remaining()) +
                   " bytes, expected " + std::to_string(size));
  }
  return Status::ok_status();
}

// Types that never had a post-header: a declared one means another event layout.
Status check_no_post_header(std::size_t declared, std::string_view event) {
  if (declared != 0) {
    return corrupt("FORMAT_DESCRIPTION declares a " + std::to_string(declared) +
                   "-byte post-header for " + std::string(event) +
                   ", which has none (foreign or pre-GA event numbering?)");
  }
  return Status::ok_status();
}

}  // namespace

Result<RotateEvent> parse_rotate(ByteReader& body, std::size_t post_header_length) {
  if (auto s = check_post_header(post_header_length, 8, "ROTATE"); !s.ok()) return s.error();
  RotateEvent ev;
  ev.position = body.u64_le();
  body.skip(post_header_length - 8);
  if (!body.ok()) return corrupt("ROTATE post-header truncated");
  if (body.remaining() > kMaxFileNameLength) {
    return corrupt("ROTATE file name is " + std::to_string(body.remaining()) +
                   " bytes, longer than the 512-byte maximum");
  }
  ev.next_file = std::string(body.chars(body.remaining()));
  return ev;
}

Result<XidEvent> parse_xid(ByteReader& body, std::size_t post_header_length) {
  if (auto s = check_no_post_header(post_header_length, "XID"); !s.ok()) return s.error();
  if (auto s = expect_body_size(body, 8, "XID"); !s.ok()) return s.error();
  return XidEvent{body.u64_le()};
}

Result<IntvarEvent> parse_intvar(ByteReader& body, std::size_t post_header_length) {
  if (auto s = check_no_post_header(post_header_length, "INTVAR"); !s.ok()) return s.error();
  if (auto s = expect_body_size(body, 9, "INTVAR"); !s.ok()) return s.error();
  IntvarEvent ev;
  ev.kind = body.u8();
  ev.value = body.u64_le();
  return ev;
}

Result<RandEvent> parse_rand(ByteReader& body, std::size_t post_header_length) {
  if (auto s = check_no_post_header(post_header_length, "RAND"); !s.ok()) return s.error();
  if (auto s = expect_body_size(body, 16, "RAND"); !s.ok()) return s.error();
  RandEvent ev;
  ev.seed1 = body.u64_le();
  ev.seed2 = body.u64_le();
  return ev;
}

Result<UserVarEvent> parse_user_var(ByteReader& body, std::size_t post_header_length) {
  body.skip(post_header_length);
  UserVarEvent ev;
  const std::uint32_t name_length = body.u32_le();
  if (!body.ok()) return corrupt("USER_VAR name length truncated");
  auto name = read_bytes(body, name_length, "USER_VAR name");
  if (!name.ok()) return name.error();
  ev.name = std::move(*name);
  ev.is_null = body.u8() != 0;
  if (!body.ok()) return corrupt("USER_VAR null flag truncated");
  if (ev.is_null) return ev;
  ev.value_type = body.u8();
  ev.charset = body.u32_le();
  const std::uint32_t value_length = body.u32_le();
  if (!body.ok()) return corrupt("USER_VAR value header truncated");
  if (ev.value_type > 4) {
    return corrupt("USER_VAR value type " + std::to_string(ev.value_type) + " is unknown");
  }
  auto value = read_bytes(body, value_length, "USER_VAR value");
  if (!value.ok()) return value.error();
  ev.value = std::move(*value);
  if (!body.at_end()) ev.flags = body.u8();
  return ev;
}

Result<IncidentEvent> parse_incident(ByteReader& body, std::size_t post_header_length) {
  if (auto s = check_post_header(post_header_length, 2, "INCIDENT"); !s.ok()) {
    return s.error();
  }
  IncidentEvent ev;
  ev.incident = body.u16_le();
  body.skip(post_header_length - 2);
  if (!body.ok()) return corrupt("INCIDENT post-header truncated");
  if (body.at_end()) return ev;  // old servers wrote no message at all
  const std::uint8_t length = body.u8();
  auto message = read_bytes(body, length, "INCIDENT message");
  if (!message.ok()) return message.error();
  ev.message = std::move(*message);
  return ev;
}

Result<HeartbeatEvent> parse_heartbeat(ByteReader& body, std::size_t post_header_length) {
  body.skip(post_header_length);
  if (!body.ok()) return corrupt("HEARTBEAT post-header truncated");
  if (body.remaining() > kMaxFileNameLength) return corrupt("HEARTBEAT file name too long");
  HeartbeatEvent ev;
  ev.log_file = std::string(body.chars(body.remaining()));
  return ev;
}

Result<HeartbeatEvent> parse_heartbeat_v2(ByteReader& body, std::size_t post_header_length) {
  body.skip(post_header_length);
  HeartbeatEvent ev;
  while (body.ok() && !body.at_end()) {
    const std::uint64_t type = body.lenenc_int();
    if (type == 0) break;  // end mark
    const std::uint64_t length = body.lenenc_int();
    if (!body.ok() || length > body.remaining()) return corrupt("HEARTBEAT_V2 field truncated");
    ByteReader field(body.bytes(static_cast<std::size_t>(length)));
    if (type == 1) {
      if (length > kMaxFileNameLength) return corrupt("HEARTBEAT_V2 file name too long");
      ev.log_file = std::string(field.chars(field.remaining()));
    } else if (type == 2) {
      ev.log_position = field.lenenc_int();
      if (!field.ok()) return corrupt("HEARTBEAT_V2 position field malformed");
    }  // other types: newer fields, skipped as their length allows
  }
  if (!body.ok()) return corrupt("HEARTBEAT_V2 field header truncated");
  return ev;
}

Result<XaPrepareEvent> parse_xa_prepare(ByteReader& body, std::size_t post_header_length) {
  body.skip(post_header_length);
  XaPrepareEvent ev;
  ev.one_phase = body.u8() != 0;
  ev.format_id = static_cast<std::int32_t>(body.u32_le());
  const std::uint32_t gtrid_length = body.u32_le();
  const std::uint32_t bqual_length = body.u32_le();
  if (!body.ok()) return corrupt("XA_PREPARE fixed part truncated");
  if (gtrid_length > kMaxXidPartLength || bqual_length > kMaxXidPartLength) {
    return corrupt("XA_PREPARE xid parts of " + std::to_string(gtrid_length) + " and " +
                   std::to_string(bqual_length) + " bytes exceed the 64-byte maximum");
  }
  auto gtrid = read_bytes(body, gtrid_length, "XA_PREPARE gtrid");
  if (!gtrid.ok()) return gtrid.error();
  auto bqual = read_bytes(body, bqual_length, "XA_PREPARE bqual");
  if (!bqual.ok()) return bqual.error();
  ev.gtrid = std::move(*gtrid);
  ev.bqual = std::move(*bqual);
  return ev;
}

Result<RowsQueryEvent> parse_rows_query(ByteReader& body, std::size_t post_header_length) {
  body.skip(post_header_length);
  body.skip(1);
  if (!body.ok()) return corrupt("ROWS_QUERY length byte missing");
  return RowsQueryEvent{std::string(body.chars(body.remaining()))};
}

Result<LoadBlockEvent> parse_load_block(ByteReader& body, std::size_t post_header_length) {
  if (auto s = check_post_header(post_header_length, 4, "LOAD DATA block"); !s.ok()) {
    return s.error();
  }
  LoadBlockEvent ev;
  ev.file_id = body.u32_le();
  body.skip(post_header_length - 4);
  if (!body.ok()) return corrupt("LOAD DATA block post-header truncated");
  ev.block_size = body.remaining();
  return ev;
}

}  // namespace tideway::replication::mysql
