#include "replication/mysql/my_stream_schema.h"

#include <fmt/format.h>

#include <functional>
#include <set>

#include "replication/mysql/column_type.h"

namespace tideway::replication::mysql {
namespace {

constexpr std::uint32_t kBinaryCollation = 63;

bool is_binary_type(const std::string& data_type) {
  static const std::set<std::string> kBinary = {"binary", "varbinary",  "tinyblob",
                                                "blob",   "mediumblob", "longblob"};
  return kBinary.count(data_type) > 0;
}

bool is_generated(const std::string& extra) {
  // MySQL also says DEFAULT_GENERATED for a default expression, which is stored data.
  return extra.find("VIRTUAL") != std::string::npos || extra.find("STORED") != std::string::npos ||
         extra.find("PERSISTENT") != std::string::npos;
}

}  // namespace

bool StreamTableInfo::has_primary_key() const {
  for (const auto& c : columns) {
    if (c.key) return true;
  }
  return false;
}

Result<const StreamTableInfo*> StreamSchemaCache::get(const std::string& schema,
                                                      const std::string& table) {
  const auto key = std::make_pair(schema, table);
  if (auto it = tables_.find(key); it != tables_.end()) return it->second.get();
  auto r = conn_.query(fmt::format(
      "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, c.COLUMN_KEY, c.EXTRA, co.ID "
      "FROM information_schema.COLUMNS c "
      "LEFT JOIN information_schema.COLLATIONS co ON co.COLLATION_NAME = c.COLLATION_NAME "
      "WHERE c.TABLE_SCHEMA = {} AND c.TABLE_NAME = {} ORDER BY c.ORDINAL_POSITION",
      conn_.quote(schema), conn_.quote(table)));
  if (!r.ok()) {
    return std::move(r).error().with_context(
        fmt::format("reading the columns of {}.{}", schema, table));
  }
  if (r->empty()) return static_cast<const StreamTableInfo*>(nullptr);
  auto info = std::make_unique<StreamTableInfo>();
  info->schema = schema;
  info->name = table;
  for (std::size_t i = 0; i < r->size(); ++i) {
    StreamColumnInfo c;
    c.name = r->text(i, 0);
    c.data_type = r->text(i, 1);
    c.column_type = r->text(i, 2);
    c.key = r->text(i, 3) == "PRI";
    c.generated = is_generated(r->text(i, 4));
    c.is_unsigned = c.column_type.find("unsigned") != std::string::npos;
    if (!r->is_null(i, 5)) {
      c.collation_id = static_cast<std::uint32_t>(r->as_int(i, 5));
    } else if (is_binary_type(c.data_type)) {
      c.collation_id = kBinaryCollation;
    }
    ColumnHint hint;
    hint.is_unsigned = c.is_unsigned;
    hint.collation_id = c.collation_id;
    info->hints.columns.push_back(hint);
    info->columns.push_back(std::move(c));
  }
  const StreamTableInfo* out = info.get();
  tables_[key] = std::move(info);
  return out;
}

void StreamSchemaCache::forget(const std::string& schema, const std::string& table) {
  tables_.erase(std::make_pair(schema, table));
}

SchemaLookup StreamSchemaCache::lookup(
    std::function<bool(const std::string&, const std::string&)> wanted) {
  return [this, wanted = std::move(wanted)](std::string_view schema,
                                            std::string_view table) -> const TableHints* {
    const std::string s(schema), t(table);
    if (!wanted(s, t)) return nullptr;
    auto info = get(s, t);
    if (!info.ok()) {
      if (!error_) error_ = std::move(info).error();
      return nullptr;
    }
    return *info == nullptr ? nullptr : &(*info)->hints;
  };
}

std::optional<Error> StreamSchemaCache::take_error() {
  std::optional<Error> e = std::move(error_);
  error_.reset();
  return e;
}

bool column_type_fits(const ColumnDef& column, const std::string& data_type) {
  auto in = [&](std::initializer_list<const char*> names) {
    for (const char* n : names) {
      if (data_type == n) return true;
    }
    return false;
  };
  switch (column.column_type()) {
    case ColumnType::kTiny:
      return in({"tinyint", "bool", "boolean"});
    case ColumnType::kShort:
      return in({"smallint"});
    case ColumnType::kInt24:
      return in({"mediumint"});
    case ColumnType::kLong:
      return in({"int", "integer"});
    case ColumnType::kLongLong:
      return in({"bigint"});
    case ColumnType::kFloat:
      return in({"float"});
    case ColumnType::kDouble:
      return in({"double", "real", "double precision"});
    case ColumnType::kDecimal:
    case ColumnType::kNewDecimal:
      return in({"decimal", "numeric"});
    case ColumnType::kYear:
      return in({"year"});
    case ColumnType::kDate:
    case ColumnType::kNewDate:
      return in({"date"});
    case ColumnType::kTime:
    case ColumnType::kTime2:
      return in({"time"});
    case ColumnType::kDateTime:
    case ColumnType::kDateTime2:
      return in({"datetime"});
    case ColumnType::kTimestamp:
    case ColumnType::kTimestamp2:
      return in({"timestamp"});
    case ColumnType::kBit:
      return in({"bit"});
    case ColumnType::kEnum:
      return in({"enum"});
    case ColumnType::kSet:
      return in({"set"});
    case ColumnType::kJson:
      return in({"json"});
    case ColumnType::kVector:
      return in({"vector"});
    case ColumnType::kGeometry:
      return in({"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
                 "multipolygon", "geometrycollection"});
    case ColumnType::kVarchar:
    case ColumnType::kVarString:
      return in({"varchar", "varbinary", "inet6", "inet4", "uuid"});
    case ColumnType::kString:
      return in({"char", "binary", "enum", "set", "inet6", "inet4", "uuid"});
    case ColumnType::kTinyBlob:
    case ColumnType::kBlob:
    case ColumnType::kMediumBlob:
    case ColumnType::kLongBlob:
      return in({"tinyblob", "blob", "mediumblob", "longblob", "tinytext", "text", "mediumtext",
                 "longtext", "json"});
    default:
      return false;
  }
}

Result<std::shared_ptr<TableDesc>> describe_table_map(const TableMapEvent& map,
                                                      StreamSchemaCache& source_schema) {
  auto desc = std::make_shared<TableDesc>();
  desc->source_id = static_cast<std::uint32_t>(map.table_id);
  desc->schema = map.schema;
  desc->name = map.table;
  bool named = !map.columns.empty();
  for (const auto& c : map.columns) named = named && c.name.has_value();
  const StreamTableInfo* info = nullptr;
  if (!named || !map.primary_key) {
    auto loaded = source_schema.get(map.schema, map.table);
    if (!loaded.ok()) return std::move(loaded).error();
    if (auto e = source_schema.take_error()) return std::move(*e);
    info = *loaded;
  }
  const std::string advice =
      "; set binlog_row_metadata=FULL on the source so that every TABLE_MAP names its columns "
      "and key";
  if (!named) {
    if (info == nullptr) {
      return make_error(ErrorCode::kConflict,
                        fmt::format("table {}.{} is in the binlog but no longer on the source, "
                                    "and the binlog does not name its columns{}",
                                    map.schema, map.table, advice));
    }
    if (info->columns.size() != map.columns.size()) {
      return make_error(
          ErrorCode::kConflict,
          fmt::format("the binlog has {} columns for {}.{} but the source has {} "
                      "now (its schema changed since this event was written){}",
                      map.columns.size(), map.schema, map.table, info->columns.size(), advice));
    }
  }
  for (std::size_t i = 0; i < map.columns.size(); ++i) {
    const ColumnDef& c = map.columns[i];
    ColumnDesc col;
    col.name = named ? *c.name : info->columns[i].name;
    const StreamColumnInfo* ic = nullptr;
    if (info != nullptr) {
      for (const auto& candidate : info->columns) {
        if (candidate.name == col.name) ic = &candidate;
      }
    }
    if (!named && (ic == nullptr || !column_type_fits(c, ic->data_type))) {
      return make_error(ErrorCode::kConflict,
                        fmt::format("column {} of {}.{} is {} in the binlog but {} on the source "
                                    "now (its schema changed since this event was written){}",
                                    i + 1, map.schema, map.table, column_type_name(c.real_type),
                                    ic == nullptr ? "missing" : ic->column_type, advice));
    }
    col.type_name = ic != nullptr ? ic->column_type : column_type_name(c.real_type);
    if (map.primary_key) {
      for (const auto& [index, prefix] : *map.primary_key) {
        (void)prefix;
        col.key = col.key || index == i;
      }
    } else if (!named || (info != nullptr && ic != nullptr)) {
      // Names from information_schema, or a binlog naming columns but not the key
      // (binlog_row_metadata=MINIMAL with names is impossible; kept for other writers).
      col.key = ic != nullptr && ic->key;
    }
    desc->columns.push_back(std::move(col));
  }
  desc->identity = desc->has_key() ? IdentityKind::kPrimaryKey : IdentityKind::kFull;
  return desc;
}

}  // namespace tideway::replication::mysql
