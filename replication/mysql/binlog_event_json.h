#pragma once
// JSON rendering of decoded binlog events, for `tideway binlog decode FILE...` and for
// tests. One event is one JSON object:
//
//   {"type": "WRITE_ROWS_V2", "type_code": 30, "offset": 384, "next_offset": 486,
//    "log_pos": 486, "event_size": 102, "server_id": 1, "timestamp": 1525422719,
//    "flags": 1, ...fields of the event type...}
//
// Row images are arrays by column position; a column absent from the image is JSON
// null, a present value is {"type": <Value kind>, "value": ...}: numbers stay numbers
// (a float as its shortest float text), decimals are strings of their exact digits,
// text is a string with its "collation" (or "hex" when it is not valid UTF-8), and
// temporal, bytes, bit and JSON values are their Value::to_string() text.

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.h"
#include "replication/core/value.h"
#include "replication/mysql/binlog_event.h"
#include "replication/mysql/event_decoder.h"

namespace tideway::replication::mysql {

nlohmann::json value_to_json(const Value& value);
nlohmann::json event_to_json(const BinlogEvent& event);

/// Decodes the binlog file at `path` and emits one JSON object per event, in order.
/// Returns the Error of the first event that cannot be read or decoded (truncated file,
/// corrupt event), naming the file and byte offset; every event before it was emitted.
Status decode_binlog_file(const std::string& path,
                          const std::function<void(const nlohmann::json&)>& emit,
                          const DecoderOptions& options = {});

}  // namespace tideway::replication::mysql
