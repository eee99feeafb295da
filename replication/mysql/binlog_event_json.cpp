#include "replication/mysql/binlog_event_json.h"

#include <string>

#include "replication/mysql/binlog_file_decoder.h"
#include "replication/mysql/json_diff.h"
#include "replication/mysql/parse_util.h"

namespace tideway::replication::mysql {
namespace {

using nlohmann::json;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1fU;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0fU;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07U;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3fU);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

// A string that nlohmann can serialize: as is when it is UTF-8, else under "hex".
void put_text(json& j, const char* key, const std::string& bytes) {
  if (valid_utf8(bytes)) {
    j[key] = bytes;
  } else {
    j[std::string(key) + "_hex"] = hex_bytes(bytes);
  }
}

json image_to_json(const RowImage& image) {
  json out = json::array();
  for (const auto& column : image.columns) out.push_back(column ? value_to_json(*column) : json());
  return out;
}

json columns_to_json(const TableMapEvent& map) {
  json columns = json::array();
  for (const auto& c : map.columns) {
    json col = {
        {"type", column_type_name(c.real_type)}, {"meta", c.metadata}, {"nullable", c.nullable}};
    if (c.name) put_text(col, "name", *c.name);
    if (c.is_unsigned) col["unsigned"] = *c.is_unsigned;
    if (c.collation_id) col["collation"] = *c.collation_id;
    if (c.enum_values) col["enum_values"] = *c.enum_values;
    if (c.set_values) col["set_values"] = *c.set_values;
    if (c.geometry_type) col["geometry_type"] = *c.geometry_type;
    if (c.visible) col["visible"] = *c.visible;
    if (c.vector_dimensions) col["vector_dimensions"] = *c.vector_dimensions;
    columns.push_back(std::move(col));
  }
  return columns;
}

void query_fields(json& j, const QueryEvent& q) {
  j["thread_id"] = q.thread_id;
  j["exec_time"] = q.exec_time;
  j["error_code"] = q.error_code;
  put_text(j, "schema", q.schema);
  put_text(j, "query", q.query);
  if (q.status.sql_mode) j["sql_mode"] = *q.status.sql_mode;
  if (q.status.charset) j["charset"] = *q.status.charset;
  if (q.status.time_zone) put_text(j, "time_zone", *q.status.time_zone);
  if (q.status.ddl_xid) j["ddl_xid"] = *q.status.ddl_xid;
  if (q.status.unknown_status_code) j["unknown_status_code"] = *q.status.unknown_status_code;
}

void gtid_fields(json& j, const GtidEvent& g) {
  j["gtid"] = g.gtid_text();
  j["gtid_flags"] = g.flags;
  if (g.last_committed) j["last_committed"] = *g.last_committed;
  if (g.sequence_number) j["sequence_number"] = *g.sequence_number;
  if (g.immediate_commit_timestamp) j["immediate_commit_timestamp"] = *g.immediate_commit_timestamp;
  if (g.original_commit_timestamp) j["original_commit_timestamp"] = *g.original_commit_timestamp;
  if (g.transaction_length) j["transaction_length"] = *g.transaction_length;
  if (g.immediate_server_version) j["immediate_server_version"] = *g.immediate_server_version;
  if (g.original_server_version) j["original_server_version"] = *g.original_server_version;
}

void body_fields(json& j, const EventBody& body) {
  std::visit(
      Overloaded{
          [&](const UnknownEvent& e) { j["body_size"] = e.body.size(); },
          [&](const FormatDescriptionEvent& e) {
            j["binlog_version"] = e.binlog_version;
            put_text(j, "server_version", e.server_version);
            j["create_timestamp"] = e.create_timestamp;
            j["checksum"] = !e.checksum ? "none" : e.events_have_crc32() ? "crc32" : "off";
          },
          [&](const RotateEvent& e) {
            put_text(j, "next_file", e.next_file);
            j["position"] = e.position;
          },
          [&](const StopEvent&) {},
          [&](const QueryEvent& e) { query_fields(j, e); },
          [&](const XidEvent& e) { j["xid"] = e.xid; },
          [&](const IntvarEvent& e) {
            j["kind"] = e.kind == 1 ? "LAST_INSERT_ID" : e.kind == 2 ? "INSERT_ID" : "UNKNOWN";
            j["value"] = e.value;
          },
          [&](const RandEvent& e) {
            j["seed1"] = e.seed1;
            j["seed2"] = e.seed2;
          },
          [&](const UserVarEvent& e) {
            put_text(j, "name", e.name);
            j["is_null"] = e.is_null;
            if (!e.is_null) {
              j["value_type"] = e.value_type;
              j["charset"] = e.charset;
              j["value_hex"] = hex_bytes(e.value);
            }
          },
          [&](const IncidentEvent& e) {
            j["incident"] = e.incident;
            put_text(j, "message", e.message);
          },
          [&](const HeartbeatEvent& e) {
            put_text(j, "log_file", e.log_file);
            if (e.log_position) j["log_position"] = *e.log_position;
          },
          [&](const XaPrepareEvent& e) {
            j["one_phase"] = e.one_phase;
            j["format_id"] = e.format_id;
            j["gtrid_hex"] = hex_bytes(e.gtrid);
            j["bqual_hex"] = hex_bytes(e.bqual);
          },
          [&](const RowsQueryEvent& e) { put_text(j, "query", e.query); },
          [&](const LoadBlockEvent& e) {
            j["file_id"] = e.file_id;
            j["block_size"] = e.block_size;
          },
          [&](const GtidEvent& e) { gtid_fields(j, e); },
          [&](const PreviousGtidsEvent& e) { j["gtid_set"] = e.gtid_set_text(); },
          [&](const MariaGtidEvent& e) {
            j["gtid"] = e.gtid.text();
            j["gtid_flags"] = e.flags2;
            j["standalone"] = e.standalone();
            if (e.commit_id) j["commit_id"] = *e.commit_id;
            if (e.thread_id) j["thread_id"] = *e.thread_id;
          },
          [&](const MariaGtidListEvent& e) {
            json list = json::array();
            for (const auto& g : e.gtids) list.push_back(g.text());
            j["gtids"] = std::move(list);
          },
          [&](const MariaBinlogCheckpointEvent& e) { put_text(j, "file", e.file); },
          [&](const MariaAnnotateRowsEvent& e) { put_text(j, "query", e.query); },
          [&](const MariaStartEncryptionEvent& e) {
            j["scheme"] = e.scheme;
            j["key_version"] = e.key_version;
          },
          [&](const TableMapEvent& e) {
            j["table_id"] = e.table_id;
            put_text(j, "schema", e.schema);
            put_text(j, "table", e.table);
            j["columns"] = columns_to_json(e);
            if (e.primary_key) j["primary_key"] = *e.primary_key;
          },
          [&](const RowsEvent& e) {
            j["table_id"] = e.table_id;
            put_text(j, "schema", e.schema);
            put_text(j, "table", e.table);
            j["rows_flags"] = e.flags;
            json rows = json::array();
            for (const auto& row : e.rows) {
              json r = json::object();
              if (row.before) r["before"] = image_to_json(*row.before);
              if (row.after) r["after"] = image_to_json(*row.after);
              rows.push_back(std::move(r));
            }
            j["rows"] = std::move(rows);
          },
          [&](const TransactionPayloadEvent& e) {
            j["compression"] = e.header.compression_type == 0 ? "zstd" : "none";
            j["payload_size"] = e.header.payload_size;
            j["uncompressed_size"] = e.header.uncompressed_size;
            json events = json::array();
            for (const auto& inner : e.events) events.push_back(event_to_json(inner));
            j["events"] = std::move(events);
          },
      },
      body);
}

}  // namespace

json value_to_json(const Value& value) {
  json j = {{"type", value_kind_name(value.kind())}};
  std::visit(Overloaded{
                 [&](const NullValue&) { j["value"] = nullptr; },
                 [&](const IntValue& v) { j["value"] = v.value; },
                 [&](const UIntValue& v) { j["value"] = v.value; },
                 // Through its shortest text, so 1.1f prints as 1.1, not 1.100000023841858.
                 [&](const FloatValue&) { j["value"] = std::stod(value.to_string()); },
                 [&](const DoubleValue& v) { j["value"] = v.value; },
                 [&](const TextValue& v) {
                   put_text(j, "value", v.bytes);
                   if (v.collation_id != 0) j["collation"] = v.collation_id;
                   if (!v.charset.empty()) j["charset"] = v.charset;
                 },
                 [&](const EnumValue& v) {
                   j["value"] = v.index;
                   if (v.label) put_text(j, "label", *v.label);
                 },
                 [&](const SetValue& v) {
                   j["value"] = v.mask;
                   if (v.labels) j["labels"] = *v.labels;
                 },
                 [&](const EngineValue& v) {
                   j["engine_type"] = v.type_name;
                   if (v.type_name == kJsonDiffTypeName) {
                     put_text(j, "value", v.bytes);
                   } else {
                     j["value"] = hex_bytes(v.bytes);
                   }
                 },
                 [&](const auto&) { put_text(j, "value", value.to_string()); },
             },
             value.data());
  return j;
}

json event_to_json(const BinlogEvent& event) {
  json j = {
      {"type", event.type_name()},
      {"type_code", event.header.type_code},
      {"offset", event.offset},
      {"next_offset", event.next_offset()},
      {"log_pos", event.header.log_pos},
      {"event_size", event.header.event_size},
      {"server_id", event.header.server_id},
      {"timestamp", event.header.timestamp},
      {"flags", event.header.flags},
  };
  if (event.header.ignorable()) j["ignorable"] = true;
  body_fields(j, event.body);
  return j;
}

Status decode_binlog_file(const std::string& path, const std::function<void(const json&)>& emit,
                          const DecoderOptions& options) {
  auto reader = BinlogFileReader::open(path);
  if (!reader.ok()) return reader.error();
  EventDecoder decoder(options);
  return decode_binlog_events(*reader, decoder,
                              [&](const BinlogEvent& event) { emit(event_to_json(event)); });
}

}  // namespace tideway::replication::mysql
