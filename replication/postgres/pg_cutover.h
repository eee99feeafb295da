#pragma once
// The PostgreSQL side of a cutover: the write fence, the cutover point, and the schema
// and sequence work that waits for the end of the stream.

#include <string>

#include "common/error.h"
#include "replication/core/lsn.h"
#include "replication/core/task_spec.h"

namespace tideway::replication::postgres {

/// ALTER DATABASE <source db> SET default_transaction_read_only = on|off, and with `on`
/// also ends the sessions of that database that have written (pg_terminate_backend on
/// backends holding a transaction id). Returns what it did, for the journal. Needs the
/// database owner (or rds_superuser); a refusal is an error naming the grant.
Result<std::string> set_read_only_fence(const TaskSpec& spec, bool on);

/// Commits a logical decoding message on the source and returns its LSN. Once the
/// stream has applied past it, every transaction committed before the call is on the
/// target.
Result<Lsn> mark_cutover_point(const TaskSpec& spec);

/// Sequences set to at least the source's values; foreign keys and triggers created
/// (they were held back while the stream applied changes).
Status finish_target(const TaskSpec& spec);

}  // namespace tideway::replication::postgres
