#include "replication/mysql/my_stream_reader.h"

#include <fmt/format.h>

#include "replication/mysql/checksum.h"
#include "replication/mysql/control_events.h"
#include "replication/mysql/event_header.h"

namespace tideway::replication::mysql {

Result<std::unique_ptr<MyStreamReader>> MyStreamReader::start(const TaskSpec& spec,
                                                              const BinlogPosition& start,
                                                              MyConnection& source_sql,
                                                              const BinlogClientOptions& options,
                                                              bool by_gtid) {
  std::unique_ptr<MyStreamReader> r(new MyStreamReader());
  auto client = BinlogClient::connect(spec.source, options);
  if (!client.ok()) return std::move(client).error();
  r->client_ = std::move(client).value();
  r->schema_ = std::make_unique<StreamSchemaCache>(source_sql);
  DecoderOptions decode;
  decode.verify_checksums = true;
  const TableFilter filter = spec.tables;
  decode.schema = r->schema_->lookup([filter](const std::string& schema, const std::string& table) {
    return is_replicated(filter, schema, table);
  });
  r->decoder_ = std::make_unique<EventDecoder>(std::move(decode));
  r->builder_ = std::make_unique<MyChangeBuilder>(spec.tables, start, *r->schema_);
  if (Status s = r->client_->start(start, by_gtid); !s.ok()) return std::move(s).error();
  return r;
}

Status MyStreamReader::next(std::vector<StreamEvent>& out, bool& heartbeat) {
  heartbeat = false;
  auto packet = client_->read();
  if (!packet.ok()) return std::move(packet).error();
  if (packet->kind == BinlogPacket::Kind::kEnd) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("{}: the source ended the binlog dump at {}", client_->describe(),
                                  position().to_string()),
                      true);
  }
  const auto bytes = packet->event;
  auto header = parse_event_header(bytes);
  const BinlogPosition here = position();
  if (!header.ok()) {
    return std::move(header).error().with_context(
        fmt::format("binlog {}:{}: reading an event header", here.file, here.offset));
  }
  if (header->event_size != bytes.size()) {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("binlog {}:{}: the event says it has {} bytes but its packet "
                                  "holds {}",
                                  here.file, here.offset, header->event_size, bytes.size()));
  }
  std::uint64_t offset = here.offset;
  const bool placed = header->log_pos != 0 && !header->artificial() &&
                      header->type() != EventType::kHeartbeat &&
                      header->type() != EventType::kHeartbeatV2;
  if (placed) {
    if (header->log_pos < header->event_size) {
      return make_error(ErrorCode::kCorruption,
                        fmt::format("binlog {}:{}: an event of {} bytes cannot end at {}",
                                    here.file, here.offset, header->event_size, header->log_pos));
    }
    offset = header->log_pos - header->event_size;
    // log_pos has 32 bits: past 4 GiB in one file, keep the high bits we know.
    offset |= here.offset & ~std::uint64_t{0xffffffff};
    if (offset + header->event_size < here.offset) offset += std::uint64_t{1} << 32;
  }
  // The dump's first event, a fake ROTATE naming the file, comes before any
  // FORMAT_DESCRIPTION has told the decoder whether events carry a CRC32. It carries one
  // when the source checksums its binlog (we asked for them): recognise it by the CRC.
  if (!decoder_->has_format_description() && header->type() == EventType::kRotate &&
      bytes.size() >= kEventHeaderSize + 8 + kChecksumSize && verify_event_crc32(bytes).ok()) {
    ByteReader body(
        bytes.subspan(kEventHeaderSize, bytes.size() - kEventHeaderSize - kChecksumSize));
    auto rotate = parse_rotate(body, 8);
    if (!rotate.ok()) {
      return std::move(rotate).error().with_context(
          fmt::format("binlog {}:{}: decoding the dump's first ROTATE", here.file, here.offset));
    }
    BinlogEvent event;
    event.offset = offset;
    event.header = *header;
    event.body = std::move(*rotate);
    return builder_->feed(event, out);
  }
  auto event = decoder_->decode(bytes, offset);
  if (auto e = schema_->take_error()) {
    return std::move(*e).with_context(
        fmt::format("binlog {}:{}: looking up the table of a row event", here.file, offset));
  }
  if (!event.ok()) {
    return std::move(event).error().with_context(fmt::format("binlog {}:{}: decoding a {} event",
                                                             here.file, offset,
                                                             event_type_name(header->type_code)));
  }
  if (event->get_if<HeartbeatEvent>() != nullptr) {
    heartbeat = true;
    return {};
  }
  return builder_->feed(*event, out);
}

}  // namespace tideway::replication::mysql
