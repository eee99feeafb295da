#include "replication/mysql/mariadb_compression.h"

#include <zlib.h>

#include <algorithm>

#include "replication/mysql/parse_util.h"

namespace tideway::replication::mysql {

Result<std::string> mariadb_uncompress(std::span<const std::uint8_t> block, std::size_t max_size) {
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
  // Grow the output as it arrives rather than trusting the declared size up front: a
  // corrupt length must not cost a large allocation.
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return make_error(ErrorCode::kInternal, "zlib inflateInit failed");
  const auto input = block.subspan(1 + length_size);
  zs.next_in = const_cast<Bytef*>(input.data());
  zs.avail_in = static_cast<uInt>(input.size());
  const std::size_t limit = size + 1;  // one more, to detect output beyond the declared size
  std::string out(std::min(limit, input.size() * 8 + 4096), '\0');
  std::size_t produced = 0;
  int rc = Z_OK;
  while (rc == Z_OK) {
    if (produced == out.size()) {
      if (out.size() == limit) break;
      out.resize(std::min(limit, out.size() * 2));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    rc = inflate(&zs, Z_NO_FLUSH);
    produced = out.size() - zs.avail_out;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;       // input ended mid-stream
    if (rc == Z_BUF_ERROR && zs.avail_out == 0) rc = Z_OK;  // just needs more room
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || produced != size) {
    return corrupt("zlib could not inflate the compressed block to its declared " +
                   std::to_string(size) + " bytes (code " + std::to_string(rc) + ")");
  }
  out.resize(produced);
  return out;
}

}  // namespace tideway::replication::mysql
