#pragma once
// MariaDB-only events (type codes from 160).
// https://mariadb.com/kb/en/replication-protocol/ (GTID_EVENT, GTID_LIST_EVENT, ...)
//
// GTID_EVENT (162), starts an event group; the server id is the header's:
//   8   seq_no
//   4   domain_id
//   1   flags2      1 standalone (no COMMIT follows: DDL), 2 group commit id follows,
//                   4 transactional, 8 allow parallel, 16 waited, 32 DDL,
//                   64 prepared XA, 128 completed XA
//   [8  commit_id]                         if flags2 & 2
//   [4 format_id, 1 gtrid_len, 1 bqual_len, data]   if flags2 & (64|128)
//   then, if bytes remain: 1 flags_extra   1 multi-engine, 2 start/4 commit/8 rollback
//                                          of an ALTER, 16 thread id
//        [1 extra_engines] [8 sa_seq_no (commit/rollback ALTER)] [4 thread_id]
//   zero padding up to 19 bytes (reads as flags_extra 0)
// GTID_LIST_EVENT (163): 4 count (low 28 bits; top 4 bits flags), then count x
//   (4 domain_id, 4 server_id, 8 seq_no)
// BINLOG_CHECKPOINT_EVENT (161): 4 file_name_length, file_name
// ANNOTATE_ROWS_EVENT (160): the statement behind the following row events
// START_ENCRYPTION_EVENT (164): 1 scheme, 4 key_version, 12 nonce; every later event
//   of the file is encrypted

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/byte_reader.h"
#include "common/error.h"

namespace tideway::replication::mysql {

struct MariaGtid {
  std::uint32_t domain_id = 0;
  std::uint32_t server_id = 0;
  std::uint64_t seq_no = 0;

  /// "domain-server-seq", MariaDB's text form.
  std::string text() const;
};

struct MariaXid {
  std::int32_t format_id = 0;
  std::string gtrid;
  std::string bqual;
};

struct MariaGtidEvent {
  MariaGtid gtid;
  std::uint8_t flags2 = 0;
  std::optional<std::uint64_t> commit_id;
  std::optional<MariaXid> xid;
  std::uint8_t flags_extra = 0;
  std::optional<std::uint8_t> extra_engines;
  std::optional<std::uint64_t> sa_seq_no;
  std::optional<std::uint32_t> thread_id;

  bool standalone() const { return (flags2 & 0x01) != 0; }
  bool ddl() const { return (flags2 & 0x20) != 0; }
};

struct MariaGtidListEvent {
  std::uint8_t flags = 0;
  std::vector<MariaGtid> gtids;
};

struct MariaBinlogCheckpointEvent {
  std::string file;
};

struct MariaAnnotateRowsEvent {
  std::string query;
};

struct MariaStartEncryptionEvent {
  std::uint8_t scheme = 0;
  std::uint32_t key_version = 0;
  std::array<std::uint8_t, 12> nonce{};
};

Result<MariaGtidEvent> parse_maria_gtid(ByteReader& body, std::size_t post_header_length,
                                        std::uint32_t server_id);
Result<MariaGtidListEvent> parse_maria_gtid_list(ByteReader& body, std::size_t post_header_length);
Result<MariaBinlogCheckpointEvent> parse_maria_binlog_checkpoint(ByteReader& body,
                                                                 std::size_t post_header_length);
Result<MariaAnnotateRowsEvent> parse_maria_annotate_rows(ByteReader& body,
                                                         std::size_t post_header_length);
Result<MariaStartEncryptionEvent> parse_maria_start_encryption(ByteReader& body,
                                                               std::size_t post_header_length);

}  // namespace tideway::replication::mysql
