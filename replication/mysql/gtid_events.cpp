#include "replication/mysql/gtid_events.h"

#include <algorithm>

#include "replication/mysql/parse_util.h"

namespace tideway::replication::mysql {
namespace {

constexpr std::size_t kGtidFixedPart = 1 + 16 + 8;
constexpr std::uint8_t kLogicalClockTypecode = 2;
constexpr std::uint64_t kOriginalFollowsTimestampBit = std::uint64_t{1} << 55;
constexpr std::uint32_t kOriginalFollowsVersionBit = 1U << 31;
constexpr std::uint8_t kTaggedSerializationVersion = 2;
// A GTID tag is at most 32 characters ([a-z_][a-z0-9_]*).
constexpr std::uint64_t kMaxTagLength = 32;
// Nobody has this many GTID sources; the bound stops a corrupt count from looping long.
constexpr std::uint64_t kMaxPreviousGtidSids = 1U << 20;

std::int64_t zigzag_decode(std::uint64_t v) {
  const auto magnitude = static_cast<std::int64_t>(v >> 1);
  return (v & 1U) != 0 ? -magnitude - 1 : magnitude;
}

Status read_serialized_uuid(ByteReader& r, std::array<std::uint8_t, 16>& sid) {
  for (auto& byte : sid) {
    const std::uint64_t v = read_serialized_varlen(r);
    if (!r.ok() || v > 0xff) return corrupt("GTID_TAGGED sid byte is malformed");
    byte = static_cast<std::uint8_t>(v);
  }
  return Status::ok_status();
}

}  // namespace

std::uint64_t read_serialized_varlen(ByteReader& r) {
  if (!r.can_read(1)) {
    r.fail();
    return 0;
  }
  const auto first = r.bytes(1)[0];
  if (first == 0xff) return r.u64_le();
  std::size_t size = 1;
  while (((first >> (size - 1)) & 1U) != 0) ++size;
  std::uint64_t v = first;
  if (size > 1) v |= r.uint_le(size - 1) << 8;
  return v >> size;
}

std::string GtidEvent::gtid_text() const {
  if (anonymous) return "ANONYMOUS";
  std::string out = uuid_text(sid);
  if (!tag.empty()) out += ":" + tag;
  return out + ":" + std::to_string(gno);
}

std::string PreviousGtidsEvent::gtid_set_text() const {
  std::string out;
  for (const auto& entry : entries) {
    if (!out.empty()) out += ",";
    out += uuid_text(entry.sid);
    if (!entry.tag.empty()) out += ":" + entry.tag;
    for (const auto& interval : entry.intervals) {
      out += ":" + std::to_string(interval.start);
      if (interval.end - 1 != interval.start) out += "-" + std::to_string(interval.end - 1);
    }
  }
  return out;
}

Result<GtidEvent> parse_gtid(ByteReader& body, std::size_t post_header_length, bool anonymous) {
  const char* name = anonymous ? "ANONYMOUS_GTID" : "GTID";
  if (auto s = check_post_header(post_header_length, kGtidFixedPart, name); !s.ok()) {
    return s.error();
  }
  GtidEvent ev;
  ev.anonymous = anonymous;
  ev.flags = body.u8();
  const auto sid = body.bytes(16);
  ev.gno = static_cast<std::int64_t>(body.u64_le());
  if (!body.ok()) return truncated(name, kGtidFixedPart, body.remaining());
  std::copy(sid.begin(), sid.end(), ev.sid.begin());

  // Each optional group below is present only if the writer knew it; stop at the end.
  if (body.at_end()) return ev;
  if (body.u8() != kLogicalClockTypecode) return ev;  // 5.7.4 and older: other meaning
  ev.last_committed = static_cast<std::int64_t>(body.u64_le());
  ev.sequence_number = static_cast<std::int64_t>(body.u64_le());
  if (!body.ok()) return corrupt(std::string(name) + " logical clock truncated");

  if (body.remaining() >= 7) {
    std::uint64_t immediate = body.uint_le(7);
    std::uint64_t original = immediate;
    if ((immediate & kOriginalFollowsTimestampBit) != 0) {
      immediate &= ~kOriginalFollowsTimestampBit;
      original = body.uint_le(7);
      if (!body.ok()) return corrupt(std::string(name) + " original commit timestamp truncated");
    }
    ev.immediate_commit_timestamp = immediate;
    ev.original_commit_timestamp = original;
  }
  if (!body.at_end()) {
    ev.transaction_length = body.lenenc_int();
    if (!body.ok()) return corrupt(std::string(name) + " transaction length malformed");
  }
  if (body.remaining() >= 4) {
    std::uint32_t immediate = body.u32_le();
    std::uint32_t original = immediate;
    if ((immediate & kOriginalFollowsVersionBit) != 0) {
      immediate &= ~kOriginalFollowsVersionBit;
      original = body.u32_le();
      if (!body.ok()) return corrupt(std::string(name) + " original server version truncated");
    }
    ev.immediate_server_version = immediate;
    ev.original_server_version = original;
  }
  if (body.remaining() >= 8) ev.commit_group_ticket = body.u64_le();
  return ev;
}

Result<GtidEvent> parse_gtid_tagged(ByteReader& body, std::size_t post_header_length) {
  body.skip(post_header_length);
  const std::size_t start = body.position();
  const std::uint8_t version = body.u8();
  if (!body.ok()) return corrupt("GTID_TAGGED is empty");
  if (version != kTaggedSerializationVersion) {
    return corrupt("GTID_TAGGED serialization version " + std::to_string(version) +
                   " is not supported (expected 2)");
  }
  const std::uint64_t payload_size = read_serialized_varlen(body);
  const std::uint64_t last_non_ignorable = read_serialized_varlen(body);
  if (!body.ok()) return corrupt("GTID_TAGGED envelope truncated");
  // payload_size counts everything from the version byte on.
  const std::size_t consumed = body.position() - start;
  if (payload_size < consumed || payload_size - consumed > body.remaining()) {
    return corrupt("GTID_TAGGED payload size " + std::to_string(payload_size) +
                   " does not fit the event");
  }
  ByteReader fields(body.bytes(static_cast<std::size_t>(payload_size - consumed)));

  GtidEvent ev;
  ev.tagged_format = true;
  bool have_original_ts = false;
  bool have_original_version = false;
  while (!fields.at_end()) {
    const std::uint64_t id = read_serialized_varlen(fields);
    switch (id) {
      case 0:
        ev.flags = static_cast<std::uint8_t>(read_serialized_varlen(fields));
        break;
      case 1:
        if (auto s = read_serialized_uuid(fields, ev.sid); !s.ok()) return s.error();
        break;
      case 2:
        ev.gno = zigzag_decode(read_serialized_varlen(fields));
        break;
      case 3: {
        const std::uint64_t length = read_serialized_varlen(fields);
        if (!fields.ok() || length > kMaxTagLength) return corrupt("GTID_TAGGED tag malformed");
        auto tag = read_bytes(fields, length, "GTID_TAGGED tag");
        if (!tag.ok()) return tag.error();
        ev.tag = std::move(*tag);
        break;
      }
      case 4:
        ev.last_committed = zigzag_decode(read_serialized_varlen(fields));
        break;
      case 5:
        ev.sequence_number = zigzag_decode(read_serialized_varlen(fields));
        break;
      case 6:
        ev.immediate_commit_timestamp = read_serialized_varlen(fields);
        break;
      case 7:
        ev.original_commit_timestamp = read_serialized_varlen(fields);
        have_original_ts = true;
        break;
      case 8:
        ev.transaction_length = read_serialized_varlen(fields);
        break;
      case 9:
        ev.immediate_server_version = static_cast<std::uint32_t>(read_serialized_varlen(fields));
        break;
      case 10:
        ev.original_server_version = static_cast<std::uint32_t>(read_serialized_varlen(fields));
        have_original_version = true;
        break;
      case 11:
        ev.commit_group_ticket = read_serialized_varlen(fields);
        break;
      default:
        // An unknown field's size cannot be known. If the writer marked it essential we
        // must not go on; otherwise the fields we know are all that matter.
        if (id <= last_non_ignorable) {
          return corrupt("GTID_TAGGED has unknown non-ignorable field " + std::to_string(id));
        }
        fields.skip(fields.remaining());
        break;
    }
    if (!fields.ok()) return corrupt("GTID_TAGGED field " + std::to_string(id) + " truncated");
  }
  if (!have_original_ts) ev.original_commit_timestamp = ev.immediate_commit_timestamp;
  if (!have_original_version) ev.original_server_version = ev.immediate_server_version;
  return ev;
}

Result<PreviousGtidsEvent> parse_previous_gtids(ByteReader& body, std::size_t post_header_length) {
  body.skip(post_header_length);
  const std::uint64_t header = body.u64_le();
  if (!body.ok()) return corrupt("PREVIOUS_GTIDS set header truncated");
  PreviousGtidsEvent ev;
  ev.tagged_format = (header >> 56) == 1;
  const std::uint64_t n_sids =
      ev.tagged_format ? (header >> 8) & ((std::uint64_t{1} << 48) - 1) : header;
  // Each sid takes at least 24 bytes: check the count before trusting it.
  if (n_sids > kMaxPreviousGtidSids || n_sids * 24 > body.remaining()) {
    return corrupt("PREVIOUS_GTIDS claims " + std::to_string(n_sids) + " sids in " +
                   std::to_string(body.remaining()) + " bytes");
  }
  for (std::uint64_t i = 0; i < n_sids; ++i) {
    GtidSetEntry entry;
    const auto sid = body.bytes(16);
    if (!body.ok()) return corrupt("PREVIOUS_GTIDS sid truncated");
    std::copy(sid.begin(), sid.end(), entry.sid.begin());
    if (ev.tagged_format) {
      const std::uint64_t tag_length = read_serialized_varlen(body);
      if (!body.ok() || tag_length > kMaxTagLength) return corrupt("PREVIOUS_GTIDS tag malformed");
      auto tag = read_bytes(body, tag_length, "PREVIOUS_GTIDS tag");
      if (!tag.ok()) return tag.error();
      entry.tag = std::move(*tag);
    }
    const std::uint64_t n_intervals = body.u64_le();
    if (!body.ok() || n_intervals > body.remaining() / 16) {
      return corrupt("PREVIOUS_GTIDS interval count " + std::to_string(n_intervals) +
                     " does not fit the event");
    }
    entry.intervals.reserve(static_cast<std::size_t>(n_intervals));
    for (std::uint64_t k = 0; k < n_intervals; ++k) {
      GtidInterval interval;
      interval.start = static_cast<std::int64_t>(body.u64_le());
      interval.end = static_cast<std::int64_t>(body.u64_le());
      if (interval.start < 1 || interval.end <= interval.start) {
        return corrupt("PREVIOUS_GTIDS interval [" + std::to_string(interval.start) + ", " +
                       std::to_string(interval.end) + ") is empty or negative");
      }
      entry.intervals.push_back(interval);
    }
    ev.entries.push_back(std::move(entry));
  }
  return ev;
}

}  // namespace tideway::replication::mysql
