#pragma once
// Small helpers shared by the event parsers: error construction, checked string reads
// and the post-header length rule. Internal to replication/mysql.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/byte_reader.h"
#include "common/error.h"

namespace tideway::replication::mysql {

inline Error corrupt(std::string message) {
  return make_error(ErrorCode::kCorruption, std::move(message));
}

/// "needs N bytes, M remain" for a failed fixed-layout read.
inline Error truncated(std::string_view what, std::size_t needed, std::size_t remaining) {
  return corrupt(std::string(what) + " needs " + std::to_string(needed) + " bytes, " +
                 std::to_string(remaining) + " remain");
}

/// Reads `n` bytes as a string after checking that they exist; `what` names the field
/// in the error. Nothing is allocated before the length is known to fit.
inline Result<std::string> read_bytes(ByteReader& r, std::uint64_t n, std::string_view what) {
  if (n > r.remaining()) return truncated(what, n, r.remaining());
  const auto view = r.chars(static_cast<std::size_t>(n));
  return std::string(view);
}

/// The post-header of an event is `declared` bytes long (from FORMAT_DESCRIPTION); a
/// parser knows the first `needed` of them. A shorter declaration means the file was
/// written with a different layout for this type (e.g. a pre-GA server), which we must
/// not guess at; a longer one is a newer server's extension and is skipped.
inline Status check_post_header(std::size_t declared, std::size_t needed, std::string_view event) {
  if (declared < needed) {
    return corrupt(std::string(event) + ": FORMAT_DESCRIPTION declares a " +
                   std::to_string(declared) + "-byte post-header, this layout needs " +
                   std::to_string(needed) + " (foreign or pre-GA event numbering?)");
  }
  return Status::ok_status();
}

/// 8-4-4-4-12 lower-case text of a 16-byte UUID (MySQL server_uuid / GTID source id).
std::string uuid_text(const std::array<std::uint8_t, 16>& uuid);

/// Bit `i` of a little-endian-bit-order bitmap (bit 0 = lowest bit of byte 0), as used
/// by row events' column and null bitmaps.
inline bool bit_le(std::string_view bitmap, std::size_t i) {
  return ((static_cast<unsigned char>(bitmap[i / 8]) >> (i % 8)) & 1U) != 0;
}

/// Bit `i` of a most-significant-bit-first bitmap, as used by TABLE_MAP optional
/// metadata (signedness, visibility).
inline bool bit_msb(std::string_view bitmap, std::size_t i) {
  return ((static_cast<unsigned char>(bitmap[i / 8]) >> (7 - i % 8)) & 1U) != 0;
}

}  // namespace tideway::replication::mysql
