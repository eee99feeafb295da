#pragma once
// A point in a MySQL/MariaDB source's binlog, as recorded by the snapshot and full load:
// TaskState::start_position (where the change stream starts) and ChunkDone::snapshot
// (where one chunk was read) both hold its text form
//
//     <binlog file>:<offset>[;gtid=<MariaDB GTID list | MySQL GTID set>]
//     mariadb-bin.000019:344;gtid=0-1-3
//     mariadb-bin.000004:1563;gtid=0-1-90,1-2-7     (MariaDB: one GTID per domain)
//     binlog.000012:4711;gtid=3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77,4ab0f1b2-...:1-3
//     binlog.000012:157;gtid=                       (MySQL, gtid_mode=ON, none executed yet)
//
// The file and offset are exact (binlog_snapshot_file/position of a consistent-snapshot
// transaction, or SHOW MASTER STATUS). The GTID part is, on MariaDB, the server's
// BINLOG_GTID_POS() of that file and offset; on MySQL with gtid_mode=ON, the executed
// GTID set there (Executed_Gtid_Set, then kept by the stream), in canonical form
// (gtid_set.h). Either lets the stream start by GTID (mysql.resume_by: gtid), which is
// what follows a source across a failover to a replica: file names and offsets are one
// server's, GTIDs are the same on every server of the topology.
//
// The kind is told by the text: a MySQL set has ':' after each UUID, and "gtid=" with
// nothing after it is the empty MySQL set (a MariaDB list that is unknown or empty is
// written without the tag). The file is everything before the last ':' in front of
// ";gtid=", so the set's own ':' and ',' never confuse it.
//
// Positions of one server are ordered by the file's sequence number (the digits after the
// last '.'), then the offset; positions of different servers only by their GTIDs
// (gtid_at_or_after).

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tideway::replication::mysql {

struct BinlogPosition {
  std::string file;             // "mariadb-bin.000019"
  std::uint64_t offset = 0;     // byte offset of the next event in `file`
  std::string gtid;             // "0-1-3" or a canonical MySQL set; empty when unknown
  bool mysql_gtid_set = false;  // `gtid` is a MySQL GTID set (then "" is the empty set)

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

/// Whether `a` has executed every transaction `b` has, judged by GTIDs only: for MySQL
/// sets a superset, for MariaDB lists every domain of `b` at an equal or higher sequence
/// number in `a`. nullopt when the two do not both carry GTIDs of the same kind.
std::optional<bool> gtid_at_or_after(const BinlogPosition& a, const BinlogPosition& b);

/// The sequence number of `domain`-`server`-N in a GTID list, if present: the tests and
/// the stream use it to decide whether a transaction lies before a position.
std::optional<std::uint64_t> gtid_sequence(std::string_view gtid_list, std::uint32_t domain);

}  // namespace tideway::replication::mysql
