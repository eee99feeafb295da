#pragma once
// The reading half of the MySQL/MariaDB change stream: the replica connection
// (BinlogClient), the decoder (EventDecoder, which checks every CRC32) and the change
// builder, glued so that each call yields the stream events of one binlog event.
//
// Offsets: the header's log_pos is where the NEXT event starts, so an event starts at
// log_pos - event_size. Artificial events (the dump's fake ROTATE, the FORMAT_DESCRIPTION
// re-sent at a start past offset 4) carry log_pos 0 and take the current position.

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/error.h"
#include "replication/core/change.h"
#include "replication/core/task_spec.h"
#include "replication/mysql/binlog_client.h"
#include "replication/mysql/event_decoder.h"
#include "replication/mysql/my_change_builder.h"
#include "replication/mysql/my_connection.h"
#include "replication/mysql/my_position.h"
#include "replication/mysql/my_stream_schema.h"

namespace tideway::replication::mysql {

class MyStreamReader {
 public:
  /// Connects as a replica and starts the dump at `start` (a transaction boundary): by
  /// its file and offset, or after its GTIDs when `by_gtid` (or it names no file).
  /// `source_sql` (an ordinary source session) answers information_schema questions; it
  /// must outlive the reader and be used by the reader's thread only.
  static Result<std::unique_ptr<MyStreamReader>> start(const TaskSpec& spec,
                                                       const BinlogPosition& start,
                                                       MyConnection& source_sql,
                                                       const BinlogClientOptions& options,
                                                       bool by_gtid = false);

  /// Reads one packet and appends the stream events it yields. `heartbeat` is set when
  /// the packet was a heartbeat (the source is idle and everything has been sent).
  Status next(std::vector<StreamEvent>& out, bool& heartbeat);

  /// Unblocks a next() waiting on the network; callable from another thread.
  void cancel() { client_->cancel(); }

  /// Where the next event starts, with the GTID list of the transactions completed.
  BinlogPosition position() const { return builder_->position(); }
  bool in_transaction() const { return builder_->in_transaction(); }
  bool started_by_gtid() const { return client_->started_by_gtid(); }
  /// Header time (Unix seconds) of the last event that was not a heartbeat.
  std::uint32_t last_event_time() const { return builder_->last_event_time(); }

 private:
  MyStreamReader() = default;

  std::unique_ptr<BinlogClient> client_;
  std::unique_ptr<StreamSchemaCache> schema_;
  std::unique_ptr<EventDecoder> decoder_;
  std::unique_ptr<MyChangeBuilder> builder_;
};

}  // namespace tideway::replication::mysql
