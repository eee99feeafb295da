#pragma once
// `tideway binlog decode FILE...`: every event of MySQL/MariaDB binlog files as one JSON
// object per line (type, position, GTID, table, typed row images), like mysqlbinlog -vv
// but machine-readable. An operator's tool for looking at what the decoder sees.

#include <string>
#include <vector>

namespace tideway::daemon {

int cmd_binlog(const std::vector<std::string>& args);

}  // namespace tideway::daemon
