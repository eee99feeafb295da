#pragma once
// The JSON diff list a PARTIAL_UPDATE_ROWS after-image holds instead of a whole JSON
// document (binlog_row_value_options=PARTIAL_JSON): the changes JSON_SET, JSON_REPLACE
// and JSON_REMOVE made to the before-image's document.
// https://dev.mysql.com/doc/dev/mysql-server/latest/classJson__diff__vector.html
//
//   repeated until the value's end:
//     1  operation   0 REPLACE, 1 INSERT, 2 REMOVE
//     *  path        packed length + JSON path text ("$.a[1]")
//     *  value       unless REMOVE: packed length + binary JSON (type byte + data)
//
// We render it as JSON text, operations in order:
//   [{"op": "replace", "path": "$.a", "value": 1}, {"op": "remove", "path": "$.b"}]
// and hand it on as an EngineValue of type kJsonDiffTypeName; applying it needs the
// before-image's document, which is the applier's business.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"

namespace tideway::replication::mysql {

inline constexpr std::string_view kJsonDiffTypeName = "mysql_json_diff";

Result<std::string> json_diff_to_text(std::span<const std::uint8_t> diffs);

}  // namespace tideway::replication::mysql
