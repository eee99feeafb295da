#pragma once
// MySQL GTID events: the GTID that starts each transaction, and the set of GTIDs that
// precede a file. (MariaDB's GTIDs have another shape: mariadb_events.h.)
// https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Gtid__event.html
//
// GTID_LOG_EVENT (33) / ANONYMOUS_GTID_LOG_EVENT (34), fixed offsets; each later field
// exists only if the server version wrote it, which the remaining length tells:
//   1   flags             bit 0: may contain statement-based events
//   16  sid               source server UUID (all zero for anonymous)
//   8   gno               transaction number (0 for anonymous)
//   1   lc_typecode = 2   5.7+: logical clock follows
//   8   last_committed
//   8   sequence_number
//   7   immediate_commit_timestamp  8.0.1+, microseconds; bit 55 set: original follows
//   7   original_commit_timestamp
//   *   transaction_length          packed integer
//   4   immediate_server_version    bit 31 set: original follows
//   4   original_server_version
//   8   commit_group_ticket         8.0.33+ (optional)
//
// GTID_TAGGED_LOG_EVENT (42, MySQL 8.4+): the same fields in the MySQL serialization
// format: 1 version byte (2), then varlen payload_size, varlen
// last_non_ignorable_field_id, then (varlen field id, value)* with ids 0 flags,
// 1 sid (16 varlen bytes), 2 gno (zig-zag), 3 tag (varlen length + text),
// 4 last_committed, 5 sequence_number (zig-zag), 6/7 commit timestamps, 8 length,
// 9/10 server versions, 11 commit_group_ticket. A varlen integer stores its byte count
// as the number of trailing 1 bits of its first byte (plus one); 0xff = 8 raw bytes.
//
// PREVIOUS_GTIDS_LOG_EVENT (35): a GTID set, as Gtid_set::encode writes it:
//   8   n_sids; tagged format (8.4+) when the top byte is 1: then n_sids = bits 8..55
//   per sid: 16 uuid, [tagged: varlen tag length + tag], 8 n_intervals,
//            n_intervals x (8 start, 8 end)   end exclusive

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/byte_reader.h"
#include "common/error.h"

namespace tideway::replication::mysql {

struct GtidEvent {
  bool anonymous = false;
  bool tagged_format = false;  // came from a GTID_TAGGED event
  std::uint8_t flags = 0;
  std::array<std::uint8_t, 16> sid{};
  std::string tag;  // empty when untagged
  std::int64_t gno = 0;
  std::optional<std::int64_t> last_committed;
  std::optional<std::int64_t> sequence_number;
  std::optional<std::uint64_t> immediate_commit_timestamp;  // microseconds since epoch
  std::optional<std::uint64_t> original_commit_timestamp;
  std::optional<std::uint64_t> transaction_length;
  std::optional<std::uint32_t> immediate_server_version;
  std::optional<std::uint32_t> original_server_version;
  std::optional<std::uint64_t> commit_group_ticket;

  /// "uuid:gno" or "uuid:tag:gno" (MySQL's text form); "ANONYMOUS" for anonymous ones.
  std::string gtid_text() const;
};

struct GtidInterval {
  std::int64_t start = 0;  // inclusive
  std::int64_t end = 0;    // exclusive
};

struct GtidSetEntry {
  std::array<std::uint8_t, 16> sid{};
  std::string tag;
  std::vector<GtidInterval> intervals;
};

struct PreviousGtidsEvent {
  bool tagged_format = false;
  std::vector<GtidSetEntry> entries;

  /// MySQL's text form: "uuid:1-13,uuid:mytag:1-2" (intervals inclusive).
  std::string gtid_set_text() const;
};

Result<GtidEvent> parse_gtid(ByteReader& body, std::size_t post_header_length, bool anonymous);
Result<GtidEvent> parse_gtid_tagged(ByteReader& body, std::size_t post_header_length);
Result<PreviousGtidsEvent> parse_previous_gtids(ByteReader& body, std::size_t post_header_length);

/// Reads one MySQL-serialization varlen unsigned integer; fails the reader if truncated.
std::uint64_t read_serialized_varlen(ByteReader& r);

}  // namespace tideway::replication::mysql
