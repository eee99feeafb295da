#include "replication/mysql/format_description_event.h"

#include <array>
#include <charconv>
#include <cstring>

#include "common/byte_reader.h"
#include "replication/mysql/event_header.h"

namespace tideway::replication::mysql {
namespace {

constexpr std::size_t kServerVersionLength = 50;

struct Version {
  int major = 0;
  int minor = 0;
  int patch = 0;
};

// "5.6.4-m7-debug-log" -> 5.6.4. Missing parts stay 0, which only ever makes an unknown
// version look older (no checksum field), the safe direction for old files.
Version leading_version(std::string_view text) {
  Version v;
  int* parts[] = {&v.major, &v.minor, &v.patch};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 3 && p < end; ++i) {
    auto [next, ec] = std::from_chars(p, end, *parts[i]);
    if (ec != std::errc()) break;
    p = next;
    if (p < end && *p == '.') ++p;
  }
  return v;
}

bool at_least(const Version& v, int major, int minor, int patch) {
  if (v.major != major) return v.major > major;
  if (v.minor != minor) return v.minor > minor;
  return v.patch >= patch;
}

}  // namespace

Flavor FormatDescriptionEvent::flavor() const {
  return server_version.find("MariaDB") != std::string::npos ? Flavor::kMariadb : Flavor::kMysql;
}

bool FormatDescriptionEvent::pre_ga_event_numbering() const {
  // 5.1.[1-5]-a_drop5*, 5.1.4-a_drop6*, 5.2.[0-2]-a_drop6*, with the 22-type table.
  const std::string_view v = server_version;
  if (v.size() < 13 || v[0] != '5' || v[1] != '.' || v[3] != '.' || v.substr(5, 7) != "-a_drop") {
    return false;
  }
  const char minor = v[2];
  const char patch = v[4];
  const char drop = v[12];
  const bool match = (minor == '1' && patch >= '1' && patch <= '5' && drop == '5') ||
                     (minor == '1' && patch == '4' && drop == '6') ||
                     (minor == '2' && patch >= '0' && patch <= '2' && drop == '6');
  return match && post_header_lengths.size() == 22;
}

std::optional<std::uint8_t> FormatDescriptionEvent::post_header_length(
    std::uint8_t type_code) const {
  if (type_code == 0 || type_code > post_header_lengths.size()) return std::nullopt;
  return post_header_lengths[type_code - 1];
}

bool server_writes_checksum_field(std::string_view server_version) {
  const Version v = leading_version(server_version);
  if (server_version.find("MariaDB") != std::string_view::npos) return at_least(v, 5, 3, 0);
  return at_least(v, 5, 6, 1);
}

Result<FormatDescriptionEvent> parse_format_description(std::span<const std::uint8_t> event) {
  if (event.size() < kEventHeaderSize) {
    return make_error(ErrorCode::kCorruption, "FORMAT_DESCRIPTION shorter than its header");
  }
  ByteReader r(event.subspan(kEventHeaderSize));
  FormatDescriptionEvent fde;
  fde.binlog_version = r.u16_le();
  const std::string_view version_field = r.chars(kServerVersionLength);
  fde.create_timestamp = r.u32_le();
  fde.header_length = r.u8();
  if (!r.ok()) {
    return make_error(ErrorCode::kCorruption, "FORMAT_DESCRIPTION body is " +
                                                  std::to_string(event.size() - 19) +
                                                  " bytes, shorter than its 57-byte fixed part");
  }
  if (fde.binlog_version != 4) {
    return make_error(ErrorCode::kInvalidArgument,
                      "binlog format version " + std::to_string(fde.binlog_version) +
                          " is not supported (only v4: MySQL 5.0+ and MariaDB)");
  }
  fde.server_version = std::string(version_field.substr(0, version_field.find('\0')));
  if (fde.header_length < kEventHeaderSize) {
    return make_error(ErrorCode::kCorruption, "FORMAT_DESCRIPTION declares a " +
                                                  std::to_string(fde.header_length) +
                                                  "-byte event header; v4 needs at least 19");
  }
  if (server_writes_checksum_field(fde.server_version)) {
    // The last 5 bytes are the algorithm byte and the CRC field.
    if (!r.shrink_end(5)) {
      return make_error(ErrorCode::kCorruption,
                        "FORMAT_DESCRIPTION from " + fde.server_version +
                            " lacks its checksum-algorithm byte and CRC field");
    }
    const std::uint8_t alg = event[event.size() - 5];
    if (alg != 0 && alg != 1 && alg != 255) {
      return make_error(ErrorCode::kCorruption,
                        "unknown binlog checksum algorithm " + std::to_string(alg));
    }
    fde.checksum = alg == 1 ? ChecksumAlgorithm::kCrc32
                            : (alg == 0 ? ChecksumAlgorithm::kOff : ChecksumAlgorithm::kUndefined);
  }
  const auto table = r.rest();
  fde.post_header_lengths.assign(table.begin(), table.end());
  return fde;
}

FormatDescriptionEvent default_format_description() {
  FormatDescriptionEvent fde;
  fde.server_version = "8.0.0";
  // Post-header lengths of MySQL 8.0 for types 1..42 (0 = no post-header).
  fde.post_header_lengths = {0,  13, 0,  8,  0,  0,  0, 0,  4,  0, 4,  0,  0, 0,
                             98, 0,  4,  26, 8,  0,  0, 0,  8,  8, 8,  2,  0, 0,
                             0,  10, 10, 10, 42, 42, 0, 18, 52, 0, 10, 40, 0, 0};
  return fde;
}

}  // namespace tideway::replication::mysql
