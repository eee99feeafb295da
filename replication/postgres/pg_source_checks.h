#pragma once
// Replication prerequisites on a PostgreSQL source, checked before any data moves. Each
// failed check is one problem with the setting or grant to change, so an operator fixes
// everything in one round instead of discovering problems one start at a time.

#include <string>
#include <vector>

#include "common/error.h"
#include "replication/postgres/pg_catalog.h"
#include "replication/postgres/pg_connection.h"

namespace tideway::replication::postgres {

struct SourceCheckOptions {
  std::string slot_name;
  std::string publication_name;
  bool slot_is_ours = false;  // a checkpoint names this slot: it is ours to reuse
  bool needs_stream = true;   // cdc or full_load_and_cdc
};

/// All problems found, each naming what to change; empty when the source is ready.
Result<std::vector<std::string>> check_source(PgConnection& source,
                                              const std::vector<PgTable>& tables,
                                              const SourceCheckOptions& options);

/// Tables whose UPDATE/DELETE cannot be replicated: no primary key under REPLICA
/// IDENTITY DEFAULT, or REPLICA IDENTITY NOTHING. Adding them to a publication would
/// even make UPDATE/DELETE fail on the source itself.
std::vector<std::string> tables_without_identity(const std::vector<PgTable>& tables);

}  // namespace tideway::replication::postgres
