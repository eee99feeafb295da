#pragma once
// The walsender side of a PostgreSQL change stream: START_REPLICATION on the task's slot
// with pgoutput, then CopyBoth messages: XLogData ('w', a pgoutput message with its WAL
// position) and primary keepalives ('k'). Feedback ('r' standby status updates) tells
// the server what we have made durable, so the slot can release WAL.
//
// Protocol version 2 with streaming = on is requested from PostgreSQL 14 on (unless the
// task turns it off): past logical_decoding_work_mem the server then sends a transaction
// in blocks while it still runs, instead of spilling it to its own disk until commit; the
// stream spools those blocks to local disk (pg_stream_spool.h). Version 1 (before 14, or
// off) sends each transaction only once it has committed.

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

struct StreamReaderOptions {
  StreamInProgress stream_in_progress = StreamInProgress::kAuto;
  std::string logical_decoding_work_mem;  // empty: the server's setting
};

class PgStreamReader {
 public:
  /// Connects and starts streaming `slot` from `start` (the server starts at the slot's
  /// confirmed position if that is later). stream_in_progress = on against a server
  /// before 14 is a kInvalidArgument error naming the server's version.
  static Result<std::unique_ptr<PgStreamReader>> start(const Endpoint& source,
                                                       const std::string& slot,
                                                       const std::string& publication,
                                                       Lsn start,
                                                       const StreamReaderOptions& options = {});

  /// The pgoutput protocol version asked for (1, or 2 when streaming is on).
  std::uint32_t protocol_version() const { return streaming_ ? 2 : 1; }
  /// True when the server may send in-progress transactions (Stream Start ... Stop).
  bool streaming() const { return streaming_; }
  /// The source's server_version_num.
  int server_version() const { return conn_->server_version(); }

  /// The next message, or nullopt after `timeout` without one.
  Result<std::optional<ReplicationMessage>> receive(std::chrono::milliseconds timeout);

  /// Standby status update: write = received, flush = apply = durable on target and
  /// checkpointed. Never report a flush position beyond what is durable.
  Status send_feedback(Lsn received, Lsn flushed, bool reply_requested = false);

 private:
  PgStreamReader(std::unique_ptr<PgConnection> conn, bool streaming)
      : conn_(std::move(conn)), streaming_(streaming) {}
  /// Takes ownership of `buffer` (n bytes from PQgetCopyData).
  Result<std::optional<ReplicationMessage>> parse(char* buffer, std::size_t n);

  std::unique_ptr<PgConnection> conn_;
  bool streaming_ = false;
};

}  // namespace tideway::replication::postgres
