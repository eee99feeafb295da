#include "replication/mysql/rows_event.h"

#include "replication/mysql/column_decoder.h"
#include "replication/mysql/event_type.h"
#include "replication/mysql/mariadb_compression.h"
#include "replication/mysql/parse_util.h"

namespace tideway::replication::mysql {
namespace {

constexpr std::uint64_t kMaxColumns = 4096;
constexpr std::uint64_t kPartialJsonUpdates = 1;
constexpr std::uint8_t kExtraNdbInfo = 0;
constexpr std::uint8_t kExtraPartition = 1;

std::vector<bool> read_bitmap(ByteReader& r, std::size_t bits) {
  const auto bytes = r.chars((bits + 7) / 8);
  std::vector<bool> out(bits);
  if (!r.ok()) return out;
  for (std::size_t i = 0; i < bits; ++i) out[i] = bit_le(bytes, i);
  return out;
}

Status read_extra_data(ByteReader& extra, RowsEvent& ev) {
  while (!extra.at_end()) {
    const std::uint8_t tag = extra.u8();
    if (tag == kExtraNdbInfo) {
      // Its first byte is the length of the whole record, format byte included.
      if (!extra.can_read(1)) return corrupt("NDB extra row info truncated");
      const std::size_t length = extra.bytes(1)[0];
      if (length < 1 || length - 1 > extra.remaining())
        return corrupt("NDB extra row info malformed");
      ev.ndb_info = std::string(extra.chars(length - 1));
    } else if (tag == kExtraPartition) {
      ev.partition_id = extra.u16_le();
      if (ev.kind == RowsKind::kUpdate) ev.source_partition_id = extra.u16_le();
      if (!extra.ok()) return corrupt("partition extra row info truncated");
    } else {
      break;  // as MySQL: an unknown tag hides the rest
    }
  }
  return Status::ok_status();
}

class ImageReader {
 public:
  ImageReader(const TableMapEvent& table, std::vector<ColumnContext> columns)
      : table_(table), columns_(std::move(columns)) {}

  Result<RowImage> read(ByteReader& r, const std::vector<bool>& present, bool with_value_options) {
    std::string partial_bits;
    if (with_value_options) {
      const std::uint64_t options = r.lenenc_int();
      if (!r.ok()) return corrupt("PARTIAL_UPDATE value options malformed");
      if ((options & kPartialJsonUpdates) != 0) {
        auto bits =
            read_bytes(r, (table_.json_column_count() + 7) / 8, "PARTIAL_UPDATE JSON bitmap");
        if (!bits.ok()) return bits.error();
        partial_bits = std::move(*bits);
      }
    }
    std::size_t in_image = 0;
    for (const bool b : present) in_image += b ? 1 : 0;
    const auto nulls = r.chars((in_image + 7) / 8);
    if (!r.ok()) return truncated("row null bitmap", (in_image + 7) / 8, r.remaining());

    RowImage image;
    image.columns.resize(present.size());
    std::size_t image_index = 0;
    std::size_t json_index = 0;
    for (std::size_t i = 0; i < present.size(); ++i) {
      ColumnContext ctx = columns_[i];
      // The JSON bitmap has a bit for every JSON column, present in the image or not.
      if (ctx.column->column_type() == ColumnType::kJson) {
        ctx.partial_json = !partial_bits.empty() && bit_le(partial_bits, json_index);
        ++json_index;
      }
      if (!present[i]) continue;
      if (bit_le(nulls, image_index++)) {
        image.columns[i] = Value(NullValue{});
        continue;
      }
      const std::size_t at = r.position();
      auto value = read_column_value(r, ctx);
      if (!value.ok()) {
        const auto& c = *ctx.column;
        return std::move(value).error().with_context(
            "column " + std::to_string(i) + (c.name ? " (" + *c.name + ")" : std::string()) + " " +
            column_type_name(c.real_type) + " at row offset " + std::to_string(at));
      }
      image.columns[i] = std::move(*value);
    }
    return image;
  }

 private:
  const TableMapEvent& table_;
  std::vector<ColumnContext> columns_;
};

std::vector<ColumnContext> resolve_columns(const TableMapEvent& table, const TableHints* hints) {
  std::vector<ColumnContext> out(table.columns.size());
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    const ColumnDef& c = table.columns[i];
    const ColumnHint* hint =
        hints != nullptr && i < hints->columns.size() ? &hints->columns[i] : nullptr;
    out[i].column = &c;
    out[i].is_unsigned =
        c.is_unsigned.value_or(hint != nullptr && hint->is_unsigned.value_or(false));
    out[i].collation_id =
        c.collation_id.value_or(hint != nullptr ? hint->collation_id.value_or(0) : 0);
  }
  return out;
}

Status decode_rows(ByteReader& rows, const TableMapEvent& table, const RowsDecodeContext& context,
                   RowsEvent& ev) {
  const TableHints* hints = context.schema ? context.schema(table.schema, table.table) : nullptr;
  ImageReader images(table, resolve_columns(table, hints));
  while (!rows.at_end()) {
    const std::size_t start = rows.position();
    RowChange change;
    const bool has_before = ev.kind != RowsKind::kWrite;
    const bool has_after = ev.kind != RowsKind::kDelete;
    if (has_before) {
      auto image = images.read(rows, ev.before_columns, false);
      if (!image.ok())
        return std::move(image).error().with_context("row " + std::to_string(ev.rows.size()) +
                                                     " before-image");
      change.before = std::move(*image);
    }
    if (has_after) {
      auto image = images.read(rows, ev.after_columns, ev.partial_update);
      if (!image.ok())
        return std::move(image).error().with_context("row " + std::to_string(ev.rows.size()) +
                                                     " after-image");
      change.after = std::move(*image);
    }
    // A row must consume bytes, or an image with no columns would repeat forever.
    if (rows.position() == start) return corrupt("row images hold no columns");
    ev.rows.push_back(std::move(change));
  }
  return Status::ok_status();
}

}  // namespace

std::optional<RowsEventLayout> rows_event_layout(std::uint8_t type_code) {
  using T = EventType;
  switch (static_cast<T>(type_code)) {
    case T::kPreGaWriteRows:
      return RowsEventLayout{RowsKind::kWrite, 0, false, false};
    case T::kPreGaUpdateRows:
      return RowsEventLayout{RowsKind::kUpdate, 0, false, false};
    case T::kPreGaDeleteRows:
      return RowsEventLayout{RowsKind::kDelete, 0, false, false};
    case T::kWriteRowsV1:
      return RowsEventLayout{RowsKind::kWrite, 1, false, false};
    case T::kUpdateRowsV1:
      return RowsEventLayout{RowsKind::kUpdate, 1, false, false};
    case T::kDeleteRowsV1:
      return RowsEventLayout{RowsKind::kDelete, 1, false, false};
    case T::kWriteRowsV2:
      return RowsEventLayout{RowsKind::kWrite, 2, false, false};
    case T::kUpdateRowsV2:
      return RowsEventLayout{RowsKind::kUpdate, 2, false, false};
    case T::kDeleteRowsV2:
      return RowsEventLayout{RowsKind::kDelete, 2, false, false};
    case T::kPartialUpdateRows:
      return RowsEventLayout{RowsKind::kUpdate, 2, true, false};
    case T::kMariaWriteRowsCompressedV1:
      return RowsEventLayout{RowsKind::kWrite, 1, false, true};
    case T::kMariaUpdateRowsCompressedV1:
      return RowsEventLayout{RowsKind::kUpdate, 1, false, true};
    case T::kMariaDeleteRowsCompressedV1:
      return RowsEventLayout{RowsKind::kDelete, 1, false, true};
    case T::kMariaWriteRowsCompressed:
      return RowsEventLayout{RowsKind::kWrite, 2, false, true};
    case T::kMariaUpdateRowsCompressed:
      return RowsEventLayout{RowsKind::kUpdate, 2, false, true};
    case T::kMariaDeleteRowsCompressed:
      return RowsEventLayout{RowsKind::kDelete, 2, false, true};
    default:
      return std::nullopt;
  }
}

Result<RowsEvent> parse_rows_event(ByteReader& body, std::size_t post_header_length,
                                   std::uint8_t type_code, const RowsDecodeContext& context) {
  const auto layout = rows_event_layout(type_code);
  if (!layout) return corrupt("event type " + std::to_string(type_code) + " is not a row event");
  const std::string name = event_type_name(type_code);
  const std::size_t fixed = layout->version == 2 ? 10 : 8;
  // Pre-5.1.16 servers wrote a 4-byte table id (6-byte post-header, v0/v1 only).
  const bool short_id = post_header_length == 6 && layout->version < 2;
  if (auto s = check_post_header(post_header_length, short_id ? 6 : fixed, name); !s.ok()) {
    return s.error();
  }

  RowsEvent ev;
  ev.kind = layout->kind;
  ev.version = layout->version;
  ev.partial_update = layout->partial_update;
  ev.compressed = layout->compressed;
  ev.table_id = read_table_id(body, post_header_length);
  ev.flags = body.u16_le();
  std::uint16_t extra_length = 0;
  if (layout->version == 2) extra_length = body.u16_le();
  body.skip(post_header_length - (short_id ? 6 : fixed));
  if (!body.ok()) return corrupt(name + " post-header truncated");
  if (layout->version == 2) {
    if (extra_length < 2 || extra_length - 2U > body.remaining()) {
      return corrupt(name + " extra data length " + std::to_string(extra_length) + " is invalid");
    }
    ByteReader extra(body.bytes(extra_length - 2U));
    if (auto s = read_extra_data(extra, ev); !s.ok()) return s.error();
  }

  ev.column_count = body.lenenc_int();
  if (!body.ok() || ev.column_count == 0 || ev.column_count > kMaxColumns) {
    return corrupt(name + " column count " + std::to_string(ev.column_count) + " is invalid");
  }
  const auto width = static_cast<std::size_t>(ev.column_count);
  // The first bitmap belongs to the only image of WRITE (after) and DELETE (before),
  // and to the before-image of UPDATE, whose after-image has the second.
  auto first = read_bitmap(body, width);
  (ev.kind == RowsKind::kWrite ? ev.after_columns : ev.before_columns) = std::move(first);
  if (ev.kind == RowsKind::kUpdate) ev.after_columns = read_bitmap(body, width);
  if (!body.ok()) return corrupt(name + " column bitmaps truncated");
  if (body.at_end()) return ev;

  const TableMapEvent* table = context.find_table ? context.find_table(ev.table_id) : nullptr;
  if (table == nullptr) {
    return corrupt(name + " refers to table id " + std::to_string(ev.table_id) +
                   ", which no TABLE_MAP of this statement defined");
  }
  ev.schema = table->schema;
  ev.table = table->table;
  if (table->columns.size() != width) {
    return corrupt(name + " has " + std::to_string(width) + " columns, TABLE_MAP of " +
                   table->schema + "." + table->table + " has " +
                   std::to_string(table->columns.size()));
  }
  Status status;
  if (ev.compressed) {
    auto inflated = mariadb_uncompress(body.rest(), context.max_uncompressed_size);
    if (!inflated.ok()) return std::move(inflated).error().with_context(name);
    ByteReader rows(reinterpret_cast<const std::uint8_t*>(inflated->data()), inflated->size());
    status = decode_rows(rows, *table, context, ev);
  } else {
    ByteReader rows(body.rest());
    status = decode_rows(rows, *table, context, ev);
  }
  if (!status.ok()) {
    return std::move(status).error().with_context(name + " on " + ev.schema + "." + ev.table);
  }
  return ev;
}

}  // namespace tideway::replication::mysql
