#pragma once
// BinlogEvent: one decoded binlog event, its header and a typed body. Every event type
// the decoder knows has its own struct (declared, with its wire layout, in the header
// of its family); everything else is an UnknownEvent that keeps its bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "replication/mysql/control_events.h"
#include "replication/mysql/event_header.h"
#include "replication/mysql/format_description_event.h"
#include "replication/mysql/gtid_events.h"
#include "replication/mysql/mariadb_events.h"
#include "replication/mysql/query_event.h"
#include "replication/mysql/rows_event.h"
#include "replication/mysql/table_map_event.h"
#include "replication/mysql/transaction_payload_event.h"

namespace tideway::replication::mysql {

struct BinlogEvent;

/// A TRANSACTION_PAYLOAD with its inflated events, decoded in order. Their offsets count
/// from the start of the inflated payload.
struct TransactionPayloadEvent {
  TransactionPayloadHeader header;
  std::vector<BinlogEvent> events;
};

using EventBody =
    std::variant<UnknownEvent, FormatDescriptionEvent, RotateEvent, StopEvent, QueryEvent, XidEvent,
                 IntvarEvent, RandEvent, UserVarEvent, IncidentEvent, HeartbeatEvent,
                 XaPrepareEvent, RowsQueryEvent, LoadBlockEvent, GtidEvent, PreviousGtidsEvent,
                 MariaGtidEvent, MariaGtidListEvent, MariaBinlogCheckpointEvent,
                 MariaAnnotateRowsEvent, MariaStartEncryptionEvent, TableMapEvent, RowsEvent,
                 TransactionPayloadEvent>;

struct BinlogEvent {
  /// Where the event starts: a byte offset in its file, or in its TRANSACTION_PAYLOAD.
  /// Unlike header.log_pos this does not wrap at 4 GiB and is right in relay logs.
  std::uint64_t offset = 0;
  EventHeader header;
  /// The CRC32 the event carried, when it carried one.
  std::optional<std::uint32_t> checksum;
  EventBody body;

  std::uint64_t next_offset() const { return offset + header.event_size; }
  /// "WRITE_ROWS_V2", "MARIA_GTID", "UNKNOWN_99", ...
  std::string type_name() const { return event_type_name(header.type_code); }
  template <typename T>
  const T* get_if() const {
    return std::get_if<T>(&body);
  }
};

}  // namespace tideway::replication::mysql
