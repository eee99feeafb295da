#include "replication/mysql/checksum.h"

#include <zlib.h>

#include <cstdio>
#include <string>
#include <vector>

namespace tideway::replication::mysql {

std::uint32_t crc32(std::span<const std::uint8_t> bytes) {
  // zlib takes a uInt length: feed large inputs in pieces so nothing is truncated.
  uLong crc = ::crc32(0L, Z_NULL, 0);
  const std::uint8_t* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const auto chunk = static_cast<uInt>(left > (1U << 30) ? (1U << 30) : left);
    crc = ::crc32(crc, p, chunk);
    p += chunk;
    left -= chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

Status verify_event_crc32(std::span<const std::uint8_t> event) {
  if (event.size() < kChecksumSize) {
    return make_error(ErrorCode::kCorruption, "event too short to hold its CRC32");
  }
  const auto body = event.first(event.size() - kChecksumSize);
  const auto tail = event.last(kChecksumSize);
  const std::uint32_t stored = std::uint32_t{tail[0]} | (std::uint32_t{tail[1]} << 8) |
                               (std::uint32_t{tail[2]} << 16) | (std::uint32_t{tail[3]} << 24);
  std::uint32_t computed = 0;
  constexpr std::size_t kTypeOffset = 4;
  constexpr std::size_t kFlagsOffset = 17;
  constexpr std::uint8_t kFormatDescription = 15;
  constexpr std::uint8_t kBinlogInUseFlag = 0x01;
  if (body.size() > kFlagsOffset && body[kTypeOffset] == kFormatDescription &&
      (body[kFlagsOffset] & kBinlogInUseFlag) != 0) {
    std::vector<std::uint8_t> copy(body.begin(), body.end());
    copy[kFlagsOffset] &= static_cast<std::uint8_t>(~kBinlogInUseFlag);
    computed = crc32(copy);
  } else {
    computed = crc32(body);
  }
  if (stored != computed) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "CRC32 mismatch: stored 0x%08x, computed 0x%08x", stored,
                  computed);
    return make_error(ErrorCode::kCorruption, buf);
  }
  return Status::ok_status();
}

}  // namespace tideway::replication::mysql
