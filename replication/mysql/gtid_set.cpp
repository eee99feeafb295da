#include "replication/mysql/gtid_set.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "replication/mysql/gtid_events.h"
#include "replication/mysql/parse_util.h"

namespace tideway::replication::mysql {
namespace {

constexpr std::size_t kUuidTextLength = 36;
// Each sid of the binary form takes at least 16 + 8 bytes, each interval 16.
constexpr std::size_t kMinSidBytes = 24;
constexpr std::size_t kIntervalBytes = 16;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool starts_tag(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>((v >> (8 * i)) & 0xff));
}

/// "'<text, shortened>'" for messages: a set can be long, the reader needs its start.
std::string quoted_head(std::string_view text) {
  constexpr std::size_t kMax = 80;
  if (text.size() <= kMax) return fmt::format("'{}'", text);
  return fmt::format("'{}...' ({} characters)", text.substr(0, kMax), text.size());
}

/// Walks the text form; each error names what was expected, the offset and what is there.
class SetParser {
 public:
  explicit SetParser(std::string_view text) : text_(text) {}

  Result<GtidSet> run() {
    GtidSet set;
    skip_space();
    if (at_end()) return set;
    while (true) {
      skip_space();
      const std::size_t uuid_at = pos_;
      while (!at_end() && text_[pos_] != ':' && text_[pos_] != ',' && !is_space(text_[pos_])) {
        ++pos_;
      }
      auto uuid = parse_gtid_uuid(text_.substr(uuid_at, pos_ - uuid_at));
      if (!uuid.ok()) return fail(uuid_at, uuid.error().message);
      skip_space();
      if (at_end() || text_[pos_] != ':') {
        return fail(pos_, "expected ':' and a transaction interval after the UUID");
      }
      while (!at_end() && text_[pos_] == ':') {
        ++pos_;
        skip_space();
        if (!at_end() && starts_tag(text_[pos_])) {
          return fail(pos_,
                      "tagged GTIDs (uuid:tag:interval, MySQL 8.4+) are not supported; the "
                      "source must not use GTID tags for the stream to track its GTID set");
        }
        const std::size_t start_at = pos_;
        auto first = number();
        if (!first.ok()) return first.error();
        std::uint64_t last = *first;
        skip_space();
        if (!at_end() && text_[pos_] == '-') {
          ++pos_;
          skip_space();
          auto second = number();
          if (!second.ok()) return second.error();
          last = *second;
        }
        if (*first < 1 || last > GtidSet::kMaxGno || last < *first) {
          return fail(start_at, fmt::format("interval {}-{} is not within 1-{} in ascending order",
                                            *first, last, GtidSet::kMaxGno));
        }
        if (Status s = set.add_range(*uuid, *first, last); !s.ok()) {
          return fail(start_at, s.message());
        }
        skip_space();
      }
      if (at_end()) break;
      if (text_[pos_] != ',') return fail(pos_, "expected ',' or ':'");
      ++pos_;
      skip_space();
      if (at_end()) return fail(pos_, "a ',' must be followed by another UUID");
    }
    return set;
  }

 private:
  Result<std::uint64_t> number() {
    const std::size_t at = pos_;
    while (!at_end() && is_digit(text_[pos_])) ++pos_;
    if (at == pos_) return fail(at, "expected a transaction number");
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text_.data() + at, text_.data() + pos_, v);
    if (ec != std::errc() || end != text_.data() + pos_) {
      return fail(at, "transaction number out of range");
    }
    return v;
  }

  void skip_space() {
    while (!at_end() && is_space(text_[pos_])) ++pos_;
  }
  bool at_end() const { return pos_ >= text_.size(); }

  Error fail(std::size_t at, const std::string& what) const {
    const std::string_view here = text_.substr(std::min(at, text_.size()), 24);
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("GTID set {}: {} at offset {} ({})", quoted_head(text_), what, at,
                                  here.empty() ? "the end" : fmt::format("at '{}'", here)));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<GtidUuid> parse_gtid_uuid(std::string_view text) {
  GtidUuid uuid{};
  bool ok = text.size() == kUuidTextLength;
  std::size_t byte = 0;
  for (std::size_t i = 0; ok && i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      ok = text[i] == '-';
      continue;
    }
    const int hi = hex_value(text[i]);
    const int lo = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
    ok = hi >= 0 && lo >= 0;
    if (ok) uuid[byte++] = static_cast<std::uint8_t>(hi * 16 + lo);
    ++i;
  }
  if (!ok || byte != uuid.size()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' is not a server UUID (expected 8-4-4-4-12 hex digits, "
                                  "e.g. 3e11fa47-71ca-11e1-9e33-c80aa9429562)",
                                  text.substr(0, 48)));
  }
  return uuid;
}

Result<GtidSet> GtidSet::parse(std::string_view text) { return SetParser(text).run(); }

Result<GtidSet> GtidSet::from_previous_gtids(const PreviousGtidsEvent& event) {
  GtidSet set;
  for (const auto& e : event.entries) {
    if (!e.tag.empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("PREVIOUS_GTIDS holds tagged GTIDs ({}:{}), which are not "
                                    "supported",
                                    uuid_text(e.sid), e.tag));
    }
    Entry& entry = set.entry_for(e.sid);
    for (const auto& i : e.intervals) {
      // parse_previous_gtids checked 1 <= start < end.
      if (static_cast<std::uint64_t>(i.end) > kMaxGno + 1) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("PREVIOUS_GTIDS interval [{}, {}) of {} is beyond the "
                                      "largest transaction number",
                                      i.start, i.end, uuid_text(e.sid)));
      }
      set.add_interval(entry,
                       {static_cast<std::uint64_t>(i.start), static_cast<std::uint64_t>(i.end)});
    }
  }
  return set;
}

Result<GtidSet> GtidSet::decode(ByteReader& r) {
  const auto fail = [&r](const std::string& what) -> Error {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("GTID set (binary): {} at byte {}", what, r.position()));
  };
  const std::uint64_t n_sids = r.u64_le();
  if (!r.ok()) return fail("the sid count is truncated");
  if (n_sids > r.remaining() / kMinSidBytes) {
    return fail(fmt::format("{} sids cannot fit in the {} bytes left", n_sids, r.remaining()));
  }
  GtidSet set;
  for (std::uint64_t k = 0; k < n_sids; ++k) {
    const auto bytes = r.bytes(16);
    const std::uint64_t n_intervals = r.u64_le();
    if (!r.ok()) return fail(fmt::format("sid {} is truncated", k));
    if (n_intervals > r.remaining() / kIntervalBytes) {
      return fail(
          fmt::format("{} intervals cannot fit in the {} bytes left", n_intervals, r.remaining()));
    }
    GtidUuid uuid{};
    std::copy(bytes.begin(), bytes.end(), uuid.begin());
    Entry& entry = set.entry_for(uuid);
    for (std::uint64_t i = 0; i < n_intervals; ++i) {
      const std::size_t at = r.position();
      const std::uint64_t start = r.u64_le();
      const std::uint64_t end = r.u64_le();
      if (start < 1 || end <= start || end > kMaxGno + 1) {
        return make_error(ErrorCode::kCorruption,
                          fmt::format("GTID set (binary): interval [{}, {}) of {} is empty or "
                                      "out of range at byte {}",
                                      start, end, uuid_text(uuid), at));
      }
      set.add_interval(entry, {start, end});
    }
    if (entry.intervals.empty()) {
      // A sid without intervals says nothing; do not keep an empty entry.
      set.sids_.erase(set.sids_.begin() + static_cast<std::ptrdiff_t>(set.last_));
      set.last_ = 0;
    }
  }
  return set;
}

GtidSet::Entry& GtidSet::entry_for(const GtidUuid& uuid) {
  if (last_ < sids_.size() && sids_[last_].uuid == uuid) return sids_[last_];
  auto it = std::lower_bound(sids_.begin(), sids_.end(), uuid,
                             [](const Entry& e, const GtidUuid& u) { return e.uuid < u; });
  if (it == sids_.end() || it->uuid != uuid) {
    Entry fresh;
    fresh.uuid = uuid;
    it = sids_.insert(it, std::move(fresh));
    text_dirty_ = true;
  }
  last_ = static_cast<std::size_t>(it - sids_.begin());
  return *it;
}

const GtidSet::Entry* GtidSet::find(const GtidUuid& uuid) const {
  auto it = std::lower_bound(sids_.begin(), sids_.end(), uuid,
                             [](const Entry& e, const GtidUuid& u) { return e.uuid < u; });
  return it == sids_.end() || it->uuid != uuid ? nullptr : &*it;
}

void GtidSet::add_interval(Entry& entry, Interval add) {
  auto& v = entry.intervals;
  // At or after the last interval: the usual case, no search.
  if (v.empty() || add.start > v.back().end) {
    v.push_back(add);
    changed(entry);
    return;
  }
  if (add.start >= v.back().start) {
    if (add.end > v.back().end) {
      v.back().end = add.end;
      changed(entry);
    }
    return;
  }
  // The first interval that ends at or after add.start: it overlaps or touches `add`, or
  // lies wholly after it.
  auto it = std::lower_bound(v.begin(), v.end(), add.start,
                             [](const Interval& i, std::uint64_t s) { return i.end < s; });
  if (it == v.end() || it->start > add.end) {
    v.insert(it, add);
    changed(entry);
    return;
  }
  const Interval before = *it;
  it->start = std::min(it->start, add.start);
  std::uint64_t end = std::max(it->end, add.end);
  auto next = it + 1;
  while (next != v.end() && next->start <= end) {
    end = std::max(end, next->end);
    ++next;
  }
  it->end = end;
  const bool merged = next != it + 1;
  v.erase(it + 1, next);
  if (merged || !(before == *it)) changed(entry);
}

Status GtidSet::add(const GtidUuid& uuid, std::uint64_t gno) {
  if (gno < 1 || gno > kMaxGno) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("GTID {}:{} has a transaction number outside 1-{}",
                                  uuid_text(uuid), gno, kMaxGno));
  }
  Entry& entry = entry_for(uuid);
  if (!entry.intervals.empty() && entry.intervals.back().end == gno) {
    ++entry.intervals.back().end;  // the next number: extend the last interval
    changed(entry);
    return {};
  }
  add_interval(entry, {gno, gno + 1});
  return {};
}

Status GtidSet::add_range(const GtidUuid& uuid, std::uint64_t first, std::uint64_t last) {
  if (first < 1 || last > kMaxGno || last < first) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("GTID interval {}:{}-{} is not within 1-{} in ascending order",
                                  uuid_text(uuid), first, last, kMaxGno));
  }
  add_interval(entry_for(uuid), {first, last + 1});
  return {};
}

void GtidSet::add(const GtidSet& other) {
  for (const Entry& e : other.sids_) {
    Entry& mine = entry_for(e.uuid);
    for (const Interval& i : e.intervals) add_interval(mine, i);
  }
}

bool GtidSet::contains(const GtidUuid& uuid, std::uint64_t gno) const {
  const Entry* e = find(uuid);
  if (e == nullptr) return false;
  auto it = std::upper_bound(e->intervals.begin(), e->intervals.end(), gno,
                             [](std::uint64_t g, const Interval& i) { return g < i.start; });
  return it != e->intervals.begin() && std::prev(it)->end > gno;
}

bool GtidSet::contains(const GtidSet& other) const {
  for (const Entry& theirs : other.sids_) {
    const Entry* mine = find(theirs.uuid);
    if (mine == nullptr) return false;
    for (const Interval& i : theirs.intervals) {
      // Intervals are merged, so a contained one lies within a single interval of ours.
      auto it = std::upper_bound(mine->intervals.begin(), mine->intervals.end(), i.start,
                                 [](std::uint64_t s, const Interval& m) { return s < m.start; });
      if (it == mine->intervals.begin() || std::prev(it)->end < i.end) return false;
    }
  }
  return true;
}

std::span<const GtidSet::Interval> GtidSet::intervals(const GtidUuid& uuid) const {
  const Entry* e = find(uuid);
  if (e == nullptr) return {};
  return e->intervals;
}

const std::string& GtidSet::text() const {
  if (!text_dirty_) return text_;
  std::size_t size = 0;
  for (const Entry& e : sids_) {
    if (e.dirty) {
      e.text = uuid_text(e.uuid);
      for (const Interval& i : e.intervals) {
        if (i.end - 1 == i.start) {
          fmt::format_to(std::back_inserter(e.text), ":{}", i.start);
        } else {
          fmt::format_to(std::back_inserter(e.text), ":{}-{}", i.start, i.end - 1);
        }
      }
      e.dirty = false;
    }
    size += e.text.size() + 1;
  }
  text_.clear();
  text_.reserve(size);
  for (const Entry& e : sids_) {
    if (!text_.empty()) text_ += ',';
    text_ += e.text;
  }
  text_dirty_ = false;
  return text_;
}

std::vector<std::uint8_t> GtidSet::encode() const {
  std::vector<std::uint8_t> out;
  put_u64(out, sids_.size());
  for (const Entry& e : sids_) {
    out.insert(out.end(), e.uuid.begin(), e.uuid.end());
    put_u64(out, e.intervals.size());
    for (const Interval& i : e.intervals) {
      put_u64(out, i.start);
      put_u64(out, i.end);
    }
  }
  return out;
}

bool GtidSet::operator==(const GtidSet& other) const {
  if (sids_.size() != other.sids_.size()) return false;
  for (std::size_t i = 0; i < sids_.size(); ++i) {
    if (sids_[i].uuid != other.sids_[i].uuid || sids_[i].intervals != other.sids_[i].intervals) {
      return false;
    }
  }
  return true;
}

}  // namespace tideway::replication::mysql
