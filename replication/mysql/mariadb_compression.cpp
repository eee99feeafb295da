#include "replication/mysql/mariadb_compression.h"

#include <zlib.h>

#include "replication/mysql/parse_util.h"

namespace tideway::replication::mysql {

Result<std::string> mariadb_uncompress(std::span<const std::uint8_t> block,
                                       std::size_t max_size) {
  if (block.empty() || (block[0] & 0xe0) != 0x80) {
    return corrupt("compressed block does not start with a 0x80 header byte");
  }
  const std::size_t length_size = block[0] & 0x07;
  if (length_size < 1 || length_size > 4 || block.size() < 1 + length_size) {
    return corrupt("compressed block has a bad length field");
  }
  std::size_t size = 0;
  for (std::size_t i = 1; i <= length_size; ++i) size = (size << 8) | block[i];
  if (size > max_size) {
    return corrupt("compressed block declares " + std::to_string(size) +
                   " bytes, above the limit of " + std::to_string(max_size));
  }
  std::string out(size, '\0');
  uLongf out_size = static_cast<uLongf>(size);
  const auto input = block.subspan(1 + length_size);
  const int rc = ::uncompress(reinterpret_cast<Bytef*>(out.data()), &out_size, input.data(),
                              static_cast<uLong>(input.size()));
  if (rc != Z_OK || out_size != size) {
    return corrupt("zlib could not inflate the compressed block (code " + std::to_string(rc) +
                   ")");
  }
  return out;
}

}  // namespace tideway::replication::mysql
