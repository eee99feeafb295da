#pragma once
// The PostgreSQL collector: source facts, inventory (pg_catalog, one query per kind of
// object), replication health (settings, role attributes, replica identity) and the live
// activity sample (pg_stat_user_tables deltas, WAL bytes). Reads only; never needs a
// superuser.

#include <atomic>

#include "assess/assessment.h"
#include "assess/collect_options.h"
#include "common/error.h"
#include "replication/postgres/pg_connection.h"

namespace tideway::assess {

/// Fills out.source, out.inventory and out.health (with the findings health implies).
Status collect_postgres(replication::postgres::PgConnection& conn, const CollectOptions& options,
                        Assessment& out);

/// Samples activity for `seconds` (measured by the server's clock) into out.activity;
/// a raised `stop` ends the window early (the measured window is then shorter).
Status sample_postgres_activity(replication::postgres::PgConnection& conn, int seconds,
                             Assessment& out, const std::atomic<bool>* stop = nullptr);

}  // namespace tideway::assess
