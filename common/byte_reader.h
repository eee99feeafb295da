#pragma once
// ByteReader: a bounds-checked cursor over untrusted bytes (binlog events, pgoutput
// messages). Every read checks the remaining length first; a failed read is sticky (all
// later reads fail too and return zero/empty), so a decoder can read a whole fixed layout
// and check `ok()` once, without ever reading past the end. Integers are assembled byte by
// byte in an explicit byte order, so decoding does not depend on the host's endianness.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace tideway {

class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(std::span<const std::uint8_t> bytes) : data_(bytes) {}
  ByteReader(const std::uint8_t* data, std::size_t size) : data_(data, size) {}

  bool ok() const { return !failed_; }
  std::size_t position() const { return pos_; }
  std::size_t remaining() const { return failed_ ? 0 : data_.size() - pos_; }
  std::size_t size() const { return data_.size(); }
  bool at_end() const { return remaining() == 0; }

  /// True if `n` more bytes exist; does not fail the reader.
  bool can_read(std::size_t n) const { return !failed_ && n <= data_.size() - pos_; }

  /// Hides the last `n` bytes (e.g. a binlog event's CRC32) from further reads.
  bool shrink_end(std::size_t n);

  /// Marks the reader failed; later reads return zero/empty.
  void fail() { failed_ = true; }

  std::uint8_t u8();
  std::uint16_t u16_le();
  std::uint32_t u24_le();
  std::uint32_t u32_le();
  std::uint64_t u48_le();
  std::uint64_t u64_le();
  /// Little-endian unsigned integer of 1..8 bytes.
  std::uint64_t uint_le(std::size_t width);
  std::uint16_t u16_be();
  std::uint32_t u32_be();
  std::uint64_t u64_be();
  /// Big-endian unsigned integer of 1..8 bytes.
  std::uint64_t uint_be(std::size_t width);

  /// MySQL length-encoded integer (0xfb..0xfe prefixes). 0xfb (NULL) and 0xff fail.
  std::uint64_t lenenc_int();

  /// The next `n` bytes, viewed in place (valid while the underlying buffer lives).
  std::span<const std::uint8_t> bytes(std::size_t n);
  std::string_view chars(std::size_t n);
  /// The rest of the readable bytes.
  std::span<const std::uint8_t> rest();
  /// Bytes up to a NUL terminator, which is consumed; fails if there is none.
  std::string_view cstring();
  void skip(std::size_t n);

 private:
  const std::uint8_t* take(std::size_t n);

  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace tideway
