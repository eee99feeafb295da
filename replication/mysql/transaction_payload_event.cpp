#include "replication/mysql/transaction_payload_event.h"

#include <zstd.h>

#include <algorithm>
#include <memory>

#include "replication/mysql/parse_util.h"

namespace tideway::replication::mysql {
namespace {

constexpr std::uint64_t kFieldEndMark = 0;
constexpr std::uint64_t kFieldPayloadSize = 1;
constexpr std::uint64_t kFieldCompressionType = 2;
constexpr std::uint64_t kFieldUncompressedSize = 3;

struct DStreamDeleter {
  void operator()(ZSTD_DStream* s) const { ZSTD_freeDStream(s); }
};

}  // namespace

Result<TransactionPayloadHeader> parse_transaction_payload_header(ByteReader& body) {
  TransactionPayloadHeader h;
  bool have_size = false;
  bool have_type = false;
  while (true) {
    const std::uint64_t type = body.lenenc_int();
    if (!body.ok()) return corrupt("TRANSACTION_PAYLOAD fields end without an end mark");
    if (type == kFieldEndMark) break;
    const std::uint64_t length = body.lenenc_int();
    if (!body.ok() || length > body.remaining()) {
      return corrupt("TRANSACTION_PAYLOAD field " + std::to_string(type) + " runs past the event");
    }
    ByteReader field(body.bytes(static_cast<std::size_t>(length)));
    if (type == kFieldPayloadSize || type == kFieldCompressionType ||
        type == kFieldUncompressedSize) {
      const std::uint64_t v = field.lenenc_int();
      if (!field.ok())
        return corrupt("TRANSACTION_PAYLOAD field " + std::to_string(type) + " malformed");
      if (type == kFieldPayloadSize) {
        h.payload_size = v;
        have_size = true;
      } else if (type == kFieldCompressionType) {
        h.compression_type = v;
        have_type = true;
      } else {
        h.uncompressed_size = v;
      }
    }  // other field types: newer additions, skipped by their length
  }
  if (!have_size || !have_type)
    return corrupt("TRANSACTION_PAYLOAD lacks its size or compression type");
  if (h.payload_size != body.remaining()) {
    return corrupt("TRANSACTION_PAYLOAD declares a " + std::to_string(h.payload_size) +
                   "-byte payload, the event holds " + std::to_string(body.remaining()));
  }
  return h;
}

Result<std::string> inflate_transaction_payload(const TransactionPayloadHeader& header,
                                                std::span<const std::uint8_t> payload,
                                                std::size_t max_size) {
  if (header.compression_type == static_cast<std::uint64_t>(PayloadCompression::kNone)) {
    if (header.uncompressed_size != 0 && header.uncompressed_size != payload.size()) {
      return corrupt("uncompressed TRANSACTION_PAYLOAD of " + std::to_string(payload.size()) +
                     " bytes declares " + std::to_string(header.uncompressed_size));
    }
    return std::string(reinterpret_cast<const char*>(payload.data()), payload.size());
  }
  if (header.compression_type != static_cast<std::uint64_t>(PayloadCompression::kZstd)) {
    return corrupt("TRANSACTION_PAYLOAD compression type " +
                   std::to_string(header.compression_type) + " is unknown");
  }
  if (header.uncompressed_size > max_size) {
    return corrupt("TRANSACTION_PAYLOAD inflates to " + std::to_string(header.uncompressed_size) +
                   " bytes, above the limit of " + std::to_string(max_size));
  }
  std::unique_ptr<ZSTD_DStream, DStreamDeleter> stream(ZSTD_createDStream());
  if (!stream) return make_error(ErrorCode::kInternal, "zstd could not allocate a stream");
  ZSTD_initDStream(stream.get());

  // The declared size is only a claim: grow the buffer as output really arrives, so a
  // corrupt size field cannot make us allocate a gigabyte for a few bytes of input. The
  // limit is one byte more than declared, so output beyond it is detected.
  const std::size_t limit = static_cast<std::size_t>(header.uncompressed_size) + 1;
  std::string out(std::min(limit, payload.size() * 8 + 65536), '\0');
  ZSTD_inBuffer in{payload.data(), payload.size(), 0};
  std::size_t produced = 0;
  while (true) {
    ZSTD_outBuffer dst{out.data() + produced, out.size() - produced, 0};
    const std::size_t rc = ZSTD_decompressStream(stream.get(), &dst, &in);
    if (ZSTD_isError(rc)) {
      return corrupt(std::string("TRANSACTION_PAYLOAD zstd error: ") + ZSTD_getErrorName(rc));
    }
    produced += dst.pos;
    if (produced == limit) break;  // more than declared
    if (rc == 0) {                 // frame complete
      if (in.pos < in.size) return corrupt("TRANSACTION_PAYLOAD has bytes after its zstd frame");
      break;
    }
    if (produced == out.size()) {
      out.resize(std::min(limit, out.size() * 2));
    } else if (in.pos == in.size) {
      break;  // input exhausted mid-frame
    }
  }
  if (produced != header.uncompressed_size) {
    return corrupt("TRANSACTION_PAYLOAD inflated to " + std::to_string(produced) +
                   " bytes, its header says " + std::to_string(header.uncompressed_size));
  }
  out.resize(produced);
  return out;
}

}  // namespace tideway::replication::mysql
