#include "common/byte_reader.h"

#include <cstring>

namespace tideway {

const std::uint8_t* ByteReader::take(std::size_t n) {
  if (!can_read(n)) {
    failed_ = true;
    return nullptr;
  }
  const std::uint8_t* p = data_.data() + pos_;
  pos_ += n;
  return p;
}

bool ByteReader::shrink_end(std::size_t n) {
  if (!can_read(n)) {
    failed_ = true;
    return false;
  }
  data_ = data_.first(data_.size() - n);
  return true;
}

std::uint64_t ByteReader::uint_le(std::size_t width) {
  if (width == 0 || width > 8) {
    failed_ = true;
    return 0;
  }
  const std::uint8_t* p = take(width);
  if (p == nullptr) return 0;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width; ++i) v |= std::uint64_t{p[i]} << (8 * i);
  return v;
}

std::uint64_t ByteReader::uint_be(std::size_t width) {
  if (width == 0 || width > 8) {
    failed_ = true;
    return 0;
  }
  const std::uint8_t* p = take(width);
  if (p == nullptr) return 0;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width; ++i) v = (v << 8) | p[i];
  return v;
}

std::uint8_t ByteReader::u8() { return static_cast<std::uint8_t>(uint_le(1)); }
std::uint16_t ByteReader::u16_le() { return static_cast<std::uint16_t>(uint_le(2)); }
std::uint32_t ByteReader::u24_le() { return static_cast<std::uint32_t>(uint_le(3)); }
std::uint32_t ByteReader::u32_le() { return static_cast<std::uint32_t>(uint_le(4)); }
std::uint64_t ByteReader::u48_le() { return uint_le(6); }
std::uint64_t ByteReader::u64_le() { return uint_le(8); }
std::uint16_t ByteReader::u16_be() { return static_cast<std::uint16_t>(uint_be(2)); }
std::uint32_t ByteReader::u32_be() { return static_cast<std::uint32_t>(uint_be(4)); }
std::uint64_t ByteReader::u64_be() { return uint_be(8); }

std::uint64_t ByteReader::lenenc_int() {
  const std::uint8_t first = u8();
  if (!ok()) return 0;
  if (first < 0xfb) return first;
  switch (first) {
    case 0xfc: return uint_le(2);
    case 0xfd: return uint_le(3);
    case 0xfe: return uint_le(8);
    default:  // 0xfb is SQL NULL and 0xff an error packet: not an integer here.
      failed_ = true;
      return 0;
  }
}

std::span<const std::uint8_t> ByteReader::bytes(std::size_t n) {
  const std::uint8_t* p = take(n);
  if (p == nullptr) return {};
  return {p, n};
}

std::string_view ByteReader::chars(std::size_t n) {
  auto b = bytes(n);
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::span<const std::uint8_t> ByteReader::rest() { return bytes(remaining()); }

std::string_view ByteReader::cstring() {
  if (failed_) return {};
  const std::uint8_t* start = data_.data() + pos_;
  const void* nul = std::memchr(start, 0, data_.size() - pos_);
  if (nul == nullptr) {
    failed_ = true;
    return {};
  }
  const auto len = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - start);
  std::string_view s(reinterpret_cast<const char*>(start), len);
  pos_ += len + 1;
  return s;
}

void ByteReader::skip(std::size_t n) { take(n); }

}  // namespace tideway
