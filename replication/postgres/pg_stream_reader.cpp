#include "replication/postgres/pg_stream_reader.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>

#include <fmt/format.h>

#include "common/byte_reader.h"

namespace tideway::replication::postgres {
namespace {

// PostgreSQL timestamps count microseconds from 2000-01-01.
constexpr std::int64_t kPgEpochOffsetUs = 946'684'800'000'000;

std::int64_t now_pg_us() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::microseconds>(now).count() - kPgEpochOffsetUs;
}

void put_u64_be(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

}  // namespace

Result<std::unique_ptr<PgStreamReader>> PgStreamReader::start(const Endpoint& source,
                                                              const std::string& slot,
                                                              const std::string& publication,
                                                              Lsn start,
                                                              const StreamReaderOptions& opts) {
  PgConnectOptions options;
  options.replication = true;
  options.application_name = "tideway-stream";
  auto conn = PgConnection::connect(source, options);
  if (!conn.ok()) return std::move(conn).error();
  const int version = (*conn)->server_version();
  constexpr int kStreamingSince = 140000;
  if (opts.stream_in_progress == StreamInProgress::kOn && version < kStreamingSince) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("postgresql.stream_in_progress is on, but the source {} runs "
                                  "PostgreSQL {}.{} (server_version_num {}); streaming of "
                                  "in-progress transactions needs PostgreSQL 14 or later: set "
                                  "stream_in_progress to auto or off",
                                  source.describe(), version / 10000, version % 10000, version));
  }
  const bool streaming =
      opts.stream_in_progress != StreamInProgress::kOff && version >= kStreamingSince;
  if (!opts.logical_decoding_work_mem.empty()) {
    // A user-settable setting of the walsender that decodes for us: past it a transaction
    // is streamed (or spilled by the server when streaming is off).
    auto set = (*conn)->exec("SET logical_decoding_work_mem = " +
                             (*conn)->quote_literal(opts.logical_decoding_work_mem));
    if (!set.ok()) {
      return std::move(set).error().with_context(
          "setting postgresql.logical_decoding_work_mem = " + opts.logical_decoding_work_mem);
    }
  }
  const std::string sql = fmt::format(
      "START_REPLICATION SLOT {} LOGICAL {} (proto_version '{}', publication_names {}, "
      "messages 'true'{})",
      (*conn)->quote_ident(slot), start.to_string(), streaming ? 2 : 1,
      (*conn)->quote_literal((*conn)->quote_ident(publication)),
      streaming ? ", streaming 'on'" : "");
  PgResult result(PQexec((*conn)->raw(), sql.c_str()));
  if (PQresultStatus(result.raw()) != PGRES_COPY_BOTH) {
    return (*conn)->error(fmt::format("cannot start streaming slot {} at {}", slot,
                                      start.to_string()),
                          result.raw());
  }
  return std::unique_ptr<PgStreamReader>(
      new PgStreamReader(std::move(conn).value(), streaming));
}

void LibpqFree::operator()(char* p) const { PQfreemem(p); }

Result<std::optional<ReplicationMessage>> PgStreamReader::parse(char* buffer, std::size_t n) {
  std::unique_ptr<char, LibpqFree> owned(buffer);
  const std::string_view bytes(buffer, n);
  ByteReader r(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  const char kind = static_cast<char>(r.u8());
  ReplicationMessage m;
  if (kind == 'w') {
    m.kind = ReplicationMessage::Kind::kData;
    m.wal_start = Lsn{r.u64_be()};
    m.wal_end = Lsn{r.u64_be()};
    m.send_time_us = static_cast<std::int64_t>(r.u64_be());
    auto rest = r.rest();
    m.payload = std::string_view(reinterpret_cast<const char*>(rest.data()), rest.size());
    m.buffer = std::move(owned);
  } else if (kind == 'k') {
    m.kind = ReplicationMessage::Kind::kKeepalive;
    m.wal_end = Lsn{r.u64_be()};
    m.send_time_us = static_cast<std::int64_t>(r.u64_be());
    m.reply_requested = r.u8() != 0;
  } else {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("replication stream: unknown CopyData message '{}' (0x{:02x})",
                                  kind, static_cast<unsigned char>(kind)));
  }
  if (!r.ok() || (kind == 'k' && !r.at_end())) {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("replication stream: truncated or oversized '{}' message of "
                                  "{} bytes", kind, bytes.size()));
  }
  return std::optional<ReplicationMessage>(std::move(m));
}

Result<std::optional<ReplicationMessage>> PgStreamReader::receive(
    std::chrono::milliseconds timeout) {
  pg_conn* c = conn_->raw();
  // Read the clock only once a wait is needed: most calls find a message buffered.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  for (;;) {
    char* buffer = nullptr;
    const int n = PQgetCopyData(c, &buffer, 1);
    if (n > 0) {
      return parse(buffer, static_cast<std::size_t>(n));
    }
    if (n == -1) {
      PgResult end(PQgetResult(c));
      return conn_->error("the server ended the replication stream", end.raw());
    }
    if (n == -2) return conn_->error("replication stream read failed");
    // n == 0: nothing buffered; wait for the socket. With no time left the socket is
    // still looked at once, so a zero timeout means "whatever has arrived", not "nothing".
    if (!deadline) deadline = std::chrono::steady_clock::now() + timeout;
    const auto left = std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(
               *deadline - std::chrono::steady_clock::now()).count());
    pollfd pfd{PQsocket(c), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0 && errno != EINTR) return conn_->error("waiting for the replication stream");
    if (ready > 0 && PQconsumeInput(c) == 0) return conn_->error("replication stream read failed");
    if (ready == 0 && left == 0) return std::optional<ReplicationMessage>();
  }
}

Status PgStreamReader::send_feedback(Lsn received, Lsn flushed, bool reply_requested) {
  std::string msg;
  msg.reserve(34);
  msg.push_back('r');
  put_u64_be(msg, received.value);
  put_u64_be(msg, flushed.value);
  put_u64_be(msg, flushed.value);
  put_u64_be(msg, static_cast<std::uint64_t>(now_pg_us()));
  msg.push_back(reply_requested ? 1 : 0);
  if (PQputCopyData(conn_->raw(), msg.data(), static_cast<int>(msg.size())) != 1 ||
      PQflush(conn_->raw()) != 0) {
    return conn_->error("sending standby status update");
  }
  return {};
}

}  // namespace tideway::replication::postgres
