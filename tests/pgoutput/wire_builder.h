#pragma once
// WireBuilder: writes pgoutput fields in wire order (big-endian integers, NUL-terminated
// strings), so hand-built test messages read like the protocol documentation's layouts.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace tideway::test {

class WireBuilder {
 public:
  WireBuilder& u8(std::uint8_t v) {
    bytes_.push_back(v);
    return *this;
  }
  WireBuilder& type(char t) { return u8(static_cast<std::uint8_t>(t)); }
  WireBuilder& u16(std::uint16_t v) { return be(v, 2); }
  WireBuilder& u32(std::uint32_t v) { return be(v, 4); }
  WireBuilder& i32(std::int32_t v) { return be(static_cast<std::uint32_t>(v), 4); }
  WireBuilder& u64(std::uint64_t v) { return be(v, 8); }
  WireBuilder& i64(std::int64_t v) { return be(static_cast<std::uint64_t>(v), 8); }
  /// String: the bytes and a NUL terminator.
  WireBuilder& str(std::string_view s) { return raw(s).u8(0); }
  /// Bytes as they are, no terminator or length.
  WireBuilder& raw(std::string_view s) {
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    return *this;
  }
  /// A 't' or 'b' TupleData column: kind, Int32 length, bytes.
  WireBuilder& column(char kind, std::string_view value) {
    return type(kind).u32(static_cast<std::uint32_t>(value.size())).raw(value);
  }

  const std::vector<std::uint8_t>& bytes() const { return bytes_; }
  std::span<const std::uint8_t> span() const { return bytes_; }
  std::size_t size() const { return bytes_.size(); }

 private:
  WireBuilder& be(std::uint64_t v, int width) {
    for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) {
      bytes_.push_back(static_cast<std::uint8_t>(v >> shift));
    }
    return *this;
  }

  std::vector<std::uint8_t> bytes_;
};

}  // namespace tideway::test
