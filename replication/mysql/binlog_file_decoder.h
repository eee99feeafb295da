#pragma once
// Decoding a whole binlog file: BinlogFileReader finds the events, EventDecoder gives
// them meaning, and every error names the file and the offset of the event it is about.

#include <functional>

#include "common/error.h"
#include "replication/mysql/binlog_event.h"
#include "replication/mysql/binlog_file_reader.h"
#include "replication/mysql/event_decoder.h"

namespace tideway::replication::mysql {

/// Calls `on_event` for each event in file order until the end of the file or the first
/// event that cannot be read or decoded, whose Error is returned. Events before it have
/// been delivered. The first event must be a FORMAT_DESCRIPTION (every v4 binlog and
/// relay log starts with one).
Status decode_binlog_events(BinlogFileReader& reader, EventDecoder& decoder,
                            const std::function<void(const BinlogEvent&)>& on_event);

}  // namespace tideway::replication::mysql
