#include "replication/mysql/event_header.h"

#include <string>

#include "common/byte_reader.h"

namespace tideway::replication::mysql {

Result<EventHeader> parse_event_header(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kEventHeaderSize) {
    return make_error(ErrorCode::kCorruption,
                      "truncated event header: " + std::to_string(bytes.size()) +
                          " bytes, a v4 header needs " + std::to_string(kEventHeaderSize));
  }
  ByteReader r(bytes.first(kEventHeaderSize));
  EventHeader h;
  h.timestamp = r.u32_le();
  h.type_code = r.u8();
  h.server_id = r.u32_le();
  h.event_size = r.u32_le();
  h.log_pos = r.u32_le();
  h.flags = r.u16_le();
  if (h.event_size < kEventHeaderSize) {
    return make_error(ErrorCode::kCorruption, "event size " + std::to_string(h.event_size) +
                                                  " is smaller than the 19-byte event header");
  }
  return h;
}

}  // namespace tideway::replication::mysql
