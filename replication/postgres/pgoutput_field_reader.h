#pragma once
// PgoutputFieldReader: the decoder's cursor over one pgoutput message. It wraps ByteReader
// and adds what a corruption report needs: the name of the field being read, the byte
// offset where it starts, and where in the message that is (relation, tuple, column).
// The first failure is kept; ByteReader's sticky failure turns every later read into a
// no-op returning zero/empty, so per-message code reads straight through and checks once.
// The context is plain data, formatted only on failure, to keep the row path cheap.
// Internal to pgoutput_decoder.cpp.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/byte_reader.h"
#include "common/error.h"
#include "replication/postgres/pgoutput_message.h"

namespace tideway::replication::postgres {

class PgoutputFieldReader {
 public:
  /// `message` is the whole message including its type byte, so offsets in errors count
  /// from the start of the message.
  PgoutputFieldReader(std::span<const std::uint8_t> message, char type)
      : reader_(message), type_(type) {}

  bool ok() const { return !error_.has_value(); }
  std::size_t position() const { return reader_.position(); }

  // Context for error messages.
  void set_object(const char* label, std::uint32_t id) {
    object_label_ = label;
    object_id_ = id;
  }
  void set_part(const char* part) { part_ = part; }
  void set_column(std::optional<std::size_t> index) { column_ = index; }

  std::uint8_t u8(const char* field) { return static_cast<std::uint8_t>(be(field, 1)); }
  std::uint16_t u16(const char* field) { return static_cast<std::uint16_t>(be(field, 2)); }
  std::uint32_t u32(const char* field) { return static_cast<std::uint32_t>(be(field, 4)); }
  // Two's complement reinterpretation (well defined since C++20).
  std::int32_t i32(const char* field) { return static_cast<std::int32_t>(u32(field)); }
  std::uint64_t u64(const char* field) { return be(field, 8); }
  Lsn lsn(const char* field) { return Lsn{u64(field)}; }
  PgTimestamp timestamp(const char* field) {
    return PgTimestamp{static_cast<std::int64_t>(u64(field))};
  }

  /// An LSN that PostgreSQL's own subscriber refuses to see unset (0/0).
  Lsn required_lsn(const char* field);
  /// A flags byte for which PostgreSQL defines no bits: a set bit would carry a meaning
  /// this decoder does not know, so it is refused rather than dropped.
  std::uint8_t zero_flags(const char* field);
  /// A NUL-terminated String.
  std::string cstring(const char* field);
  /// `n` bytes; n is checked against what remains before anything is copied.
  std::string bytes(std::size_t n, const char* field);
  /// True when `count` items of at least `min_item_bytes` each fit in what remains.
  /// Called before reserve(), so a forged count cannot make us allocate.
  bool fits(std::uint64_t count, std::size_t min_item_bytes, const char* what);

  /// Records a failure at `offset` (the first failure wins) and stops further reads.
  void fail(std::size_t offset, const std::string& why);
  /// The recorded failure, or one for bytes left over after a complete message.
  std::optional<Error> finish();

 private:
  // A big-endian unsigned integer of `width` bytes, or 0 and a recorded failure.
  std::uint64_t be(const char* field, std::size_t width) {
    const std::size_t at = position();
    const std::size_t left = reader_.remaining();
    const std::uint64_t value = reader_.uint_be(width);
    if (!reader_.ok() && ok()) truncated(field, at, width, left);
    return value;
  }
  void truncated(const char* field, std::size_t at, std::size_t width, std::size_t left);
  std::string where() const;

  ByteReader reader_;
  char type_;
  std::optional<Error> error_;
  const char* object_label_ = nullptr;
  std::uint32_t object_id_ = 0;
  const char* part_ = nullptr;
  std::optional<std::size_t> column_;
};

/// "'x' (0x78)" for a printable byte, "0x05" otherwise.
std::string describe_byte(std::uint8_t b);

}  // namespace tideway::replication::postgres
