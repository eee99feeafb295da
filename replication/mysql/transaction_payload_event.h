#pragma once
// TRANSACTION_PAYLOAD_EVENT (40, MySQL 8.0.20+ with binlog_transaction_compression=ON):
// a whole transaction's events, compressed, inside one event.
// https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Transaction__payload__event.html
//
//   fields      repeated (type, length, value), each a packed integer; the value of
//               the integer fields is itself a packed integer inside `length` bytes:
//                 1 payload_size, 2 compression_type (0 ZSTD, 255 NONE),
//                 3 uncompressed_size; 0 = end of fields (no length, no value)
//   payload     payload_size bytes: the compressed events
//
// (FORMAT_DESCRIPTION declares a 40-byte post-header for this type: the room the fields
// may take, not a fixed block to skip; the fields start right after the common header.)
// The inflated payload is a sequence of ordinary events with their own 19-byte headers,
// log_pos 0 and no CRC32 (the outer event's CRC covers them).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/byte_reader.h"
#include "common/error.h"

namespace tideway::replication::mysql {

enum class PayloadCompression : std::uint64_t { kZstd = 0, kNone = 255 };

struct TransactionPayloadHeader {
  std::uint64_t compression_type = 0;
  std::uint64_t payload_size = 0;
  std::uint64_t uncompressed_size = 0;
};

/// Reads the fields up to the end mark; `body` is left at the payload, which must be
/// exactly payload_size bytes long.
Result<TransactionPayloadHeader> parse_transaction_payload_header(ByteReader& body);

/// Inflates the payload into its events' bytes. The declared uncompressed size is
/// checked against `max_size` before anything is allocated, and the output must match it.
Result<std::string> inflate_transaction_payload(const TransactionPayloadHeader& header,
                                                std::span<const std::uint8_t> payload,
                                                std::size_t max_size);

}  // namespace tideway::replication::mysql
