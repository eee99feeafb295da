#pragma once
// The common header every v4 binlog event starts with (MySQL 5.0+ and all MariaDB).
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_replication_binlog_event.html
//
//   offset  size  field
//   0       4     timestamp     seconds since the epoch when the statement began
//   4       1     type_code     EventType
//   5       4     server_id     server that first wrote the event
//   9       4     event_size    header + post-header + body + checksum
//   13      4     log_pos       position of the NEXT event in the source's binlog (0 for
//                               artificial events and events inside a TRANSACTION_PAYLOAD;
//                               wraps at 4 GiB, so the reader tracks real offsets itself)
//   17      2     flags         LOG_EVENT_*_F

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.h"
#include "replication/mysql/event_type.h"

namespace tideway::replication::mysql {

inline constexpr std::size_t kEventHeaderSize = 19;

struct EventHeader {
  std::uint32_t timestamp = 0;
  std::uint8_t type_code = 0;
  std::uint32_t server_id = 0;
  std::uint32_t event_size = 0;
  std::uint32_t log_pos = 0;
  std::uint16_t flags = 0;

  EventType type() const { return static_cast<EventType>(type_code); }
  bool ignorable() const { return (flags & kLogEventIgnorableFlag) != 0; }
  bool artificial() const { return (flags & kLogEventArtificialFlag) != 0; }
};

/// Reads the 19-byte header at the start of `bytes`. Fails if fewer than 19 bytes are
/// given or if event_size is smaller than the header itself (such a size would make a
/// reader loop on the same offset forever).
Result<EventHeader> parse_event_header(std::span<const std::uint8_t> bytes);

}  // namespace tideway::replication::mysql
