#include "storage/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include <fmt/format.h>

namespace tideway::storage {
namespace {

constexpr const char* kLockFileName = "tideway.lock";

std::string read_holder_pid(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "unknown";
  std::string pid(buf, static_cast<std::size_t>(n));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

Result<std::unique_ptr<DataDirLock>> DataDirLock::acquire(const std::string& data_dir) {
  std::error_code ec;
  if (std::filesystem::exists(data_dir, ec) && !std::filesystem::is_directory(data_dir, ec)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("data_dir {} exists but is not a directory", data_dir));
  }
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return make_error(ErrorCode::kIo, fmt::format("cannot create data_dir {}: {}", data_dir,
                                                  ec.message()));
  }
  ::chmod(data_dir.c_str(), 0750);

  const std::string path = data_dir + "/" + kLockFileName;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    const int err = errno;
    return make_error(err == EACCES ? ErrorCode::kPermissionDenied : ErrorCode::kIo,
                      fmt::format("cannot open lock file {}: {}", path, std::strerror(err)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string holder = read_holder_pid(fd);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return make_error(ErrorCode::kLocked,
                        fmt::format("data_dir {} is in use by another tideway process (pid {}); "
                                    "stop that process or give this one another data_dir",
                                    data_dir, holder));
    }
    return make_error(ErrorCode::kIo,
                      fmt::format("cannot lock {}: {}", path, std::strerror(err)));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::close(fd);
    return make_error(ErrorCode::kIo,
                      fmt::format("cannot write lock file {}: {}", path, std::strerror(err)));
  }
  return std::unique_ptr<DataDirLock>(new DataDirLock(fd));
}

DataDirLock::~DataDirLock() {
  // Closing the descriptor releases the flock; the file stays, holding a stale pid that
  // read_holder_pid only ever reports while a live process holds the lock.
  ::close(fd_);
}

}  // namespace tideway::storage
