#pragma once
// JSON rendering of decoded pgoutput messages, for logs, debugging endpoints and tools.
// LSNs are "X/Y" text, timestamps ISO-8601 UTC text, xids and oids numbers. Strings that
// are not valid UTF-8 (text in a non-UTF-8 server encoding, binary column values, message
// content) are rendered as "<key>_hex" instead of "<key>", so dumping the JSON never throws.

#include <nlohmann/json.hpp>

#include "replication/postgres/pgoutput_message.h"

namespace tideway::replication::postgres {

/// {"type": "Insert", "type_byte": "I", "relation_id": 16385, "new_tuple": [...], ...}
nlohmann::json to_json(const PgoutputMessage& message);

/// [{"kind": "text", "value": "5"}, {"kind": "null"}, {"kind": "unchanged_toast"}, ...]
nlohmann::json to_json(const TupleData& tuple);

}  // namespace tideway::replication::postgres
