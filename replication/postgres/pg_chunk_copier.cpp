#include "replication/postgres/pg_chunk_copier.h"

#include <fmt/format.h>

#include "common/failpoint.h"

namespace tideway::replication::postgres {
namespace {

// OIDs below this are built into PostgreSQL (FirstNormalObjectId).
constexpr std::uint32_t kFirstUserOid = 16384;
constexpr std::uint32_t kRecordOid = 2249;

std::string column_list(const PgConnection& conn, const PgTable& table) {
  std::string out;
  for (const auto& name : table.stored_column_names()) {
    out += (out.empty() ? "" : ", ") + conn.quote_ident(name);
  }
  return out;
}

void rollback(PgConnection& target) { (void)target.exec("ROLLBACK").ok(); }

}  // namespace

Status ensure_load_markers(PgConnection& target) {
  auto r = target.exec(R"(
    CREATE SCHEMA IF NOT EXISTS _tideway;
    CREATE TABLE IF NOT EXISTS _tideway.load_chunks (
      task_id text NOT NULL,
      table_name text NOT NULL,
      chunk integer NOT NULL,
      rows bigint NOT NULL,
      snapshot_lsn pg_lsn,
      loaded_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (task_id, table_name, chunk)
    ))");
  if (!r.ok()) {
    return std::move(r).error().with_context(
        "creating the bookkeeping table _tideway.load_chunks on the target (the migration "
        "user needs CREATE on the target database)");
  }
  return {};
}

Result<std::optional<ChunkMarker>> find_chunk_marker(PgConnection& target,
                                                     const std::string& task_id,
                                                     const std::string& table, int chunk) {
  auto r = target.exec_params(
      "SELECT rows, coalesce(snapshot_lsn::text, '') FROM _tideway.load_chunks "
      "WHERE task_id = $1 AND table_name = $2 AND chunk = $3",
      {task_id, table, std::to_string(chunk)});
  if (!r.ok()) {
    return std::move(r).error().with_context(
        fmt::format("reading the marker of chunk {} of {}", chunk, table));
  }
  if (r->rows() == 0) return std::optional<ChunkMarker>{};
  return std::optional<ChunkMarker>{ChunkMarker{r->as_int(0, 0), r->text(0, 1)}};
}

bool can_copy_binary(const PgTable& table) {
  for (const auto& c : table.columns) {
    if (c.type_oid >= kFirstUserOid || c.type_oid == kRecordOid) return false;
  }
  return true;
}

Result<ChunkCopyStats> copy_chunk(PgConnection& source, PgConnection& target,
                                  const PgTable& table, const Chunk& chunk,
                                  const ChunkCopyContext& context) {
  const std::string where = fmt::format("{} chunk {} ({})", table.qualified(), chunk.index,
                                        chunk.description);
  const std::string columns = column_list(source, table);
  const std::string format = can_copy_binary(table) ? " WITH (FORMAT binary)" : "";
  const std::string name = qualified_name(source, table.schema, table.name);

  if (auto r = target.exec("BEGIN"); !r.ok()) return std::move(r).error().with_context(where);
  if (Status s = target.start_copy_in(fmt::format("COPY {} ({}) FROM STDIN{}", name, columns,
                                                  format));
      !s.ok()) {
    rollback(target);
    return std::move(s).error().with_context(where);
  }
  Status out = source.start_copy_out(fmt::format(
      "COPY (SELECT {} FROM ONLY {}{}) TO STDOUT{}", columns, name,
      chunk.where_sql.empty() ? "" : " WHERE " + chunk.where_sql, format));
  if (!out.ok()) {
    target.abort_copy_in("source COPY failed");
    rollback(target);
    return std::move(out).error().with_context(where);
  }

  ChunkCopyStats stats;
  for (;;) {
    auto data = source.read_copy_data();
    if (!data.ok()) {
      target.abort_copy_in("source COPY failed");
      rollback(target);
      return std::move(data).error().with_context(where);
    }
    if (!data->has_value()) break;
    if (context.stop != nullptr && context.stop->load(std::memory_order_relaxed)) {
      // Leave the source COPY to finish on its own connection: the caller closes it.
      target.abort_copy_in("tideway is stopping");
      rollback(target);
      return make_error(ErrorCode::kUnavailable, where + ": stopped before the chunk finished");
    }
    const std::string_view bytes = **data;
    if (Status s = target.put_copy_data(bytes); !s.ok()) {
      rollback(target);
      return std::move(s).error().with_context(where);
    }
    stats.bytes += static_cast<std::int64_t>(bytes.size());
    if (stats.bytes == static_cast<std::int64_t>(bytes.size())) failpoint("load.mid_chunk");
    if (context.live_bytes != nullptr) {
      context.live_bytes->fetch_add(static_cast<std::int64_t>(bytes.size()),
                                    std::memory_order_relaxed);
    }
  }
  auto rows = target.end_copy_in();
  if (!rows.ok()) {
    rollback(target);
    return std::move(rows).error().with_context(where);
  }
  stats.rows = *rows;
  auto marker = target.exec_params(
      "INSERT INTO _tideway.load_chunks (task_id, table_name, chunk, rows, snapshot_lsn) "
      "VALUES ($1, $2, $3, $4, $5)",
      {context.task_id, table.qualified(), std::to_string(chunk.index), std::to_string(stats.rows),
       context.snapshot_lsn.empty() ? std::nullopt : std::optional<std::string>(context.snapshot_lsn)});
  if (!marker.ok()) {
    rollback(target);
    return std::move(marker).error().with_context(where);
  }
  if (auto c = target.exec("COMMIT"); !c.ok()) return std::move(c).error().with_context(where);
  return stats;
}

}  // namespace tideway::replication::postgres
