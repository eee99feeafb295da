#pragma once
// A MySQL GTID set: which transactions (source server UUID + transaction number) a server
// has executed, as @@gtid_executed, SHOW MASTER STATUS's Executed_Gtid_Set, @@gtid_purged
// and PREVIOUS_GTIDS_LOG_EVENT hold it. (MariaDB's GTIDs are a list of domain-server-seq,
// one per domain: my_change_builder.h.)
//
// Text form, as the server prints it and as positions store it (my_position.h):
//     3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7-9,4ab0f1b2-1b5e-11ee-8a31-0242ac120002:3
// Each UUID is followed by one or more ':'-separated intervals "a-b" (inclusive) or "n";
// UUIDs are separated by ','. The server's own output has a newline after each ',';
// whitespace around any token is accepted, case does not matter. The canonical form
// (text()) is lower-case, UUIDs sorted, intervals sorted and merged, no whitespace; two
// equal sets have the same canonical text.
//
// MySQL 8.4's tagged GTIDs ("uuid:tag:1-5") are refused with an error saying so: the
// stream does not track them, and a set it cannot represent must not be silently cut.
//
// Binary form (the SID block of COM_BINLOG_DUMP_GTID and the body of an untagged
// PREVIOUS_GTIDS event), all integers little-endian:
//     8   n_sids
//     per sid, in UUID order:  16 uuid, 8 n_intervals, n_intervals x (8 start, 8 end)
// with `end` exclusive: "uuid:1-5" is the interval [1, 6).
//
// Cost: add(uuid, gno) for the next number of a UUID's last interval (what a stream sees
// for almost every transaction) touches only that interval: O(1) after a check of the
// last UUID used. text() is cached; after a change only the changed UUID's part is
// formatted again and the parts are joined (a copy of the bytes). Not thread-safe.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/byte_reader.h"
#include "common/error.h"

namespace tideway::replication::mysql {

struct PreviousGtidsEvent;

using GtidUuid = std::array<std::uint8_t, 16>;

/// The UUID of "8-4-4-4-12" hex text (either case); nullopt-like failure as an Error.
Result<GtidUuid> parse_gtid_uuid(std::string_view text);

class GtidSet {
 public:
  /// Transaction numbers are 1 .. 2^63 - 2 (the server's GNO_END is 2^63 - 1).
  static constexpr std::uint64_t kMaxGno = (std::uint64_t{1} << 63) - 2;

  struct Interval {
    std::uint64_t start = 0;  // inclusive
    std::uint64_t end = 0;    // exclusive
    bool operator==(const Interval&) const = default;
  };

  GtidSet() = default;

  /// Parses the text form (see above); "" (or only whitespace) is the empty set. Errors
  /// (kInvalidArgument) quote the offending part and its offset.
  static Result<GtidSet> parse(std::string_view text);
  /// The set of an untagged PREVIOUS_GTIDS event; a tagged one is refused.
  static Result<GtidSet> from_previous_gtids(const PreviousGtidsEvent& event);
  /// Reads the binary form (above) from `r`; errors name the byte offset.
  static Result<GtidSet> decode(ByteReader& r);

  /// Adds one transaction; kInvalidArgument for a number outside 1..kMaxGno.
  Status add(const GtidUuid& uuid, std::uint64_t gno);
  /// Adds first..last (inclusive), as the text form's "first-last".
  Status add_range(const GtidUuid& uuid, std::uint64_t first, std::uint64_t last);
  /// Adds every transaction of `other` (the union, in place).
  void add(const GtidSet& other);

  bool contains(const GtidUuid& uuid, std::uint64_t gno) const;
  /// Whether every transaction of `other` is in this set (other is a subset).
  bool contains(const GtidSet& other) const;

  bool empty() const { return sids_.empty(); }
  std::size_t uuid_count() const { return sids_.size(); }
  /// The intervals of one UUID (sorted, disjoint, not adjacent); empty if none.
  std::span<const Interval> intervals(const GtidUuid& uuid) const;

  /// The canonical text (see above); "" for the empty set.
  const std::string& text() const;
  /// The binary form (above): COM_BINLOG_DUMP_GTID's SID block.
  std::vector<std::uint8_t> encode() const;

  bool operator==(const GtidSet& other) const;

 private:
  struct Entry {
    GtidUuid uuid{};
    std::vector<Interval> intervals;
    mutable std::string text;  // "uuid:1-5:7-9", valid unless dirty
    mutable bool dirty = true;
  };

  Entry& entry_for(const GtidUuid& uuid);
  const Entry* find(const GtidUuid& uuid) const;
  void add_interval(Entry& entry, Interval interval);
  void changed(Entry& entry) {
    entry.dirty = true;
    text_dirty_ = true;
  }

  std::vector<Entry> sids_;   // sorted by UUID bytes (= by lower-case text)
  std::size_t last_ = 0;      // index of the entry add() used last
  mutable std::string text_;  // the joined canonical text, valid unless text_dirty_
  mutable bool text_dirty_ = false;
};

}  // namespace tideway::replication::mysql
