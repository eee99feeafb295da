#pragma once
// MariaDB's compressed events (log_bin_compress=ON): QUERY_COMPRESSED (165) compresses
// the statement text, *_ROWS_COMPRESSED (166-171) the row data after the bitmaps. Both
// use one framing:
//
//   1 byte   0x80 | n       n (1..4) = size of the length field
//   n bytes  length         uncompressed size, big-endian
//   rest     zlib stream    (zlib's compress(), with header)

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/error.h"

namespace tideway::replication::mysql {

/// Inflates one compressed block. The declared size is checked against `max_size`
/// before anything is allocated, and the result must have exactly that size.
Result<std::string> mariadb_uncompress(std::span<const std::uint8_t> block, std::size_t max_size);

}  // namespace tideway::replication::mysql
