#include "replication/postgres/pg_stream_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "common/byte_reader.h"

namespace tideway::replication::postgres {
namespace {

constexpr std::size_t kHeaderBytes = 12;  // u32 length + u64 LSN
// A pgoutput message is at most PostgreSQL's 1 GiB allocation limit; a longer length in a
// spool file is damage, and must not turn into a huge allocation.
constexpr std::uint32_t kMaxRecordBytes = 1u << 30;

void put_u32_be(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}
void put_u64_be(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

/// Writes all of `data` (write(2) may write less than asked).
int write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return errno;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return 0;
}

}  // namespace

// ---- SpoolReader ------------------------------------------------------------------

SpoolReader::SpoolReader(std::filesystem::path file, std::uint32_t xid, int fd,
                         std::size_t buffer_bytes)
    : file_(std::move(file)), xid_(xid), fd_(fd), buffer_bytes_(buffer_bytes) {}

SpoolReader::~SpoolReader() {
  if (fd_ >= 0) ::close(fd_);
}

Error SpoolReader::io_error(const std::string& what, int err) const {
  return make_error(ErrorCode::kIo, fmt::format("spool file {} of streamed transaction {}: {}: {}",
                                                file_.string(), xid_, what, std::strerror(err)));
}

Error SpoolReader::corrupt(const std::string& what) const {
  return make_error(ErrorCode::kCorruption,
                    fmt::format("spool file {} of streamed transaction {}: {} at offset {}",
                                file_.string(), xid_, what, offset_));
}

Result<bool> SpoolReader::fill(std::size_t n) {
  if (end_ - begin_ >= n) return true;
  // Move what is unread to the front; give back memory a large record needed once.
  const std::size_t unread = end_ - begin_;
  const std::size_t want = std::max(buffer_bytes_, n);
  if (buffer_.size() > want) {
    std::vector<char> smaller(want);
    std::memcpy(smaller.data(), buffer_.data() + begin_, unread);
    buffer_ = std::move(smaller);
  } else {
    if (unread > 0) std::memmove(buffer_.data(), buffer_.data() + begin_, unread);
    if (buffer_.size() < want) buffer_.resize(want);
  }
  begin_ = 0;
  end_ = unread;
  while (end_ < n) {
    const ssize_t r = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return io_error("reading", errno);
    if (r == 0) return false;
    end_ += static_cast<std::size_t>(r);
  }
  return true;
}

Result<std::optional<SpoolRecord>> SpoolReader::next() {
  auto header = fill(kHeaderBytes);
  if (!header.ok()) return std::move(header).error();
  if (!*header) {
    if (end_ == begin_) return std::optional<SpoolRecord>();
    return corrupt(fmt::format("a record header cut short ({} of {} bytes)", end_ - begin_,
                               kHeaderBytes));
  }
  ByteReader r(reinterpret_cast<const std::uint8_t*>(buffer_.data() + begin_), kHeaderBytes);
  const std::uint32_t length = r.u32_be();
  const Lsn at{r.u64_be()};
  if (!r.ok() || length == 0 || length > kMaxRecordBytes) {
    return corrupt(fmt::format("a record length of {} bytes", length));
  }
  auto body = fill(kHeaderBytes + length);
  if (!body.ok()) return std::move(body).error();
  if (!*body) {
    return corrupt(fmt::format("a record of {} bytes cut short ({} there)", length,
                               end_ - begin_ - kHeaderBytes));
  }
  SpoolRecord record{at, std::string_view(buffer_.data() + begin_ + kHeaderBytes, length)};
  begin_ += kHeaderBytes + length;
  offset_ += kHeaderBytes + length;
  return std::optional<SpoolRecord>(record);
}

// ---- PgStreamSpool ----------------------------------------------------------------

PgStreamSpool::PgStreamSpool(std::filesystem::path dir, std::size_t buffer_bytes)
    : dir_(std::move(dir)), buffer_bytes_(std::max<std::size_t>(buffer_bytes, 64)) {}

PgStreamSpool::~PgStreamSpool() = default;

std::filesystem::path PgStreamSpool::file_of(std::uint32_t xid) const {
  return dir_ / fmt::format("xid-{}.spool", xid);
}

Error PgStreamSpool::io_error(std::uint32_t xid, const std::string& what, int err) const {
  return make_error(ErrorCode::kIo,
                    fmt::format("spool file {} of streamed transaction {}: {}: {}",
                                file_of(xid).string(), xid, what, std::strerror(err)));
}

Status PgStreamSpool::reset() {
  remove_all();
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    return make_error(ErrorCode::kIo, fmt::format("cannot create the spool directory {} for "
                                                  "streamed transactions: {}",
                                                  dir_.string(), ec.message()));
  }
  // Spooled rows are the source's data: readable by this user only.
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all, ec);
  return {};
}

void PgStreamSpool::remove_all() {
  open_.clear();
  buffer_.clear();
  buffer_xid_.reset();
  bytes_ = 0;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

Status PgStreamSpool::start(std::uint32_t xid, bool first_segment) {
  if (first_segment) {
    if (is_open(xid)) {
      return make_error(ErrorCode::kCorruption,
                        fmt::format("Stream Start of transaction {} as a first segment, but it "
                                    "is already open", xid));
    }
    open_[xid] = Open{};
    return {};
  }
  if (!is_open(xid)) {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("Stream Start continues transaction {}, which this session "
                                  "never saw start", xid));
  }
  return {};
}

Status PgStreamSpool::flush() {
  if (!buffer_xid_ || buffer_.empty()) return {};
  const std::uint32_t xid = *buffer_xid_;
  const auto file = file_of(xid);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return io_error(xid, "opening for append", errno);
  const int err = write_all(fd, buffer_.data(), buffer_.size());
  const int close_err = ::close(fd) != 0 ? errno : 0;
  if (err != 0) return io_error(xid, fmt::format("writing {} bytes", buffer_.size()), err);
  if (close_err != 0) return io_error(xid, "closing after a write", close_err);
  if (auto it = open_.find(xid); it != open_.end()) it->second.on_disk += buffer_.size();
  buffer_.clear();
  // A message larger than the buffer grew it once; do not keep that memory.
  if (buffer_.capacity() > 2 * buffer_bytes_) buffer_ = std::string();
  buffer_xid_.reset();
  return {};
}

Status PgStreamSpool::append(std::uint32_t xid, std::uint32_t subxid, Lsn at,
                             std::string_view payload) {
  auto it = open_.find(xid);
  if (it == open_.end()) {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("a change of streamed transaction {} at LSN {} outside its "
                                  "Stream Start", xid, at.to_string()));
  }
  if (payload.empty() || payload.size() > kMaxRecordBytes) {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("a streamed message of {} bytes at LSN {}", payload.size(),
                                  at.to_string()));
  }
  if (buffer_xid_ && *buffer_xid_ != xid) {
    if (Status s = flush(); !s.ok()) return s;
  }
  Open& txn = it->second;
  if (subxid != xid) txn.subxact_offsets.try_emplace(subxid, txn.size);
  buffer_xid_ = xid;
  if (buffer_.capacity() == 0) buffer_.reserve(buffer_bytes_);
  put_u32_be(buffer_, static_cast<std::uint32_t>(payload.size()));
  put_u64_be(buffer_, at.value);
  buffer_.append(payload);
  const std::uint64_t added = kHeaderBytes + payload.size();
  txn.size += added;
  bytes_ += added;
  if (buffer_.size() >= buffer_bytes_) return flush();
  return {};
}

Status PgStreamSpool::truncate(std::uint32_t xid, Open& txn, std::uint64_t offset) {
  if (buffer_xid_ == xid) {
    if (Status s = flush(); !s.ok()) return s;
  }
  const auto file = file_of(xid);
  if (::truncate(file.c_str(), static_cast<off_t>(offset)) != 0) {
    return io_error(xid, fmt::format("truncating to {} bytes", offset), errno);
  }
  bytes_ -= txn.size - offset;
  txn.size = offset;
  txn.on_disk = offset;
  for (auto it = txn.subxact_offsets.begin(); it != txn.subxact_offsets.end();) {
    it = it->second >= offset ? txn.subxact_offsets.erase(it) : std::next(it);
  }
  return {};
}

Status PgStreamSpool::abort(std::uint32_t xid, std::uint32_t subxid) {
  auto it = open_.find(xid);
  if (it == open_.end()) return {};  // nothing of it was spooled here
  if (subxid == xid) {
    if (buffer_xid_ == xid) {
      buffer_.clear();
      buffer_xid_.reset();
    }
    return finish(xid);
  }
  auto sub = it->second.subxact_offsets.find(subxid);
  if (sub == it->second.subxact_offsets.end()) return {};  // it carried no change
  return truncate(xid, it->second, sub->second);
}

Result<std::unique_ptr<SpoolReader>> PgStreamSpool::replay(std::uint32_t xid) {
  auto it = open_.find(xid);
  if (it == open_.end()) {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("Stream Commit of transaction {}, which this session never "
                                  "saw start", xid));
  }
  if (it->second.size == 0) return std::unique_ptr<SpoolReader>();
  if (buffer_xid_ == xid) {
    if (Status s = flush(); !s.ok()) return std::move(s).error();
  }
  const auto file = file_of(xid);
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(xid, "opening for replay", errno);
  return std::make_unique<SpoolReader>(file, xid, fd, buffer_bytes_);
}

Status PgStreamSpool::finish(std::uint32_t xid) {
  auto it = open_.find(xid);
  if (it == open_.end()) return {};
  if (buffer_xid_ == xid) {
    buffer_.clear();
    buffer_xid_.reset();
  }
  bytes_ -= it->second.size;
  open_.erase(it);
  if (::unlink(file_of(xid).c_str()) != 0 && errno != ENOENT) {
    return io_error(xid, "removing", errno);
  }
  return {};
}

}  // namespace tideway::replication::postgres
