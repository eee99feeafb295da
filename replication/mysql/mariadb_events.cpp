#include "replication/mysql/mariadb_events.h"

#include <algorithm>

#include "replication/mysql/parse_util.h"

namespace tideway::replication::mysql {
namespace {

constexpr std::uint8_t kFlagGroupCommitId = 0x02;
constexpr std::uint8_t kFlagPreparedXa = 0x40;
constexpr std::uint8_t kFlagCompletedXa = 0x80;
constexpr std::uint8_t kExtraMultiEngine = 0x01;
constexpr std::uint8_t kExtraCommitAlter = 0x04;
constexpr std::uint8_t kExtraRollbackAlter = 0x08;
constexpr std::uint8_t kExtraThreadId = 0x10;
constexpr std::uint32_t kGtidListCountMask = 0x0fffffff;
constexpr std::size_t kMaxFileNameLength = 512;

}  // namespace

std::string MariaGtid::text() const {
  return std::to_string(domain_id) + "-" + std::to_string(server_id) + "-" + std::to_string(seq_no);
}

Result<MariaGtidEvent> parse_maria_gtid(ByteReader& body, std::size_t post_header_length,
                                        std::uint32_t server_id) {
  // The fields live inside the (padded) post-header; read them in order from the start.
  if (auto s = check_post_header(post_header_length, 13, "MARIA_GTID"); !s.ok()) return s.error();
  MariaGtidEvent ev;
  ev.gtid.server_id = server_id;
  ev.gtid.seq_no = body.u64_le();
  ev.gtid.domain_id = body.u32_le();
  ev.flags2 = body.u8();
  if (!body.ok()) return corrupt("MARIA_GTID fixed part truncated");
  if ((ev.flags2 & kFlagGroupCommitId) != 0) {
    ev.commit_id = body.u64_le();
    if (!body.ok()) return corrupt("MARIA_GTID commit id truncated");
  }
  if ((ev.flags2 & (kFlagPreparedXa | kFlagCompletedXa)) != 0) {
    MariaXid xid;
    xid.format_id = static_cast<std::int32_t>(body.u32_le());
    const std::uint8_t gtrid_length = body.u8();
    const std::uint8_t bqual_length = body.u8();
    if (!body.ok() || gtrid_length > 64 || bqual_length > 64) {
      return corrupt("MARIA_GTID XA id header malformed");
    }
    auto gtrid = read_bytes(body, gtrid_length, "MARIA_GTID XA gtrid");
    if (!gtrid.ok()) return gtrid.error();
    auto bqual = read_bytes(body, bqual_length, "MARIA_GTID XA bqual");
    if (!bqual.ok()) return bqual.error();
    xid.gtrid = std::move(*gtrid);
    xid.bqual = std::move(*bqual);
    ev.xid = std::move(xid);
  }
  if (body.at_end()) return ev;
  ev.flags_extra = body.u8();
  if ((ev.flags_extra & kExtraMultiEngine) != 0) ev.extra_engines = body.u8();
  if ((ev.flags_extra & (kExtraCommitAlter | kExtraRollbackAlter)) != 0) {
    ev.sa_seq_no = body.u64_le();
  }
  if ((ev.flags_extra & kExtraThreadId) != 0) ev.thread_id = body.u32_le();
  if (!body.ok()) return corrupt("MARIA_GTID extra flags promise more bytes than remain");
  return ev;
}

Result<MariaGtidListEvent> parse_maria_gtid_list(ByteReader& body, std::size_t post_header_length) {
  if (auto s = check_post_header(post_header_length, 4, "MARIA_GTID_LIST"); !s.ok()) {
    return s.error();
  }
  const std::uint32_t word = body.u32_le();
  body.skip(post_header_length - 4);
  if (!body.ok()) return corrupt("MARIA_GTID_LIST count truncated");
  MariaGtidListEvent ev;
  ev.flags = static_cast<std::uint8_t>(word >> 28);
  const std::uint32_t count = word & kGtidListCountMask;
  // MariaDB 11 may pad the event; fewer bytes than the count needs is corruption.
  if (std::uint64_t{count} * 16 > body.remaining()) {
    return corrupt("MARIA_GTID_LIST of " + std::to_string(count) + " GTIDs needs " +
                   std::to_string(std::uint64_t{count} * 16) + " bytes, the event has " +
                   std::to_string(body.remaining()));
  }
  ev.gtids.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    MariaGtid g;
    g.domain_id = body.u32_le();
    g.server_id = body.u32_le();
    g.seq_no = body.u64_le();
    ev.gtids.push_back(g);
  }
  return ev;
}

Result<MariaBinlogCheckpointEvent> parse_maria_binlog_checkpoint(ByteReader& body,
                                                                 std::size_t post_header_length) {
  if (auto s = check_post_header(post_header_length, 4, "MARIA_BINLOG_CHECKPOINT"); !s.ok()) {
    return s.error();
  }
  const std::uint32_t length = body.u32_le();
  body.skip(post_header_length - 4);
  if (!body.ok()) return corrupt("MARIA_BINLOG_CHECKPOINT length truncated");
  if (length > kMaxFileNameLength) return corrupt("MARIA_BINLOG_CHECKPOINT file name too long");
  auto file = read_bytes(body, length, "MARIA_BINLOG_CHECKPOINT file name");
  if (!file.ok()) return file.error();
  return MariaBinlogCheckpointEvent{std::move(*file)};
}

Result<MariaAnnotateRowsEvent> parse_maria_annotate_rows(ByteReader& body,
                                                         std::size_t post_header_length) {
  body.skip(post_header_length);
  if (!body.ok()) return corrupt("MARIA_ANNOTATE_ROWS post-header truncated");
  return MariaAnnotateRowsEvent{std::string(body.chars(body.remaining()))};
}

Result<MariaStartEncryptionEvent> parse_maria_start_encryption(ByteReader& body,
                                                               std::size_t post_header_length) {
  body.skip(post_header_length);
  MariaStartEncryptionEvent ev;
  ev.scheme = body.u8();
  ev.key_version = body.u32_le();
  const auto nonce = body.bytes(ev.nonce.size());
  if (!body.ok()) return corrupt("MARIA_START_ENCRYPTION truncated");
  std::copy(nonce.begin(), nonce.end(), ev.nonce.begin());
  return ev;
}

}  // namespace tideway::replication::mysql
