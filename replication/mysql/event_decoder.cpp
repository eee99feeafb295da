#include "replication/mysql/event_decoder.h"

#include "replication/mysql/checksum.h"
#include "replication/mysql/parse_util.h"

namespace tideway::replication::mysql {
namespace {

// Post-header lengths of MariaDB's own types (160..171), for when a description does
// not list them.
std::size_t mariadb_default_post_header(std::uint8_t code) {
  switch (static_cast<EventType>(code)) {
    case EventType::kMariaBinlogCheckpoint:
      return 4;
    case EventType::kMariaGtid:
      return 19;
    case EventType::kMariaGtidList:
      return 4;
    case EventType::kMariaQueryCompressed:
      return 13;
    case EventType::kMariaWriteRowsCompressedV1:
    case EventType::kMariaUpdateRowsCompressedV1:
    case EventType::kMariaDeleteRowsCompressedV1:
      return 8;
    case EventType::kMariaWriteRowsCompressed:
    case EventType::kMariaUpdateRowsCompressed:
    case EventType::kMariaDeleteRowsCompressed:
      return 10;
    default:
      return 0;
  }
}

template <typename T>
Result<EventBody> lift(Result<T> r) {
  if (!r.ok()) return std::move(r).error();
  return EventBody(std::move(*r));
}

}  // namespace

EventDecoder::EventDecoder(DecoderOptions options)
    : options_(std::move(options)), format_(default_format_description()) {}

const TableMapEvent* EventDecoder::table(std::uint64_t table_id) const {
  const auto it = tables_.find(table_id);
  return it == tables_.end() ? nullptr : &it->second;
}

std::size_t EventDecoder::post_header_length(std::uint8_t type_code) const {
  if (const auto declared = format_.post_header_length(type_code)) return *declared;
  if (type_code >= 160) return mariadb_default_post_header(type_code);
  return default_format_description().post_header_length(type_code).value_or(0);
}

Result<BinlogEvent> EventDecoder::decode(std::span<const std::uint8_t> event,
                                         std::uint64_t offset) {
  return decode_event(event, offset, false);
}

Result<BinlogEvent> EventDecoder::decode_event(std::span<const std::uint8_t> event,
                                               std::uint64_t offset, bool inside_payload) {
  auto header = parse_event_header(event);
  if (!header.ok()) return header.error();
  BinlogEvent out;
  out.offset = offset;
  out.header = *header;
  const std::string name = out.type_name();
  auto fail = [&](Error e) { return std::move(e).with_context(name + " event"); };
  if (header->event_size != event.size()) {
    return fail(corrupt("event size " + std::to_string(header->event_size) + " but " +
                        std::to_string(event.size()) + " bytes given"));
  }
  if (encrypted_) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the binlog is encrypted from its START_ENCRYPTION event on; "
                      "encrypted binlogs are not supported");
  }

  // Which trailing bytes are a CRC: FORMAT_DESCRIPTION says so about itself; events in
  // a TRANSACTION_PAYLOAD never have one.
  bool has_crc = false;
  if (header->type() == EventType::kFormatDescription && !inside_payload) {
    auto fde = parse_format_description(event);
    if (!fde.ok()) return fail(std::move(fde).error());
    has_crc = fde->events_have_crc32();
  } else {
    has_crc = !inside_payload && format_.events_have_crc32();
  }
  ByteReader body(event.subspan(kEventHeaderSize));
  if (has_crc) {
    if (event.size() < kEventHeaderSize + kChecksumSize) {
      return fail(corrupt("event too short to hold its CRC32"));
    }
    const auto tail = event.last(kChecksumSize);
    out.checksum = std::uint32_t{tail[0]} | (std::uint32_t{tail[1]} << 8) |
                   (std::uint32_t{tail[2]} << 16) | (std::uint32_t{tail[3]} << 24);
    if (options_.verify_checksums) {
      if (auto s = verify_event_crc32(event); !s.ok()) return fail(std::move(s).error());
    }
    body.shrink_end(kChecksumSize);
  }
  // A header longer than 19 bytes (allowed by v4, never seen) carries fields we skip.
  if (format_.header_length > kEventHeaderSize && header->type() != EventType::kFormatDescription) {
    body.skip(format_.header_length - kEventHeaderSize);
    if (!body.ok()) return fail(corrupt("event shorter than the declared header length"));
  }

  auto decoded = decode_body(*header, body, event, inside_payload);
  if (!decoded.ok()) return fail(std::move(decoded).error());
  out.body = std::move(*decoded);
  return out;
}

Result<EventBody> EventDecoder::decode_body(const EventHeader& header, ByteReader& body,
                                            std::span<const std::uint8_t> event,
                                            bool inside_payload) {
  const std::uint8_t code = header.type_code;
  const std::size_t phl = post_header_length(code);
  if (format_.pre_ga_event_numbering() && code >= 16 && code <= 22) {
    return make_error(ErrorCode::kInvalidArgument,
                      "type " + std::to_string(code) + " has another meaning in binlogs of " +
                          format_.server_version +
                          " (a pre-GA MySQL 5.1/5.2 development build with its own event "
                          "numbering and row format), which are not supported");
  }
  switch (header.type()) {
    case EventType::kFormatDescription: {
      if (inside_payload) return corrupt("FORMAT_DESCRIPTION inside a TRANSACTION_PAYLOAD");
      auto fde = parse_format_description(event);
      if (!fde.ok()) return fde.error();
      format_ = *fde;
      have_format_ = true;
      // A new description (server restart, relay log switch) starts a new table space.
      tables_.clear();
      return EventBody(std::move(*fde));
    }
    case EventType::kQuery:
      return lift(parse_query(body, phl, QueryVariant::kQuery));
    case EventType::kExecuteLoadQuery:
      return lift(parse_query(body, phl, QueryVariant::kExecuteLoadQuery));
    case EventType::kMariaQueryCompressed:
      return lift(parse_query(body, phl, QueryVariant::kMariaCompressed));
    case EventType::kStop:
      return EventBody(StopEvent{});
    case EventType::kRotate:
      return lift(parse_rotate(body, phl));
    case EventType::kIntvar:
      return lift(parse_intvar(body, phl));
    case EventType::kRand:
      return lift(parse_rand(body, phl));
    case EventType::kUserVar:
      return lift(parse_user_var(body, phl));
    case EventType::kXid:
      return lift(parse_xid(body, phl));
    case EventType::kBeginLoadQuery:
    case EventType::kAppendBlock:
      return lift(parse_load_block(body, phl));
    case EventType::kIncident:
      return lift(parse_incident(body, phl));
    case EventType::kHeartbeat:
      return lift(parse_heartbeat(body, phl));
    // The TLV-encoded events below start right after the common header, whatever
    // post-header length the description declares.
    case EventType::kHeartbeatV2:
      return lift(parse_heartbeat_v2(body, 0));
    case EventType::kXaPrepare:
      return lift(parse_xa_prepare(body, phl));
    case EventType::kRowsQuery:
      return lift(parse_rows_query(body, phl));
    case EventType::kGtid:
      return lift(parse_gtid(body, phl, false));
    case EventType::kAnonymousGtid:
      return lift(parse_gtid(body, phl, true));
    case EventType::kGtidTagged:
      return lift(parse_gtid_tagged(body, 0));
    case EventType::kPreviousGtids:
      return lift(parse_previous_gtids(body, phl));
    case EventType::kMariaGtid:
      return lift(parse_maria_gtid(body, phl, header.server_id));
    case EventType::kMariaGtidList:
      return lift(parse_maria_gtid_list(body, phl));
    case EventType::kMariaBinlogCheckpoint:
      return lift(parse_maria_binlog_checkpoint(body, phl));
    case EventType::kMariaAnnotateRows:
      return lift(parse_maria_annotate_rows(body, phl));
    case EventType::kMariaStartEncryption: {
      auto ev = parse_maria_start_encryption(body, phl);
      if (ev.ok()) encrypted_ = true;
      return lift(std::move(ev));
    }
    case EventType::kTableMap: {
      auto map = parse_table_map(body, phl, format_.flavor());
      if (!map.ok()) return map.error();
      if (statement_ended_) {
        tables_.clear();
        statement_ended_ = false;
      }
      tables_.insert_or_assign(map->table_id, *map);
      return EventBody(std::move(*map));
    }
    case EventType::kTransactionPayload: {
      if (inside_payload) return corrupt("TRANSACTION_PAYLOAD nested in another");
      return lift(decode_payload(body));
    }
    default:
      break;
  }
  if (rows_event_layout(code)) {
    RowsDecodeContext context;
    context.find_table = [this](std::uint64_t id) { return table(id); };
    context.schema = options_.schema;
    context.max_uncompressed_size = options_.max_uncompressed_size;
    auto rows = parse_rows_event(body, phl, code, context);
    if (!rows.ok()) return rows.error();
    if (rows->statement_end()) statement_ended_ = true;
    return EventBody(std::move(*rows));
  }
  return EventBody(UnknownEvent{std::string(body.chars(body.remaining()))});
}

Result<TransactionPayloadEvent> EventDecoder::decode_payload(ByteReader& body) {
  auto header = parse_transaction_payload_header(body);
  if (!header.ok()) return header.error();
  auto inflated = inflate_transaction_payload(*header, body.rest(), options_.max_uncompressed_size);
  if (!inflated.ok()) return inflated.error();

  TransactionPayloadEvent payload;
  payload.header = *header;
  const auto bytes =
      std::span(reinterpret_cast<const std::uint8_t*>(inflated->data()), inflated->size());
  std::size_t at = 0;
  while (at < bytes.size()) {
    auto inner_header = parse_event_header(bytes.subspan(at));
    if (!inner_header.ok()) {
      return std::move(inner_header).error().with_context("payload offset " + std::to_string(at));
    }
    if (inner_header->event_size > bytes.size() - at) {
      return corrupt("inner event at payload offset " + std::to_string(at) + " of " +
                     std::to_string(inner_header->event_size) + " bytes runs past the payload");
    }
    auto inner = decode_event(bytes.subspan(at, inner_header->event_size), at, true);
    if (!inner.ok()) {
      return std::move(inner).error().with_context("payload offset " + std::to_string(at));
    }
    payload.events.push_back(std::move(*inner));
    at += inner_header->event_size;
  }
  return payload;
}

}  // namespace tideway::replication::mysql
