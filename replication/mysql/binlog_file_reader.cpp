#include "replication/mysql/binlog_file_reader.h"

#include <cstring>
#include <filesystem>

#include "replication/mysql/event_header.h"

namespace tideway::replication::mysql {

Error BinlogFileReader::error_at(std::uint64_t offset, const std::string& message,
                                 ErrorCode code) const {
  return make_error(code, name_ + ": offset " + std::to_string(offset) + ": " + message);
}

Result<BinlogFileReader> BinlogFileReader::open(const std::string& path) {
  BinlogFileReader reader;
  reader.name_ = path;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return make_error(ErrorCode::kIo, path + ": " + ec.message());
  reader.file_ = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*reader.file_) return make_error(ErrorCode::kIo, path + ": cannot open for reading");
  reader.size_ = size;
  if (auto s = reader.check_magic(); !s.ok()) return s.error();
  return reader;
}

Result<BinlogFileReader> BinlogFileReader::from_bytes(std::string name,
                                                      std::vector<std::uint8_t> bytes) {
  BinlogFileReader reader;
  reader.name_ = std::move(name);
  reader.memory_ = std::move(bytes);
  reader.size_ = reader.memory_.size();
  if (auto s = reader.check_magic(); !s.ok()) return s.error();
  return reader;
}

bool BinlogFileReader::read_at(std::uint64_t offset, std::uint8_t* dst, std::size_t n) {
  if (offset > size_ || n > size_ - offset) return false;
  if (!file_) {
    std::memcpy(dst, memory_.data() + offset, n);
    return true;
  }
  file_->seekg(static_cast<std::streamoff>(offset));
  file_->read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(n));
  return static_cast<std::size_t>(file_->gcount()) == n;
}

Status BinlogFileReader::check_magic() {
  std::uint8_t magic[4] = {};
  if (!read_at(0, magic, sizeof(magic)) || std::memcmp(magic, kBinlogMagic, sizeof(magic)) != 0) {
    return error_at(0, "not a binlog file: it does not start with the magic bytes fe 62 69 6e",
                    ErrorCode::kInvalidArgument);
  }
  position_ = sizeof(kBinlogMagic);
  return Status::ok_status();
}

Result<std::optional<RawEvent>> BinlogFileReader::next() {
  if (position_ == size_) return std::optional<RawEvent>();
  const std::uint64_t offset = position_;
  const std::uint64_t left = size_ - offset;
  if (left < kEventHeaderSize) {
    return error_at(offset, "truncated event header: " + std::to_string(left) +
                                " bytes left, a header needs 19");
  }
  std::uint8_t header_bytes[kEventHeaderSize];
  if (!read_at(offset, header_bytes, kEventHeaderSize)) {
    return error_at(offset, "read failed", ErrorCode::kIo);
  }
  auto header = parse_event_header(std::span(header_bytes, kEventHeaderSize));
  if (!header.ok()) return error_at(offset, header.error().message);
  const std::string type = event_type_name(header->type_code);
  if (header->event_size > kMaxEventSize) {
    return error_at(offset, type + " event claims " + std::to_string(header->event_size) +
                                " bytes, above any server's maximum");
  }
  if (header->event_size > left) {
    return error_at(offset, "truncated " + type + " event: it claims " +
                                std::to_string(header->event_size) + " bytes, " +
                                std::to_string(left) + " remain in the file");
  }
  // Allocated only now that the size is known to exist in the file.
  buffer_.resize(header->event_size);
  if (!read_at(offset, buffer_.data(), buffer_.size())) {
    return error_at(offset, "read failed", ErrorCode::kIo);
  }
  position_ = offset + header->event_size;
  return std::optional<RawEvent>(RawEvent{offset, std::span(buffer_)});
}

}  // namespace tideway::replication::mysql
