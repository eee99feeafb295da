#pragma once
// EventDecoder: turns one event's bytes into a BinlogEvent. It is stateful because the
// binlog is: FORMAT_DESCRIPTION sets the post-header lengths and checksum of all later
// events, and TABLE_MAP events give the row events that follow their meaning. Feed it
// every event of a stream in order, starting with the FORMAT_DESCRIPTION.
//
// Not thread-safe; one decoder per stream.

#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>

#include "common/error.h"
#include "replication/mysql/binlog_event.h"

namespace tideway::replication::mysql {

struct DecoderOptions {
  /// Check the CRC32 of each event when the stream has checksums. Default: true.
  bool verify_checksums = true;
  /// Signedness/collation of columns for binlogs without TABLE_MAP optional metadata.
  /// Default: none (integers signed, charsets unknown).
  SchemaLookup schema;
  /// Largest inflated TRANSACTION_PAYLOAD or MariaDB compressed event body accepted.
  /// Default: 1 GiB (max_allowed_packet's ceiling).
  std::size_t max_uncompressed_size = std::size_t{1} << 30;
};

class EventDecoder {
 public:
  explicit EventDecoder(DecoderOptions options = {});

  /// Decodes the event in `event` (header, body and CRC, exactly event_size bytes) that
  /// starts at `offset` in its stream. On failure the error names the event type; the
  /// caller adds where the event was.
  Result<BinlogEvent> decode(std::span<const std::uint8_t> event, std::uint64_t offset);

  /// The FORMAT_DESCRIPTION in force (a MySQL 8.0 default until one is decoded).
  const FormatDescriptionEvent& format() const { return format_; }
  bool has_format_description() const { return have_format_; }
  /// The TABLE_MAP in force for `table_id`, or nullptr. Valid until the next decode().
  const TableMapEvent* table(std::uint64_t table_id) const;

 private:
  Result<BinlogEvent> decode_event(std::span<const std::uint8_t> event, std::uint64_t offset,
                                   bool inside_payload);
  Result<EventBody> decode_body(const EventHeader& header, ByteReader& body,
                                std::span<const std::uint8_t> event, bool inside_payload);
  Result<TransactionPayloadEvent> decode_payload(ByteReader& body);
  std::size_t post_header_length(std::uint8_t type_code) const;

  DecoderOptions options_;
  FormatDescriptionEvent format_;
  bool have_format_ = false;
  bool encrypted_ = false;
  std::unordered_map<std::uint64_t, TableMapEvent> tables_;
  // Set by a row event ending its statement: the next TABLE_MAP starts a new statement,
  // whose table ids replace the old ones (as in MySQL, which forgets them there).
  bool statement_ended_ = false;
};

}  // namespace tideway::replication::mysql
