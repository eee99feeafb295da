#pragma once
// The MySQL/MariaDB collector: source facts, inventory (information_schema, one query per
// kind of object), replication health (server variables and SHOW GRANTS) and the live
// activity sample (status counters, binlog growth, per-table row estimates). Reads only.

#include <atomic>

#include "assess/assessment.h"
#include "assess/collect_options.h"
#include "common/error.h"
#include "replication/mysql/my_connection.h"

namespace tideway::assess {

/// Fills out.source, out.inventory and out.health (with the findings health implies).
/// Errors only when the catalog cannot be read at all.
Status collect_mysql(replication::mysql::MyConnection& conn, const CollectOptions& options,
                     Assessment& out);

/// Samples activity for `seconds` (measured by the server's clock) into out.activity;
/// a raised `stop` ends the window early (the measured window is then shorter).
Status sample_mysql_activity(replication::mysql::MyConnection& conn, int seconds,
                             Assessment& out, const std::atomic<bool>* stop = nullptr);

}  // namespace tideway::assess
