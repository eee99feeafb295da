#pragma once
// CRC32 of binlog events (binlog_checksum=CRC32): the ISO-HDLC / zlib polynomial over
// the whole event except its last 4 bytes, which hold the CRC little-endian.

#include <cstdint>
#include <span>

#include "common/error.h"

namespace tideway::replication::mysql {

inline constexpr std::size_t kChecksumSize = 4;

std::uint32_t crc32(std::span<const std::uint8_t> bytes);

/// Checks the CRC32 stored in the last 4 bytes of `event` against the bytes before it.
/// A FORMAT_DESCRIPTION's CRC is computed with LOG_EVENT_BINLOG_IN_USE_F clear: the
/// server sets that flag in place when it opens the file and clears it on a clean close,
/// without rewriting the CRC.
/// The error names both values, which tells a torn write (stored CRC is garbage) from
/// a misread boundary (everything is off).
Status verify_event_crc32(std::span<const std::uint8_t> event);

}  // namespace tideway::replication::mysql
