#include "replication/mysql/my_chunk_copier.h"

#include <fmt/format.h>

#include "common/failpoint.h"
#include "replication/mysql/my_sql_literal.h"

namespace tideway::replication::mysql {
namespace {

void rollback(MyConnection& target) { target.execute("ROLLBACK").ignore_error(); }

// Strict mode turns a value that does not fit into an error; what is left as a warning
// (a Note is harmless) would still mean the target holds something else than the source.
Status check_warnings(MyConnection& target, const std::string& where) {
  if (target.warning_count() == 0) return {};
  auto w = target.query("SHOW WARNINGS LIMIT 3");
  if (!w.ok()) return std::move(w).error();
  std::string list;
  for (std::size_t r = 0; r < w->size(); ++r) {
    if (w->text(r, 0) == "Note") continue;
    list += fmt::format("{}{} {}: {}", list.empty() ? "" : "; ", w->text(r, 0), w->text(r, 1),
                        w->text(r, 2));
  }
  if (list.empty()) return {};
  return make_error(
      ErrorCode::kInvalidArgument,
      fmt::format("{}: the target changed values while storing them: {}", where, list));
}

}  // namespace

Status ensure_load_markers(MyConnection& target) {
  for (const char* sql : {"CREATE DATABASE IF NOT EXISTS `_tideway` CHARACTER SET utf8mb4",
                          "CREATE TABLE IF NOT EXISTS `_tideway`.`load_chunks` ("
                          " task_id VARCHAR(64) NOT NULL,"
                          " table_name VARCHAR(200) NOT NULL,"
                          " chunk INT NOT NULL,"
                          " `rows` BIGINT NOT NULL,"
                          " snapshot TEXT NULL,"
                          " loaded_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),"
                          " PRIMARY KEY (task_id, table_name, chunk)"
                          ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
                          "CREATE TABLE IF NOT EXISTS `_tideway`.`task_steps` ("
                          " task_id VARCHAR(64) NOT NULL,"
                          " step VARCHAR(32) NOT NULL,"
                          " item VARCHAR(32) NOT NULL,"
                          " done_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),"
                          " PRIMARY KEY (task_id, step, item)"
                          ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"}) {
    if (Status s = target.execute(sql); !s.ok()) {
      return std::move(s).error().with_context(
          "creating tideway's bookkeeping tables in database _tideway on the target (the "
          "migration user needs CREATE on _tideway.* or globally)");
    }
  }
  return {};
}

Result<std::optional<ChunkMarker>> find_chunk_marker(MyConnection& target,
                                                     const std::string& task_id,
                                                     const std::string& table, int chunk) {
  auto r = target.query(
      fmt::format("SELECT `rows`, COALESCE(snapshot, '') FROM `_tideway`.`load_chunks` "
                  "WHERE task_id = {} AND table_name = {} AND chunk = {}",
                  target.quote(task_id), target.quote(table), chunk));
  if (!r.ok()) return std::move(r).error();
  if (r->empty()) return std::optional<ChunkMarker>();
  return std::optional<ChunkMarker>(ChunkMarker{r->as_int(0, 0), r->text(0, 1)});
}

Result<std::int64_t> count_chunk_markers(MyConnection& target, const std::string& task_id) {
  auto r = target.query("SELECT COUNT(*) FROM `_tideway`.`load_chunks` WHERE task_id = " +
                        target.quote(task_id));
  if (!r.ok()) return std::move(r).error();
  return r->as_int(0, 0);
}

Result<ChunkCopyStats> copy_chunk(MyConnection& source, MyConnection& target, const MyTable& table,
                                  const Chunk& chunk, const ChunkCopyContext& context) {
  const std::string where =
      fmt::format("{} chunk {} ({})", table.qualified(), chunk.index, chunk.description);
  const auto columns = table.stored_columns();
  if (columns.empty()) {
    return make_error(ErrorCode::kInvalidArgument, where + ": the table has no stored column");
  }
  std::string select, names;
  for (const MyColumn* c : columns) {
    select += (select.empty() ? "" : ", ") + select_expression(*c);
    names += (names.empty() ? "" : ", ") + quote_identifier(c->name);
  }
  select = fmt::format("SELECT {} FROM {}{}", select, table.sql_name(),
                       chunk.where_sql.empty() ? "" : " WHERE " + chunk.where_sql);
  const std::string prefix = fmt::format("INSERT INTO {} ({}) VALUES ", table.sql_name(), names);

  auto packet = target.query("SELECT @@max_allowed_packet");
  if (!packet.ok()) return std::move(packet).error().with_context(where);
  const auto max_statement = static_cast<std::size_t>(packet->as_int(0, 0));

  if (Status s = target.execute("START TRANSACTION"); !s.ok()) {
    return std::move(s).error().with_context(where);
  }
  if (!table.transactional()) {
    // A non-transactional table (MyISAM, Aria) keeps the rows of an interrupted chunk
    // despite the rollback; only this chunk writes its key range, so clearing the range
    // first makes a retry or a resume exact.
    const std::string clear = "DELETE FROM " + table.sql_name() +
                              (chunk.where_sql.empty() ? "" : " WHERE " + chunk.where_sql);
    if (Status s = target.execute(clear); !s.ok()) {
      rollback(target);
      return std::move(s).error().with_context(where + ": clearing the chunk's range");
    }
  }
  auto opened = source.stream(select);
  if (!opened.ok()) {
    rollback(target);
    return std::move(opened).error().with_context(where);
  }
  std::optional<MyRowStream> rows(std::move(opened).value());
  // From here a failure leaves the source result half-read: cancel it rather than read
  // the rest of the chunk only to drop it.
  auto fail = [&](Error e) -> Result<ChunkCopyStats> {
    source.cancel();
    rollback(target);
    return std::move(e).with_context(where);
  };

  ChunkCopyStats stats;
  std::string statement;
  statement.reserve(context.batch_bytes + (context.batch_bytes >> 2));
  std::int64_t batch_rows = 0;
  bool first_flush = true;
  auto flush = [&]() -> Status {
    if (batch_rows == 0) return {};
    if (statement.size() > max_statement) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("an INSERT of {} bytes (a row this large) exceeds the "
                                    "target's max_allowed_packet ({} bytes); raise "
                                    "max_allowed_packet on the target",
                                    statement.size(), max_statement));
    }
    if (Status s = target.execute(statement); !s.ok()) return s;
    if (target.affected_rows() != static_cast<std::uint64_t>(batch_rows)) {
      return make_error(ErrorCode::kInternal,
                        fmt::format("the target stored {} of the {} rows of one INSERT",
                                    target.affected_rows(), batch_rows));
    }
    if (Status s = check_warnings(target, "INSERT"); !s.ok()) return s;
    statement.clear();
    if (statement.capacity() > 4 * context.batch_bytes) {
      // One huge row grew the buffer; do not keep its size for the rest of the chunk.
      std::string().swap(statement);
      statement.reserve(context.batch_bytes + (context.batch_bytes >> 2));
    }
    batch_rows = 0;
    if (first_flush) {
      first_flush = false;
      failpoint("load.mid_chunk");
    }
    return {};
  };

  for (;;) {
    auto more = rows->next();
    if (!more.ok()) return fail(std::move(more).error());
    if (!*more) break;
    if (context.stop != nullptr && context.stop->load(std::memory_order_relaxed)) {
      return fail(make_error(ErrorCode::kUnavailable, "stopped before the chunk finished"));
    }
    statement += batch_rows == 0 ? prefix : std::string(",");
    statement += '(';
    std::int64_t row_bytes = 0;
    const auto cells = rows->row();
    for (std::size_t i = 0; i < columns.size() && i < cells.size(); ++i) {
      if (i > 0) statement += ',';
      append_literal(statement, *columns[i], cells[i]);
      if (cells[i]) row_bytes += static_cast<std::int64_t>(cells[i]->size());
    }
    statement += ')';
    ++batch_rows;
    ++stats.rows;
    stats.bytes += row_bytes;
    if (context.live_bytes != nullptr) {
      context.live_bytes->fetch_add(row_bytes, std::memory_order_relaxed);
    }
    if (statement.size() >= context.batch_bytes) {
      if (Status s = flush(); !s.ok()) return fail(std::move(s).error());
    }
  }
  rows.reset();  // the source has sent every row: its connection is idle again
  if (Status s = flush(); !s.ok()) {
    rollback(target);
    return std::move(s).error().with_context(where);
  }
  stats.snapshot = context.snapshot;
  if (context.position_after_read) {
    auto read_at = context.position_after_read(source);
    if (!read_at.ok()) {
      rollback(target);
      return std::move(read_at).error().with_context(where);
    }
    stats.snapshot = std::move(read_at).value();
  }
  const std::string marker = fmt::format(
      "INSERT INTO `_tideway`.`load_chunks` (task_id, table_name, chunk, `rows`, snapshot) "
      "VALUES ({}, {}, {}, {}, {})",
      target.quote(context.task_id), target.quote(table.qualified()), chunk.index, stats.rows,
      stats.snapshot.empty() ? "NULL" : target.quote(stats.snapshot));
  if (Status s = target.execute(marker); !s.ok()) {
    rollback(target);
    return std::move(s).error().with_context(where);
  }
  if (Status s = target.execute("COMMIT"); !s.ok()) {
    return std::move(s).error().with_context(where + ": commit");
  }
  return stats;
}

}  // namespace tideway::replication::mysql
