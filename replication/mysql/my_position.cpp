#include "replication/mysql/my_position.h"

#include <fmt/format.h>

#include <charconv>

#include "replication/mysql/gtid_set.h"

namespace tideway::replication::mysql {
namespace {

constexpr std::string_view kGtidTag = ";gtid=";
constexpr std::size_t kMaxFileName = 512;   // FN_REFLEN on the server
constexpr std::size_t kMaxGtidList = 4096;  // one "d-s-n" per domain; far more than any server
// A MySQL set: ~60 bytes per UUID with one interval; a thousand UUIDs is far more than a
// real topology has. With the file name the whole position still fits a TEXT column
// (65535 bytes: _tideway.apply_position.position on the target).
constexpr std::size_t kMaxGtidSet = 60000;

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  std::uint64_t v = 0;
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

bool valid_gtid_list(std::string_view gtid) {
  for (char c : gtid) {
    if (!((c >= '0' && c <= '9') || c == '-' || c == ',')) return false;
  }
  return true;
}

std::uint64_t sequence_of(std::string_view file) {
  const auto dot = file.rfind('.');
  if (dot == std::string_view::npos) return 0;
  return parse_u64(file.substr(dot + 1)).value_or(0);
}

}  // namespace

std::string BinlogPosition::to_string() const {
  if (gtid.empty() && !mysql_gtid_set) return fmt::format("{}:{}", file, offset);
  return fmt::format("{}:{}{}{}", file, offset, kGtidTag, gtid);
}

std::optional<BinlogPosition> BinlogPosition::parse(std::string_view text) {
  BinlogPosition p;
  std::string_view location = text;
  if (const auto tag = text.find(kGtidTag); tag != std::string_view::npos) {
    const std::string_view gtid = text.substr(tag + kGtidTag.size());
    if (gtid.empty() || gtid.find(':') != std::string_view::npos) {
      if (gtid.size() > kMaxGtidSet) return std::nullopt;
      auto set = GtidSet::parse(gtid);
      if (!set.ok()) return std::nullopt;
      p.gtid = set->text();
      p.mysql_gtid_set = true;
    } else {
      if (gtid.size() > kMaxGtidList || !valid_gtid_list(gtid)) return std::nullopt;
      p.gtid = std::string(gtid);
    }
    location = text.substr(0, tag);
  }
  const auto colon = location.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon > kMaxFileName) return std::nullopt;
  const std::string_view file = location.substr(0, colon);
  for (char c : file) {
    if (static_cast<unsigned char>(c) < 0x20 || c == ';') return std::nullopt;
  }
  const auto offset = parse_u64(location.substr(colon + 1));
  if (!offset) return std::nullopt;
  const auto dot = file.rfind('.');
  if (dot == std::string_view::npos || !parse_u64(file.substr(dot + 1))) return std::nullopt;
  p.file = std::string(file);
  p.offset = *offset;
  return p;
}

std::uint64_t BinlogPosition::file_sequence() const { return sequence_of(file); }

std::strong_ordering BinlogPosition::operator<=>(const BinlogPosition& other) const {
  if (auto c = file_sequence() <=> other.file_sequence(); c != 0) return c;
  if (auto c = file <=> other.file; c != 0) return c;  // a renamed base: stable, not meaningful
  return offset <=> other.offset;
}

std::optional<bool> gtid_at_or_after(const BinlogPosition& a, const BinlogPosition& b) {
  if (a.mysql_gtid_set != b.mysql_gtid_set) return std::nullopt;
  if (a.mysql_gtid_set) {
    auto sa = GtidSet::parse(a.gtid);
    auto sb = GtidSet::parse(b.gtid);
    if (!sa.ok() || !sb.ok()) return std::nullopt;
    return sa->contains(*sb);
  }
  if (a.gtid.empty() || b.gtid.empty()) return std::nullopt;
  std::size_t start = 0;
  while (start < b.gtid.size()) {
    auto end = b.gtid.find(',', start);
    if (end == std::string::npos) end = b.gtid.size();
    const std::string_view one(b.gtid.data() + start, end - start);
    const auto dash = one.find('-');
    const auto last = one.rfind('-');
    if (dash == std::string_view::npos || last == dash) return std::nullopt;
    const auto domain = parse_u64(one.substr(0, dash));
    const auto seq = parse_u64(one.substr(last + 1));
    if (!domain || !seq || *domain > 0xffffffffULL) return std::nullopt;
    const auto mine = gtid_sequence(a.gtid, static_cast<std::uint32_t>(*domain));
    if (!mine || *mine < *seq) return false;
    start = end + 1;
  }
  return true;
}

std::optional<std::uint64_t> gtid_sequence(std::string_view gtid_list, std::uint32_t domain) {
  std::size_t start = 0;
  while (start <= gtid_list.size()) {
    auto end = gtid_list.find(',', start);
    if (end == std::string_view::npos) end = gtid_list.size();
    const std::string_view one = gtid_list.substr(start, end - start);
    const auto first = one.find('-');
    const auto last = one.rfind('-');
    if (first != std::string_view::npos && last != first) {
      const auto d = parse_u64(one.substr(0, first));
      const auto seq = parse_u64(one.substr(last + 1));
      if (d && seq && *d == domain) return seq;
    }
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace tideway::replication::mysql
