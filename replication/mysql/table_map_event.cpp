#include "replication/mysql/table_map_event.h"

#include "replication/mysql/parse_util.h"
#include "replication/mysql/table_map_metadata.h"

namespace tideway::replication::mysql {
namespace {

// MySQL's limits: NAME_LEN (64 characters of up to 3 bytes) and 4096 columns per table.
constexpr std::size_t kMaxNameLength = 192;
constexpr std::uint64_t kMaxColumns = 4096;

Result<std::string> read_name(ByteReader& r, const char* what) {
  const std::uint8_t length = r.u8();
  if (!r.ok()) return corrupt(std::string("TABLE_MAP ") + what + " length missing");
  if (length > kMaxNameLength) {
    return corrupt(std::string("TABLE_MAP ") + what + " name of " + std::to_string(length) +
                   " bytes exceeds the 192-byte maximum");
  }
  auto name = read_bytes(r, length, std::string("TABLE_MAP ") + what + " name");
  if (!name.ok()) return name.error();
  if (r.u8() != 0 || !r.ok()) {
    return corrupt(std::string("TABLE_MAP ") + what + " name is not NUL-terminated");
  }
  return name;
}

bool is_big_endian_metadata(std::uint8_t type) {
  switch (static_cast<ColumnType>(type)) {
    case ColumnType::kNewDecimal:
    case ColumnType::kString:
    case ColumnType::kEnum:
    case ColumnType::kSet:
      return true;
    default:
      return false;
  }
}

// STRING columns name their real type in the first metadata byte; a CHAR longer than
// 255 bytes keeps length bits 8-9 there too (XORed into the 0x30 bits).
Status resolve_real_type(ColumnDef& c, std::size_t index) {
  c.real_type = c.type;
  const auto t = static_cast<ColumnType>(c.type);
  if (t != ColumnType::kString && t != ColumnType::kEnum && t != ColumnType::kSet) {
    return Status::ok_status();
  }
  const auto byte0 = static_cast<std::uint8_t>(c.metadata >> 8);
  const std::uint8_t real = (byte0 & 0x30) != 0x30 ? (byte0 | 0x30) : byte0;
  const auto rt = static_cast<ColumnType>(real);
  if (rt != ColumnType::kString && rt != ColumnType::kEnum && rt != ColumnType::kSet) {
    return corrupt("TABLE_MAP column " + std::to_string(index) + " is STRING with real type " +
                   column_type_name(real));
  }
  c.real_type = real;
  return Status::ok_status();
}

}  // namespace

std::uint32_t ColumnDef::max_length() const {
  switch (static_cast<ColumnType>(real_type)) {
    case ColumnType::kString: {
      const auto byte0 = static_cast<std::uint32_t>(metadata >> 8);
      const std::uint32_t byte1 = metadata & 0xffU;
      if ((byte0 & 0x30U) != 0x30U) return byte1 | (((byte0 & 0x30U) ^ 0x30U) << 4);
      return byte1;
    }
    case ColumnType::kVarchar:
    case ColumnType::kVarString:
      return metadata;
    default:
      return 0;
  }
}

std::uint32_t ColumnDef::pack_length() const {
  switch (static_cast<ColumnType>(real_type)) {
    case ColumnType::kEnum:
    case ColumnType::kSet:
      return metadata & 0xffU;
    default:
      return metadata;
  }
}

std::size_t TableMapEvent::json_column_count() const {
  std::size_t n = 0;
  for (const auto& c : columns) {
    if (c.column_type() == ColumnType::kJson) ++n;
  }
  return n;
}

bool is_character_column(const ColumnDef& column, Flavor flavor) {
  switch (column.column_type()) {
    case ColumnType::kString:
    case ColumnType::kVarString:
    case ColumnType::kVarchar:
    case ColumnType::kBlob:
    case ColumnType::kTinyBlob:
    case ColumnType::kMediumBlob:
    case ColumnType::kLongBlob:
    case ColumnType::kVector:  // MySQL 9 gives VECTOR (binary) a charset entry too
      return true;
    case ColumnType::kGeometry:
      return flavor == Flavor::kMariadb;
    default:
      return false;
  }
}

std::uint64_t read_table_id(ByteReader& r, std::size_t post_header_length) {
  return post_header_length == 6 ? r.u32_le() : r.u48_le();
}

Result<TableMapEvent> parse_table_map(ByteReader& body, std::size_t post_header_length,
                                      Flavor flavor) {
  // 6 = a 4-byte table id (MySQL 5.1.0-5.1.15); otherwise 6 bytes of id and 2 of flags.
  const std::size_t needed = post_header_length == 6 ? 6 : 8;
  if (auto s = check_post_header(post_header_length, needed, "TABLE_MAP"); !s.ok())
    return s.error();
  TableMapEvent ev;
  ev.table_id = read_table_id(body, post_header_length);
  ev.flags = body.u16_le();
  body.skip(post_header_length - needed);
  if (!body.ok()) return corrupt("TABLE_MAP post-header truncated");

  auto schema = read_name(body, "schema");
  if (!schema.ok()) return schema.error();
  auto table = read_name(body, "table");
  if (!table.ok()) return table.error();
  ev.schema = std::move(*schema);
  ev.table = std::move(*table);

  const std::uint64_t count = body.lenenc_int();
  if (!body.ok() || count == 0 || count > kMaxColumns || count > body.remaining()) {
    return corrupt("TABLE_MAP column count " + std::to_string(count) + " is invalid for " +
                   std::to_string(body.remaining()) + " remaining bytes");
  }
  const auto types = body.bytes(static_cast<std::size_t>(count));
  ev.columns.resize(static_cast<std::size_t>(count));

  const std::uint64_t metadata_length = body.lenenc_int();
  if (!body.ok() || metadata_length > body.remaining()) {
    return corrupt("TABLE_MAP metadata length " + std::to_string(metadata_length) +
                   " exceeds the event");
  }
  ByteReader meta(body.bytes(static_cast<std::size_t>(metadata_length)));
  for (std::size_t i = 0; i < ev.columns.size(); ++i) {
    ColumnDef& c = ev.columns[i];
    c.type = types[i];
    const auto size = column_metadata_size(c.type);
    if (!size) {
      return corrupt("TABLE_MAP column " + std::to_string(i) + " has type " +
                     column_type_name(c.type) + ", which a row event cannot carry");
    }
    if (*size == 1) {
      c.metadata = meta.u8();
    } else if (*size == 2) {
      const std::uint8_t b0 = meta.u8();
      const std::uint8_t b1 = meta.u8();
      c.metadata = is_big_endian_metadata(c.type) ? static_cast<std::uint16_t>((b0 << 8) | b1)
                                                  : static_cast<std::uint16_t>((b1 << 8) | b0);
    }
    if (!meta.ok()) return corrupt("TABLE_MAP metadata ends before column " + std::to_string(i));
    if (auto s = resolve_real_type(c, i); !s.ok()) return s.error();
  }
  if (!meta.at_end()) {
    return corrupt("TABLE_MAP metadata has " + std::to_string(meta.remaining()) +
                   " bytes more than its column types use");
  }

  const auto null_bitmap = body.chars((ev.columns.size() + 7) / 8);
  if (!body.ok()) return corrupt("TABLE_MAP null bitmap truncated");
  for (std::size_t i = 0; i < ev.columns.size(); ++i)
    ev.columns[i].nullable = bit_le(null_bitmap, i);

  if (auto s = parse_optional_metadata(body, ev, flavor); !s.ok()) {
    return std::move(s).error().with_context("TABLE_MAP " + ev.schema + "." + ev.table +
                                             " optional metadata");
  }
  return ev;
}

}  // namespace tideway::replication::mysql
