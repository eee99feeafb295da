#include "replication/mysql/json_diff.h"

#include "common/byte_reader.h"
#include "replication/mysql/json_binary.h"
#include "replication/mysql/parse_util.h"

namespace tideway::replication::mysql {

Result<std::string> json_diff_to_text(std::span<const std::uint8_t> diffs) {
  static constexpr const char* kOperations[] = {"replace", "insert", "remove"};
  ByteReader r(diffs);
  std::string out = "[";
  for (std::size_t n = 0; !r.at_end(); ++n) {
    const std::uint8_t op = r.u8();
    if (op > 2) return corrupt("JSON diff operation " + std::to_string(op) + " is unknown");
    const std::uint64_t path_length = r.lenenc_int();
    if (!r.ok()) return corrupt("JSON diff path length malformed");
    auto path = read_bytes(r, path_length, "JSON diff path");
    if (!path.ok()) return path.error();
    if (n > 0) out += ", ";
    out += "{\"op\": \"";
    out += kOperations[op];
    out += "\", \"path\": ";
    append_json_string(out, *path);
    if (op != 2) {
      const std::uint64_t value_length = r.lenenc_int();
      if (!r.ok() || value_length == 0 || value_length > r.remaining()) {
        return corrupt("JSON diff value length does not fit the diff list");
      }
      const auto value = r.bytes(static_cast<std::size_t>(value_length));
      auto text = json_binary_value_to_text(value[0], value.subspan(1));
      if (!text.ok()) return std::move(text).error().with_context("JSON diff value");
      out += ", \"value\": " + *text;
    }
    out += "}";
  }
  return out + "]";
}

}  // namespace tideway::replication::mysql
