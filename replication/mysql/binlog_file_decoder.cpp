#include "replication/mysql/binlog_file_decoder.h"

namespace tideway::replication::mysql {

Status decode_binlog_events(BinlogFileReader& reader, EventDecoder& decoder,
                            const std::function<void(const BinlogEvent&)>& on_event) {
  bool first = true;
  while (true) {
    auto raw = reader.next();
    if (!raw.ok()) return std::move(raw).error();
    if (!raw->has_value()) return Status::ok_status();
    const RawEvent& event = **raw;
    const auto where = reader.name() + ": offset " + std::to_string(event.offset);
    if (first && event.bytes[4] != static_cast<std::uint8_t>(EventType::kFormatDescription)) {
      return make_error(ErrorCode::kInvalidArgument,
                        where + ": the first event is " + event_type_name(event.bytes[4]) +
                            ", not FORMAT_DESCRIPTION: not a v4 binlog (MySQL 5.0+/MariaDB)");
    }
    first = false;
    auto decoded = decoder.decode(event.bytes, event.offset);
    if (!decoded.ok()) return std::move(decoded).error().with_context(where);
    on_event(*decoded);
  }
}

}  // namespace tideway::replication::mysql
