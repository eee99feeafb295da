#include "replication/mysql/parse_util.h"

namespace tideway::replication::mysql {

std::string uuid_text(const std::array<std::uint8_t, 16>& uuid) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kDigits[uuid[i] >> 4];
    out += kDigits[uuid[i] & 0x0f];
  }
  return out;
}

}  // namespace tideway::replication::mysql
