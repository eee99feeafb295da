#pragma once
// A point in a MySQL/MariaDB source's binlog, as recorded by the snapshot and full load:
// TaskState::start_position (where the change stream starts) and ChunkDone::snapshot
// (where one chunk was read) both hold its text form
//
//     <binlog file>:<offset>[;gtid=<GTID list>]
//     mariadb-bin.000019:344;gtid=0-1-3
//     mysql-bin.000004:1563;gtid=0-1-90,1-2-7       (one GTID per replication domain)
//
// The file and offset are exact (binlog_snapshot_file/position of a consistent-snapshot
// transaction); the GTID list is the server's BINLOG_GTID_POS() of that file and offset,
// so the stream can start by GTID as well (e.g. after a failover to a replica). Positions
// of one server are ordered by the file's sequence number (the digits after the last
// '.'), then the offset.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tideway::replication::mysql {

struct BinlogPosition {
  std::string file;          // "mariadb-bin.000019"
  std::uint64_t offset = 0;  // byte offset of the next event in `file`
  std::string gtid;          // "0-1-3"; empty when unknown

  std::string to_string() const;
  /// Parses the text form; nullopt for anything else (no ':', a non-number offset, a
  /// file name without a numeric extension, characters outside what servers write).
  static std::optional<BinlogPosition> parse(std::string_view text);

  /// The binlog sequence number: 19 for "mariadb-bin.000019".
  std::uint64_t file_sequence() const;

  /// Stream order: file sequence, then offset (files of one server share a base name).
  std::strong_ordering operator<=>(const BinlogPosition& other) const;
  bool operator==(const BinlogPosition& other) const {
    return file == other.file && offset == other.offset;
  }
};

/// The sequence number of `domain`-`server`-N in a GTID list, if present: the tests and
/// the stream use it to decide whether a transaction lies before a position.
std::optional<std::uint64_t> gtid_sequence(std::string_view gtid_list, std::uint32_t domain);

}  // namespace tideway::replication::mysql
