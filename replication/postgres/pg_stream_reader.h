#pragma once
// The walsender side of a PostgreSQL change stream: START_REPLICATION on the task's slot
// with pgoutput, then CopyBoth messages: XLogData ('w', a pgoutput message with its WAL
// position) and primary keepalives ('k'). Feedback ('r' standby status updates) tells
// the server what we have made durable, so the slot can release WAL.
//
// Protocol version 1 is requested on purpose: the server then sends each transaction
// only once it has committed, so nothing we receive can still abort, and memory on our
// side stays bounded because the applier applies changes as they arrive (the server
// spills large transactions to its own disk). Version 2's in-progress streaming would
// only move that spilling to us.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "replication/core/lsn.h"
#include "replication/core/task_spec.h"
#include "replication/postgres/pg_connection.h"

namespace tideway::replication::postgres {

/// Frees a buffer libpq allocated (PQfreemem).
struct LibpqFree {
  void operator()(char* p) const;
};

struct ReplicationMessage {
  enum class Kind { kData, kKeepalive };
  Kind kind = Kind::kData;
  Lsn wal_start;             // kData: where the message's WAL record starts
  Lsn wal_end;               // the server's current end of WAL
  std::int64_t send_time_us = 0;
  bool reply_requested = false;  // kKeepalive: answer now or be disconnected
  std::string_view payload;      // kData: one pgoutput message, inside `buffer`
  /// The CopyData buffer as libpq returned it: the payload is read in place, not copied.
  std::unique_ptr<char, LibpqFree> buffer;
};

class PgStreamReader {
 public:
  /// Connects and starts streaming `slot` from `start` (the server starts at the slot's
  /// confirmed position if that is later).
  static Result<std::unique_ptr<PgStreamReader>> start(const Endpoint& source,
                                                       const std::string& slot,
                                                       const std::string& publication,
                                                       Lsn start);

  /// The next message, or nullopt after `timeout` without one.
  Result<std::optional<ReplicationMessage>> receive(std::chrono::milliseconds timeout);

  /// Standby status update: write = received, flush = apply = durable on target and
  /// checkpointed. Never report a flush position beyond what is durable.
  Status send_feedback(Lsn received, Lsn flushed, bool reply_requested = false);

 private:
  explicit PgStreamReader(std::unique_ptr<PgConnection> conn) : conn_(std::move(conn)) {}
  /// Takes ownership of `buffer` (n bytes from PQgetCopyData).
  Result<std::optional<ReplicationMessage>> parse(char* buffer, std::size_t n);

  std::unique_ptr<PgConnection> conn_;
};

}  // namespace tideway::replication::postgres
