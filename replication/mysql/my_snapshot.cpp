#include "replication/mysql/my_snapshot.h"

#include <fmt/format.h>

#include "common/log.h"

namespace tideway::replication::mysql {
namespace {

const log::Logger kLog{"my.snapshot"};

}  // namespace

Result<std::optional<BinlogPosition>> start_consistent_snapshot(MyConnection& conn,
                                                                bool need_position) {
  // WITH CONSISTENT SNAPSHOT is silently ignored below REPEATABLE READ, so the level is
  // set here rather than trusted from the server's default.
  if (Status s = conn.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"); !s.ok()) {
    return std::move(s).error();
  }
  if (Status s = conn.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); !s.ok()) {
    return std::move(s).error().with_context("starting a consistent snapshot");
  }
  if (!need_position) return std::optional<BinlogPosition>();

  auto status = conn.query("SHOW SESSION STATUS LIKE 'binlog_snapshot_%'");
  if (!status.ok()) return std::move(status).error().with_context("reading the snapshot position");
  std::string file, offset;
  for (const auto& row : status->rows) {
    if (row.size() < 2 || !row[0] || !row[1]) continue;
    if (*row[0] == "Binlog_snapshot_file") file = *row[1];
    if (*row[0] == "Binlog_snapshot_position") offset = *row[1];
  }
  if (status->empty()) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: server {} reports no binlog_snapshot_file/position, so a consistent "
                    "snapshot cannot be tied to a binlog position without locks; use "
                    "mysql.snapshot: watermark (or auto) for MySQL 8 / Aurora MySQL",
                    conn.endpoint().describe(), conn.server_version()));
  }
  if (file.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{}: the snapshot has no binlog position: the binary log is "
                                  "off; start the server with log_bin",
                                  conn.endpoint().describe()));
  }
  auto parsed = BinlogPosition::parse(file + ":" + offset);
  if (!parsed) {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("{}: unexpected snapshot position file '{}' offset '{}'",
                                  conn.endpoint().describe(), file, offset));
  }
  auto gtid = conn.query(
      fmt::format("SELECT BINLOG_GTID_POS({}, {})", conn.quote(parsed->file), parsed->offset));
  if (!gtid.ok()) return std::move(gtid).error().with_context("reading the snapshot's GTID");
  parsed->gtid = gtid->text(0, 0);
  if (!parsed->gtid.empty() && !BinlogPosition::parse(parsed->to_string())) {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("{}: BINLOG_GTID_POS returned an unexpected GTID list '{}'",
                                  conn.endpoint().describe(), statement_head(parsed->gtid)));
  }
  return std::optional<BinlogPosition>(std::move(*parsed));
}

Result<SnapshotSession> open_snapshot_session(const Endpoint& source, bool need_position) {
  auto conn = MyConnection::connect(source, {SessionKind::kSourceRaw, true, false, 10});
  if (!conn.ok()) return std::move(conn).error();
  auto position = start_consistent_snapshot(**conn, need_position);
  if (!position.ok()) return std::move(position).error();
  return SnapshotSession{std::move(conn).value(), std::move(position).value()};
}

Result<std::vector<SnapshotSession>> open_snapshot_sessions(const Endpoint& source, int count,
                                                            bool need_position,
                                                            int align_attempts) {
  std::vector<SnapshotSession> sessions;
  for (int i = 0; i < count; ++i) {
    auto conn = MyConnection::connect(source, {SessionKind::kSourceRaw, true, false, 10});
    if (!conn.ok()) return std::move(conn).error();
    sessions.push_back({std::move(conn).value(), std::nullopt});
  }
  const int attempts = need_position ? std::max(1, align_attempts) : 1;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    // Back to back, so that the snapshots are as close together as the round trips allow.
    for (auto& s : sessions) {
      auto position = start_consistent_snapshot(*s.connection, need_position);
      if (!position.ok()) return std::move(position).error();
      s.position = std::move(position).value();
    }
    bool aligned = true;
    for (const auto& s : sessions) aligned = aligned && s.position == sessions.front().position;
    if (aligned) break;
    if (attempt == attempts) {
      // Not an error: the stream's handoff windows converge the chunks. But a unique
      // secondary index, added after the load, may then meet a value that two chunks
      // read at different positions both hold, so say so where an operator looks.
      kLog.warn(
          "worker snapshots are at different binlog positions; each chunk records its "
          "own and the stream converges them, but a unique secondary index added after "
          "the load can meet a value two such chunks both hold (the task then stops with "
          "a duplicate entry; a new load fixes it)",
          {{"sessions", sessions.size()}, {"earliest", earliest_position(sessions)->to_string()}});
      break;
    }
    for (auto& s : sessions) {
      if (Status r = s.connection->execute("ROLLBACK"); !r.ok()) return std::move(r).error();
    }
  }
  return sessions;
}

std::optional<BinlogPosition> earliest_position(const std::vector<SnapshotSession>& sessions) {
  std::optional<BinlogPosition> earliest;
  for (const auto& s : sessions) {
    if (s.position && (!earliest || *s.position < *earliest)) earliest = s.position;
  }
  return earliest;
}

}  // namespace tideway::replication::mysql
