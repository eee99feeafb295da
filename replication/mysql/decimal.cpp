#include "replication/mysql/decimal.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "replication/mysql/parse_util.h"

namespace tideway::replication::mysql {
namespace {

constexpr int kDigitsPerGroup = 9;
constexpr std::array<std::size_t, 10> kBytesForDigits = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
constexpr std::array<std::uint32_t, 10> kPowersOfTen = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

bool valid(int precision, int scale) {
  return precision >= 1 && precision <= kMaxDecimalPrecision && scale >= 0 &&
         scale <= kMaxDecimalScale && scale <= precision;
}

// Big-endian unsigned integer of `n` (1..4) bytes from `p`.
std::uint32_t group_value(const std::uint8_t* p, std::size_t n) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// `value` as exactly `digits` decimal digits, zero-padded.
void append_padded(std::string& out, std::uint32_t value, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%0*u", digits, value);
  out += buf;
}

}  // namespace

std::size_t decimal_binary_size(int precision, int scale) {
  if (!valid(precision, scale)) return 0;
  const int intg = precision - scale;
  return static_cast<std::size_t>(intg / kDigitsPerGroup) * 4 +
         kBytesForDigits[static_cast<std::size_t>(intg % kDigitsPerGroup)] +
         static_cast<std::size_t>(scale / kDigitsPerGroup) * 4 +
         kBytesForDigits[static_cast<std::size_t>(scale % kDigitsPerGroup)];
}

Result<std::string> read_decimal(ByteReader& r, int precision, int scale) {
  if (!valid(precision, scale)) {
    return corrupt("DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) +
                   ") is not a valid precision/scale");
  }
  const std::size_t size = decimal_binary_size(precision, scale);
  if (!r.can_read(size)) return truncated("DECIMAL value", size, r.remaining());
  const auto raw = r.bytes(size);

  // Undo the sign encoding on a private copy: at most 30 bytes for DECIMAL(65,38).
  std::array<std::uint8_t, 40> buf{};
  std::copy(raw.begin(), raw.end(), buf.begin());
  const bool negative = (buf[0] & 0x80) == 0;
  buf[0] ^= 0x80;
  if (negative) {
    for (std::size_t i = 0; i < size; ++i) buf[i] = static_cast<std::uint8_t>(~buf[i]);
  }

  const int intg = precision - scale;
  const int int_full = intg / kDigitsPerGroup;
  const int int_rest = intg % kDigitsPerGroup;
  const int frac_full = scale / kDigitsPerGroup;
  const int frac_rest = scale % kDigitsPerGroup;
  const std::uint8_t* p = buf.data();
  bool all_zero = true;

  auto take = [&](int digits, std::uint32_t& value) -> bool {
    const std::size_t n =
        digits == kDigitsPerGroup ? 4 : kBytesForDigits[static_cast<std::size_t>(digits)];
    value = group_value(p, n);
    p += n;
    if (value != 0) all_zero = false;
    return value < kPowersOfTen[static_cast<std::size_t>(digits)];
  };

  std::string integer;
  std::uint32_t v = 0;
  if (int_rest > 0) {
    if (!take(int_rest, v)) return corrupt("DECIMAL leading group holds too many digits");
    integer = std::to_string(v);
  }
  for (int i = 0; i < int_full; ++i) {
    if (!take(kDigitsPerGroup, v)) return corrupt("DECIMAL integer group exceeds 9 digits");
    append_padded(integer, v, kDigitsPerGroup);
  }
  const std::size_t first_digit = integer.find_first_not_of('0');
  integer = first_digit == std::string::npos ? "0" : integer.substr(first_digit);

  std::string fraction;
  for (int i = 0; i < frac_full; ++i) {
    if (!take(kDigitsPerGroup, v)) return corrupt("DECIMAL fraction group exceeds 9 digits");
    append_padded(fraction, v, kDigitsPerGroup);
  }
  if (frac_rest > 0) {
    if (!take(frac_rest, v)) return corrupt("DECIMAL trailing group holds too many digits");
    append_padded(fraction, v, frac_rest);
  }

  // A negative zero cannot come from MySQL arithmetic; print it as plain zero.
  std::string out = negative && !all_zero ? "-" : "";
  out += integer;
  if (scale > 0) out += "." + fraction;
  return out;
}

}  // namespace tideway::replication::mysql
