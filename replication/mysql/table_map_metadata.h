#pragma once
// TABLE_MAP optional metadata (the TLV records after the null bitmap); see the layout in
// table_map_event.h. Internal to replication/mysql.

#include "common/byte_reader.h"
#include "common/error.h"
#include "replication/mysql/table_map_event.h"

namespace tideway::replication::mysql {

/// Reads every record up to the end of `r` into the columns of `event`. A record must
/// hold exactly one entry per column it describes: a count that does not match the
/// columns means we would attach names or collations to the wrong columns.
Status parse_optional_metadata(ByteReader& r, TableMapEvent& event, Flavor flavor);

}  // namespace tideway::replication::mysql
