#include "replication/mysql/table_map_metadata.h"

#include <functional>

#include "replication/mysql/parse_util.h"

namespace tideway::replication::mysql {
namespace {

enum MetadataType : std::uint8_t {
  kSignedness = 1,
  kDefaultCharset = 2,
  kColumnCharset = 3,
  kColumnName = 4,
  kSetStrValue = 5,
  kEnumStrValue = 6,
  kGeometryType = 7,
  kSimplePrimaryKey = 8,
  kPrimaryKeyWithPrefix = 9,
  kEnumAndSetDefaultCharset = 10,
  kEnumAndSetColumnCharset = 11,
  kColumnVisibility = 12,
  kVectorDimensionality = 13,
};

using ColumnFilter = std::function<bool(const ColumnDef&)>;

std::vector<ColumnDef*> select(TableMapEvent& ev, const ColumnFilter& keep) {
  std::vector<ColumnDef*> out;
  for (auto& c : ev.columns) {
    if (keep(c)) out.push_back(&c);
  }
  return out;
}

Error count_mismatch(const char* what, std::size_t columns) {
  return corrupt(std::string(what) + " does not hold exactly one entry for each of the " +
                 std::to_string(columns) + " columns it describes");
}

// Bit i (MSB first) of the record applies to the i-th selected column.
Status read_bitmap(ByteReader& field, const std::vector<ColumnDef*>& columns, const char* what,
                   const std::function<void(ColumnDef&, bool)>& apply) {
  const std::size_t needed = (columns.size() + 7) / 8;
  if (field.remaining() != needed) return count_mismatch(what, columns.size());
  const auto bits = field.chars(needed);
  for (std::size_t i = 0; i < columns.size(); ++i) apply(*columns[i], bit_msb(bits, i));
  return Status::ok_status();
}

// One packed integer per selected column.
Status read_per_column(ByteReader& field, const std::vector<ColumnDef*>& columns, const char* what,
                       const std::function<void(ColumnDef&, std::uint64_t)>& apply) {
  for (ColumnDef* c : columns) {
    const std::uint64_t v = field.lenenc_int();
    if (!field.ok()) return count_mismatch(what, columns.size());
    apply(*c, v);
  }
  if (!field.at_end()) return count_mismatch(what, columns.size());
  return Status::ok_status();
}

// A default collation, then (index among the selected columns, collation) exceptions.
Status read_default_charset(ByteReader& field, const std::vector<ColumnDef*>& columns,
                            const char* what) {
  const std::uint64_t default_collation = field.lenenc_int();
  if (!field.ok()) return corrupt(std::string(what) + " default collation missing");
  for (ColumnDef* c : columns) c->collation_id = static_cast<std::uint32_t>(default_collation);
  while (!field.at_end()) {
    const std::uint64_t index = field.lenenc_int();
    const std::uint64_t collation = field.lenenc_int();
    if (!field.ok() || index >= columns.size()) {
      return corrupt(std::string(what) + " names column " + std::to_string(index) + " of " +
                     std::to_string(columns.size()));
    }
    columns[static_cast<std::size_t>(index)]->collation_id = static_cast<std::uint32_t>(collation);
  }
  return Status::ok_status();
}

Result<std::string> read_lenenc_string(ByteReader& field, const char* what) {
  const std::uint64_t length = field.lenenc_int();
  if (!field.ok()) return corrupt(std::string(what) + " string length malformed");
  return read_bytes(field, length, what);
}

Result<std::vector<std::string>> read_string_list(ByteReader& field, const char* what) {
  const std::uint64_t count = field.lenenc_int();
  // Each string takes at least its 1-byte length: check before reserving.
  if (!field.ok() || count > field.remaining()) {
    return corrupt(std::string(what) + " value count does not fit the record");
  }
  std::vector<std::string> values;
  values.reserve(static_cast<std::size_t>(count));
  for (std::uint64_t i = 0; i < count; ++i) {
    auto s = read_lenenc_string(field, what);
    if (!s.ok()) return s.error();
    values.push_back(std::move(*s));
  }
  return values;
}

Status read_primary_key(ByteReader& field, TableMapEvent& ev, bool with_prefix) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> key;
  while (!field.at_end()) {
    const std::uint64_t index = field.lenenc_int();
    const std::uint64_t prefix = with_prefix ? field.lenenc_int() : 0;
    if (!field.ok() || index >= ev.columns.size()) {
      return corrupt("primary key names column " + std::to_string(index) + " of " +
                     std::to_string(ev.columns.size()));
    }
    key.emplace_back(static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(prefix));
  }
  ev.primary_key = std::move(key);
  return Status::ok_status();
}

bool is_type(const ColumnDef& c, ColumnType t) { return c.column_type() == t; }

}  // namespace

Status parse_optional_metadata(ByteReader& r, TableMapEvent& ev, Flavor flavor) {
  const auto numeric =
      select(ev, [](const ColumnDef& c) { return is_numeric_type(c.column_type()); });
  const auto character =
      select(ev, [flavor](const ColumnDef& c) { return is_character_column(c, flavor); });
  const auto enum_or_set = select(ev, [](const ColumnDef& c) {
    return is_type(c, ColumnType::kEnum) || is_type(c, ColumnType::kSet);
  });
  const auto enums = select(ev, [](const ColumnDef& c) { return is_type(c, ColumnType::kEnum); });
  const auto sets = select(ev, [](const ColumnDef& c) { return is_type(c, ColumnType::kSet); });
  const auto geometry =
      select(ev, [](const ColumnDef& c) { return is_type(c, ColumnType::kGeometry); });
  const auto vectors =
      select(ev, [](const ColumnDef& c) { return is_type(c, ColumnType::kVector); });
  const auto all = select(ev, [](const ColumnDef&) { return true; });

  while (!r.at_end()) {
    const std::uint8_t type = r.u8();
    const std::uint64_t length = r.lenenc_int();
    if (!r.ok() || length > r.remaining()) {
      return corrupt("record of type " + std::to_string(type) + " runs past the event");
    }
    ByteReader field(r.bytes(static_cast<std::size_t>(length)));
    ev.optional_metadata_types.push_back(type);
    Status s;
    switch (type) {
      case kSignedness:
        s = read_bitmap(field, numeric, "SIGNEDNESS",
                        [](ColumnDef& c, bool b) { c.is_unsigned = b; });
        break;
      case kDefaultCharset:
        s = read_default_charset(field, character, "DEFAULT_CHARSET");
        break;
      case kColumnCharset:
        s = read_per_column(field, character, "COLUMN_CHARSET", [](ColumnDef& c, std::uint64_t v) {
          c.collation_id = static_cast<std::uint32_t>(v);
        });
        break;
      case kColumnName:
        for (auto& c : ev.columns) {
          auto name = read_lenenc_string(field, "COLUMN_NAME");
          if (!name.ok()) return name.error();
          c.name = std::move(*name);
        }
        if (!field.at_end()) s = count_mismatch("COLUMN_NAME", ev.columns.size());
        break;
      case kSetStrValue:
      case kEnumStrValue: {
        const bool is_set = type == kSetStrValue;
        const char* what = is_set ? "SET_STR_VALUE" : "ENUM_STR_VALUE";
        for (ColumnDef* c : is_set ? sets : enums) {
          auto values = read_string_list(field, what);
          if (!values.ok()) return values.error();
          (is_set ? c->set_values : c->enum_values) = std::move(*values);
        }
        if (!field.at_end()) s = count_mismatch(what, (is_set ? sets : enums).size());
        break;
      }
      case kGeometryType:
        s = read_per_column(field, geometry, "GEOMETRY_TYPE", [](ColumnDef& c, std::uint64_t v) {
          c.geometry_type = static_cast<std::uint32_t>(v);
        });
        break;
      case kSimplePrimaryKey:
        s = read_primary_key(field, ev, false);
        break;
      case kPrimaryKeyWithPrefix:
        s = read_primary_key(field, ev, true);
        break;
      case kEnumAndSetDefaultCharset:
        s = read_default_charset(field, enum_or_set, "ENUM_AND_SET_DEFAULT_CHARSET");
        break;
      case kEnumAndSetColumnCharset:
        s = read_per_column(
            field, enum_or_set, "ENUM_AND_SET_COLUMN_CHARSET",
            [](ColumnDef& c, std::uint64_t v) { c.collation_id = static_cast<std::uint32_t>(v); });
        break;
      case kColumnVisibility:
        s = read_bitmap(field, all, "COLUMN_VISIBILITY",
                        [](ColumnDef& c, bool b) { c.visible = b; });
        break;
      case kVectorDimensionality:
        s = read_per_column(field, vectors, "VECTOR_DIMENSIONALITY",
                            [](ColumnDef& c, std::uint64_t v) {
                              c.vector_dimensions = static_cast<std::uint32_t>(v);
                            });
        break;
      default:
        break;  // a newer record type: its length lets us step over it
    }
    if (!s.ok()) return s;
  }
  return Status::ok_status();
}

}  // namespace tideway::replication::mysql
