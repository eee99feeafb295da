#pragma once
// BinlogClient: reads a MySQL/MariaDB source's binlog as a replica does, over the client
// protocol (MariaDB Connector/C for the handshake, the raw replication commands for the
// rest), and hands out each event's bytes exactly as the server sent them, for
// EventDecoder to check (CRC32) and decode.
//
// Why the raw commands and not Connector/C's mariadb_rpl_* API: that API decodes the
// events itself (and in the 3.3 series misreads some of them), while tideway has its own
// bounds-checked decoder; all we need from the library is the connection. So:
//   1. mysql_real_connect as the migration user (REPLICATION SLAVE is enough to dump);
//   2. session variables a replica sets before dumping:
//        @master_binlog_checksum = @@global.binlog_checksum   (we verify CRC32 ourselves;
//                                   without it the server refuses a checksummed binlog)
//        @mariadb_slave_capability = 4   (MariaDB: send GTID events as they are, not as
//                                   BEGIN statements for pre-10.0 replicas)
//        @master_heartbeat_period = N ns (an idle source still sends a packet every N, so
//                                   a dead connection is noticed and `stop` is honoured)
//      and, to start by GTID on MariaDB, @slave_connect_state = '<GTID list>';
//   3. COM_BINLOG_DUMP (file name, 4-byte offset, server id), or on MySQL by GTID
//      COM_BINLOG_DUMP_GTID (binlog_dump_gtid_packet() below), then one packet per event:
//        0x00 + event bytes | 0xFE EOF (the server ended the dump) | 0xFF error.
// Each replica connection needs a server id no other replica of that source uses (the
// source drops the older connection of a duplicate id); see default_server_id().

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/error.h"
#include "replication/core/task_spec.h"
#include "replication/mysql/gtid_set.h"
#include "replication/mysql/my_position.h"

struct st_mysql;

namespace tideway::replication::mysql {

struct BinlogClientOptions {
  std::uint32_t server_id = 0;  // Default 0: default_server_id(task id) by the caller.
  std::chrono::milliseconds heartbeat{1000};  // Default: a heartbeat every second.
  /// No packet for this long (heartbeats included) means the connection is dead.
  std::chrono::seconds read_timeout{30};  // Default: 30 s (30 missed heartbeats).
  int connect_timeout_seconds = 10;       // Default: 10 s.
};

/// A server id for a task's replica connection: derived from the task id so a restarted
/// task reuses its id (the source then replaces, not accumulates, its dump threads), and
/// kept out of the range real servers usually get (1..65535, the sandbox's 1 and 2).
std::uint32_t default_server_id(const std::string& task_id);

/// The argument bytes of COM_BINLOG_DUMP_GTID (command byte 0x1e not included), all
/// little-endian: 2 flags (BINLOG_THROUGH_GTID = 0x04: the server reads the GTID set),
/// 4 server id, 4 file name length (0: the server finds the file), the name, 8 position
/// (4 when there is no name: the first event after the magic), 4 size of the SID block,
/// then the SID block (GtidSet::encode()). The server sends every transaction not in
/// `executed`, from the oldest binlog file that has one.
std::vector<std::uint8_t> binlog_dump_gtid_packet(std::uint32_t server_id, const GtidSet& executed);

/// One packet of the dump: an event's bytes (valid until the next read), or the end.
struct BinlogPacket {
  enum class Kind { kEvent, kEnd };
  Kind kind = Kind::kEvent;
  std::span<const std::uint8_t> event;
};

class BinlogClient {
 public:
  /// Connects and sets up the replica session; does not start the dump yet.
  static Result<std::unique_ptr<BinlogClient>> connect(const Endpoint& source,
                                                       const BinlogClientOptions& options);
  ~BinlogClient();
  BinlogClient(const BinlogClient&) = delete;
  BinlogClient& operator=(const BinlogClient&) = delete;

  /// Starts the dump at `from`: by file and offset when it has a file and `by_gtid` is
  /// false; else by its GTIDs: MariaDB's list (@slave_connect_state, strict mode) or
  /// MySQL's set (COM_BINLOG_DUMP_GTID). A file or GTIDs the source no longer has fail
  /// with kNotFound naming the position (the server's error 1236); the caller decides
  /// what that means.
  Status start(const BinlogPosition& from, bool by_gtid = false);
  /// Whether the running dump was started by GTID.
  bool started_by_gtid() const { return by_gtid_; }

  /// Blocks until the next packet (a heartbeat arrives at least every heartbeat period).
  /// Errors: kUnavailable (retryable) for a lost connection or read timeout, kNotFound
  /// for a purged position, kCorruption for a packet that is not a dump packet.
  Result<BinlogPacket> read();

  /// Makes a blocked read() fail at once; callable from another thread.
  void cancel();

  bool is_mariadb() const { return mariadb_; }
  /// "user@host:port" of the source, for messages.
  const std::string& describe() const { return describe_; }

 private:
  BinlogClient(st_mysql* conn, std::string describe, std::uint32_t server_id, bool mariadb)
      : conn_(conn), describe_(std::move(describe)), server_id_(server_id), mariadb_(mariadb) {}
  Status run(const std::string& sql);
  Status start_mysql_gtid(const BinlogPosition& from);
  Error error(const std::string& what) const;

  st_mysql* conn_;
  std::string describe_;
  std::uint32_t server_id_;
  bool mariadb_;
  std::string start_;  // the position the dump started at, for errors
  bool by_gtid_ = false;
};

}  // namespace tideway::replication::mysql
