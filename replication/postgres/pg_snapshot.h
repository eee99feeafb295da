#pragma once
// A consistent starting point for a PostgreSQL migration: a logical replication slot
// created with an exported snapshot. Every row the full load reads through that snapshot
// is exactly the data before the slot's consistent point, and the slot's stream starts
// exactly after it: no gap and no overlap between load and stream.
//
// The snapshot stays importable only while the walsender connection that created it is
// open and idle, so ExportedSnapshot owns that connection; release it (destroy the
// object) only when every loader has imported the snapshot and finished.

#include <memory>
#include <string>

#include "common/error.h"
#include "replication/core/lsn.h"
#include "replication/postgres/pg_connection.h"

namespace tideway::replication::postgres {

struct ExportedSnapshot {
  std::unique_ptr<PgConnection> holder;  // keeps the snapshot alive; never used otherwise
  std::string snapshot_name;             // for SET TRANSACTION SNAPSHOT
  Lsn consistent_point;                  // the stream starts after this
  std::string slot_name;
};

/// Creates slot `slot_name` (pgoutput) and exports its snapshot. A temporary slot is
/// dropped by the server when the connection closes (used to re-snapshot after a
/// restart without touching the task's own slot).
Result<ExportedSnapshot> create_slot_with_snapshot(const Endpoint& source,
                                                   const std::string& slot_name,
                                                   bool temporary);

/// A snapshot without a slot, for full_load-only tasks: a REPEATABLE READ transaction
/// on `holder` that exports its snapshot (pg_export_snapshot()).
Result<ExportedSnapshot> export_snapshot(const Endpoint& source);

/// Starts a read-only REPEATABLE READ transaction on `conn` at `snapshot_name`.
Status import_snapshot(PgConnection& conn, const std::string& snapshot_name);

}  // namespace tideway::replication::postgres
