#pragma once
// FORMAT_DESCRIPTION_EVENT (15): the first event of every v4 binlog and relay log, and
// the key to reading every later event: it says how long each event type's post-header
// is and whether events end in a CRC32.
// https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Format__description__event.html
//
//   body offset  size  field
//   0            2     binlog_version          always 4 for the formats we read
//   2            50    server_version          NUL-padded ("8.0.32", "10.5.15-MariaDB-log")
//   52           4     create_timestamp        0 unless written at server startup
//   56           1     header_length           19
//   57           n     post_header_lengths[i]  post-header length of event type i+1
//   57+n         1     checksum_algorithm      0 off, 1 CRC32; only from servers that
//                                              know checksums (MySQL >= 5.6.1, MariaDB
//                                              >= 5.3), which then always append the
//   58+n         4     checksum                event's CRC32 field, even when "off"
//
// n is whatever remains, so a newer server's longer table still parses.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace tideway::replication::mysql {

enum class ChecksumAlgorithm : std::uint8_t { kOff = 0, kCrc32 = 1, kUndefined = 255 };

/// MariaDB and MySQL share the v4 format but differ in details (which columns carry a
/// collation in TABLE_MAP metadata, the meaning of some status variables).
enum class Flavor { kMysql, kMariadb };

struct FormatDescriptionEvent {
  std::uint16_t binlog_version = 4;
  std::string server_version;
  std::uint32_t create_timestamp = 0;
  std::uint8_t header_length = 19;
  std::vector<std::uint8_t> post_header_lengths;
  /// nullopt: the server predates checksums, so neither this nor later events carry one.
  std::optional<ChecksumAlgorithm> checksum;

  Flavor flavor() const;
  /// Whether events written under this description end in a 4-byte CRC32.
  bool events_have_crc32() const { return checksum == ChecksumAlgorithm::kCrc32; }
  /// MySQL 5.1/5.2 development trees ("5.1.2-a_drop5p..", "5.2.2-a_drop6p13") numbered
  /// types 16-22 differently (16 = TABLE_MAP ... 20 = XID) and wrote an older row
  /// format; MySQL recognises them by this version pattern.
  bool pre_ga_event_numbering() const;
  /// Post-header length the server declared for `type_code`, or nullopt when its table
  /// is too short to say (then the event type is newer than the server's table).
  std::optional<std::uint8_t> post_header_length(std::uint8_t type_code) const;
};

/// Whether a server of this version writes the checksum-algorithm byte and CRC field in
/// its FORMAT_DESCRIPTION_EVENT (MySQL >= 5.6.1, MariaDB >= 5.3.0).
bool server_writes_checksum_field(std::string_view server_version);

/// Parses a whole FORMAT_DESCRIPTION_EVENT (header included). It does not verify the
/// CRC: the caller does that once it knows from the result that there is one.
Result<FormatDescriptionEvent> parse_format_description(std::span<const std::uint8_t> event);

/// The description to assume before any FORMAT_DESCRIPTION_EVENT was seen: v4 post-header
/// lengths of a MySQL 8.0 server and no checksum (what a relay of raw events needs to
/// at least find event boundaries).
FormatDescriptionEvent default_format_description();

}  // namespace tideway::replication::mysql
