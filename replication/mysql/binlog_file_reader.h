#pragma once
// BinlogFileReader: walks the events of a binlog or relay log file (or the same bytes in
// memory) and hands out each event's bytes with the offset it starts at.
//
//   file   ::= magic event*
//   magic  = fe 62 69 6e  ("\xfebin")
//   event  = a 19-byte header whose event_size gives the distance to the next event
//
// It only finds event boundaries; EventDecoder gives them meaning. A file that ends in
// the middle of an event (a crash, a copy taken while the server wrote) is reported as
// an Error naming the offset; the caller decides whether a torn tail is acceptable.

#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/error.h"

namespace tideway::replication::mysql {

inline constexpr std::uint8_t kBinlogMagic[4] = {0xfe, 0x62, 0x69, 0x6e};
/// No server writes a larger event: max_allowed_packet tops out at 1 GiB, plus headers.
inline constexpr std::uint64_t kMaxEventSize = (std::uint64_t{1} << 30) + 65536;

struct RawEvent {
  std::uint64_t offset = 0;
  std::span<const std::uint8_t> bytes;  // valid until the next call to next()
};

class BinlogFileReader {
 public:
  /// Opens `path` and checks the magic number.
  static Result<BinlogFileReader> open(const std::string& path);
  /// Reads from memory (e.g. a decompressed test file); `name` is used in errors.
  static Result<BinlogFileReader> from_bytes(std::string name, std::vector<std::uint8_t> bytes);

  /// The next event, nullopt at a clean end of the file, or an Error (truncated or
  /// impossible event, I/O failure) that names the file and offset.
  Result<std::optional<RawEvent>> next();

  const std::string& name() const { return name_; }
  std::uint64_t size() const { return size_; }
  /// Offset of the next event to read.
  std::uint64_t position() const { return position_; }

 private:
  BinlogFileReader() = default;
  Status check_magic();
  bool read_at(std::uint64_t offset, std::uint8_t* dst, std::size_t n);
  Error error_at(std::uint64_t offset, const std::string& message,
                 ErrorCode code = ErrorCode::kCorruption) const;

  std::string name_;
  std::unique_ptr<std::ifstream> file_;  // nullptr when reading from memory
  std::vector<std::uint8_t> memory_;
  std::uint64_t size_ = 0;
  std::uint64_t position_ = 0;
  std::vector<std::uint8_t> buffer_;
};

}  // namespace tideway::replication::mysql
