#pragma once
// Local disk spool for streamed in-progress transactions (pgoutput protocol 2). The
// server sends a large transaction in blocks while it still runs; it may yet abort, and
// several can be open at once, interleaved with ordinary transactions. So each one is
// written to its own file until its Stream Commit, then replayed in order; nothing of it
// is held in memory beyond one bounded write buffer and one bounded read buffer (plus a
// single message when one message is larger than the buffer, as on the wire).
//
// Record layout (our own bytes, still read with bounds checks): u32 BE payload length,
// u64 BE WAL start LSN of the message, then the pgoutput message as received (type byte,
// xid, body).
//
// Subtransactions: the xid a change carries may be a subtransaction's. The file offset
// where each subxid first appeared is kept, so a Stream Abort of a subtransaction
// truncates the file there, dropping that subtransaction and every later one (they are
// nested in it or were rolled back with it). Relation and Type messages in the dropped
// part go too: after a Stream Abort the server forgets which relations it described to
// us in that transaction and describes them again before their next change.
//
// Spool files live only for one session: on a restart the server sends every streamed
// transaction that is not confirmed again from its start, so the directory is emptied
// when a session starts and when it ends.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "replication/core/lsn.h"

namespace tideway::replication::postgres {

struct SpoolRecord {
  Lsn at;                    // where the message's WAL record starts
  std::string_view payload;  // valid until the next call to SpoolReader::next
};

/// Reads one spooled transaction back in the order it was written.
class SpoolReader {
 public:
  SpoolReader(std::filesystem::path file, std::uint32_t xid, int fd, std::size_t buffer_bytes);
  ~SpoolReader();
  SpoolReader(const SpoolReader&) = delete;
  SpoolReader& operator=(const SpoolReader&) = delete;

  /// The next record, or nullopt at the end of the file.
  Result<std::optional<SpoolRecord>> next();
  /// Bytes the read buffer holds now (for tests of the memory bound).
  std::size_t buffer_capacity() const { return buffer_.capacity(); }

 private:
  Error io_error(const std::string& what, int err) const;
  Error corrupt(const std::string& what) const;
  /// Makes at least `n` unread bytes available; false at end of file.
  Result<bool> fill(std::size_t n);

  std::filesystem::path file_;
  std::uint32_t xid_;
  int fd_;
  std::size_t buffer_bytes_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // unread bytes are buffer_[begin_, end_)
  std::size_t end_ = 0;
  std::uint64_t offset_ = 0;  // file offset of buffer_[begin_]
};

class PgStreamSpool {
 public:
  /// Spool files go into `dir`; `buffer_bytes` bounds the write buffer (shared by all
  /// open transactions) and each reader's buffer.
  explicit PgStreamSpool(std::filesystem::path dir, std::size_t buffer_bytes = 1 << 20);
  ~PgStreamSpool();
  PgStreamSpool(const PgStreamSpool&) = delete;
  PgStreamSpool& operator=(const PgStreamSpool&) = delete;

  /// Removes whatever an earlier session (or a killed process) left and creates the
  /// directory empty.
  Status reset();
  /// Removes the directory and forgets every open transaction (session end).
  void remove_all();

  /// Stream Start: `first_segment` opens a new transaction, otherwise it must be open.
  Status start(std::uint32_t xid, bool first_segment);
  /// Appends one message of the open transaction `xid`; `subxid` is the xid the message
  /// carries (== xid for the top-level transaction).
  Status append(std::uint32_t xid, std::uint32_t subxid, Lsn at, std::string_view payload);
  /// Stream Abort: subxid == xid drops the transaction, otherwise its subtransaction
  /// subxid and every later one (nothing when subxid never carried a change).
  Status abort(std::uint32_t xid, std::uint32_t subxid);
  /// Stream Commit: a reader over everything spooled for xid (written out first), or
  /// nullptr when it spooled nothing. Call finish(xid) once replayed.
  Result<std::unique_ptr<SpoolReader>> replay(std::uint32_t xid);
  /// Deletes xid's file after its replay.
  Status finish(std::uint32_t xid);

  bool is_open(std::uint32_t xid) const { return open_.count(xid) != 0; }
  std::size_t open_transactions() const { return open_.size(); }
  /// Bytes in spool files (and the write buffer) now.
  std::uint64_t bytes() const { return bytes_; }
  std::filesystem::path file_of(std::uint32_t xid) const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  struct Open {
    std::uint64_t size = 0;  // logical size: on disk plus what the buffer holds for it
    std::uint64_t on_disk = 0;
    /// File offset where each subtransaction's first record starts.
    std::map<std::uint32_t, std::uint64_t> subxact_offsets;
  };
  /// Writes the buffer to the file of the transaction it belongs to.
  Status flush();
  Error io_error(std::uint32_t xid, const std::string& what, int err) const;
  Status truncate(std::uint32_t xid, Open& txn, std::uint64_t offset);

  std::filesystem::path dir_;
  std::size_t buffer_bytes_;
  std::map<std::uint32_t, Open> open_;
  std::string buffer_;  // records of buffer_xid_ not yet written
  std::optional<std::uint32_t> buffer_xid_;
  std::uint64_t bytes_ = 0;
};

}  // namespace tideway::replication::postgres
