#include "replication/postgres/pgoutput_field_reader.h"

#include <fmt/format.h>

#include <string_view>
#include <utility>

namespace tideway::replication::postgres {

std::string describe_byte(std::uint8_t b) {
  if (b >= 0x20 && b < 0x7f) return fmt::format("'{}' (0x{:02x})", static_cast<char>(b), b);
  return fmt::format("0x{:02x}", b);
}

Lsn PgoutputFieldReader::required_lsn(const char* field) {
  const std::size_t at = position();
  const Lsn value = lsn(field);
  if (ok() && value.value == 0) fail(at, fmt::format("{} is 0/0 (not set)", field));
  return value;
}

std::uint8_t PgoutputFieldReader::zero_flags(const char* field) {
  const std::size_t at = position();
  const std::uint8_t value = u8(field);
  if (ok() && value != 0) {
    fail(at, fmt::format("{} is 0x{:02x}, but no flags are defined", field, value));
  }
  return value;
}

std::string PgoutputFieldReader::cstring(const char* field) {
  if (!ok()) return {};
  const std::size_t at = position();
  const std::size_t left = reader_.remaining();
  const std::string_view s = reader_.cstring();
  if (!reader_.ok()) {
    fail(at, fmt::format("{}: no NUL-terminated string in the {} bytes left", field, left));
    return {};
  }
  return std::string(s);
}

std::string PgoutputFieldReader::bytes(std::size_t n, const char* field) {
  if (!ok()) return {};
  const std::size_t at = position();
  const std::size_t left = reader_.remaining();
  const std::string_view s = reader_.chars(n);
  if (!reader_.ok()) {
    fail(at, fmt::format("{}: length {} but only {} bytes left", field, n, left));
    return {};
  }
  return std::string(s);
}

bool PgoutputFieldReader::fits(std::uint64_t count, std::size_t min_item_bytes, const char* what) {
  if (!ok()) return false;
  const std::uint64_t left = reader_.remaining();
  if (count <= left / min_item_bytes) return true;
  fail(position(), fmt::format("{} {} need at least {} bytes but only {} are left", count, what,
                               count * min_item_bytes, left));
  return false;
}

void PgoutputFieldReader::fail(std::size_t offset, const std::string& why) {
  reader_.fail();
  if (error_) return;
  error_ = make_error(ErrorCode::kCorruption,
                      fmt::format("{}: {} (at byte offset {})", where(), why, offset));
}

std::optional<Error> PgoutputFieldReader::finish() {
  if (error_) return std::move(error_);
  if (reader_.at_end()) return std::nullopt;
  set_column(std::nullopt);
  set_part(nullptr);
  return make_error(ErrorCode::kCorruption,
                    fmt::format("{}: {} unexpected bytes after the end of the message (at byte "
                                "offset {}, message is {} bytes)",
                                where(), reader_.remaining(), position(), reader_.size()));
}

void PgoutputFieldReader::truncated(const char* field, std::size_t at, std::size_t width,
                                    std::size_t left) {
  fail(at, fmt::format("{}: needs {} bytes but only {} are left", field, width, left));
}

std::string PgoutputFieldReader::where() const {
  std::string s = fmt::format("pgoutput {} message ('{}')", message_type_name(type_), type_);
  if (object_label_ != nullptr) s += fmt::format(", {} {}", object_label_, object_id_);
  if (part_ != nullptr) s += fmt::format(", {}", part_);
  if (column_) s += fmt::format(", column {}", *column_ + 1);
  return s;
}

}  // namespace tideway::replication::postgres
