#include "replication/postgres/pg_source_checks.h"

#include <set>

#include <fmt/format.h>

namespace tideway::replication::postgres {

std::vector<std::string> tables_without_identity(const std::vector<PgTable>& tables) {
  std::vector<std::string> out;
  for (const auto& t : tables) {
    if (t.replica_identity == 'n' || (t.replica_identity == 'd' && t.primary_key.empty())) {
      out.push_back(t.sql_name.empty() ? t.qualified() : t.sql_name);
    }
  }
  return out;
}

Result<std::vector<std::string>> check_source(PgConnection& source,
                                              const std::vector<PgTable>& tables,
                                              const SourceCheckOptions& options) {
  std::vector<std::string> problems;
  auto settings = source.exec(R"(
    SELECT current_setting('wal_level'),
           current_setting('max_replication_slots')::int,
           (SELECT count(*) FROM pg_replication_slots)::int,
           current_setting('max_wal_senders')::int,
           (SELECT count(*) FROM pg_stat_replication)::int,
           r.rolsuper OR r.rolreplication
             OR pg_has_role(current_user, 'rds_replication', 'MEMBER'),
           current_user
      FROM pg_roles r WHERE r.rolname = current_user)");
  if (!settings.ok()) {
    // rds_replication exists only on RDS/Aurora; retry without it elsewhere.
    settings = source.exec(R"(
      SELECT current_setting('wal_level'),
             current_setting('max_replication_slots')::int,
             (SELECT count(*) FROM pg_replication_slots)::int,
             current_setting('max_wal_senders')::int,
             (SELECT count(*) FROM pg_stat_replication)::int,
             r.rolsuper OR r.rolreplication, current_user
        FROM pg_roles r WHERE r.rolname = current_user)");
  }
  if (!settings.ok()) return std::move(settings).error().with_context("checking source settings");
  const std::string user = settings->text(0, 6);
  if (options.needs_stream) {
    if (settings->get(0, 0) != "logical") {
      problems.push_back(fmt::format(
          "wal_level is '{}'; set wal_level = logical (Aurora/RDS: rds.logical_replication = 1 "
          "in the parameter group) and restart the server", settings->get(0, 0)));
    }
    const auto slots_free = settings->as_int(0, 1) - settings->as_int(0, 2);
    if (!options.slot_is_ours && slots_free < 1) {
      problems.push_back(fmt::format(
          "no free replication slot ({} of max_replication_slots = {} in use); raise "
          "max_replication_slots or drop an unused slot", settings->as_int(0, 2),
          settings->as_int(0, 1)));
    }
    if (settings->as_int(0, 3) - settings->as_int(0, 4) < 1) {
      problems.push_back(fmt::format(
          "no free WAL sender ({} of max_wal_senders = {} in use); raise max_wal_senders",
          settings->as_int(0, 4), settings->as_int(0, 3)));
    }
    if (!settings->as_bool(0, 5)) {
      problems.push_back(fmt::format(
          "role {} may not replicate; run ALTER ROLE {} REPLICATION (Aurora/RDS: GRANT "
          "rds_replication TO {})", user, user, user));
    }
    auto missing_identity = tables_without_identity(tables);
    for (const auto& t : missing_identity) {
      problems.push_back(fmt::format(
          "table {} has no primary key and no replica identity, so its updates and deletes "
          "cannot be replicated; add a primary key or run ALTER TABLE {} REPLICA IDENTITY FULL",
          t, t));
    }
  }

  for (const auto& t : tables) {
    const std::string& shown = t.sql_name.empty() ? t.qualified() : t.sql_name;
    auto priv = source.exec_params("SELECT has_table_privilege($1::oid, 'SELECT')",
                                   {std::to_string(t.oid)});
    if (!priv.ok()) return std::move(priv).error().with_context("checking privileges");
    if (!priv->as_bool(0, 0)) {
      problems.push_back(fmt::format("role {} cannot read table {}; run GRANT SELECT ON {} TO {}",
                                     user, shown, shown, user));
    }
  }
  if (!options.needs_stream) return problems;

  auto slot = source.exec_params(
      "SELECT plugin, active, database FROM pg_replication_slots WHERE slot_name = $1",
      {options.slot_name});
  if (!slot.ok()) return std::move(slot).error().with_context("checking replication slots");
  if (slot->rows() > 0 && !options.slot_is_ours) {
    problems.push_back(fmt::format(
        "replication slot {} already exists and this task has no checkpoint for it (another "
        "task, or a run whose state was deleted); choose another postgresql.slot_name, or drop "
        "it with SELECT pg_drop_replication_slot('{}') if nothing uses it",
        options.slot_name, options.slot_name));
  } else if (slot->rows() > 0 && slot->get(0, 0) != "pgoutput") {
    problems.push_back(fmt::format("replication slot {} uses plugin {}, not pgoutput",
                                   options.slot_name, slot->get(0, 0)));
  }

  auto publication = source.exec_params(
      "SELECT schemaname || '.' || tablename FROM pg_publication_tables "
      "WHERE pubname = $1",
      {options.publication_name});
  if (!publication.ok()) return std::move(publication).error().with_context("checking publication");
  auto exists = source.exec_params("SELECT 1 FROM pg_publication WHERE pubname = $1",
                                   {options.publication_name});
  if (!exists.ok()) return std::move(exists).error().with_context("checking publication");
  std::set<std::string> published;
  for (int r = 0; r < publication->rows(); ++r) published.insert(publication->text(r, 0));
  std::vector<std::string> missing;
  std::string table_list;
  for (const auto& t : tables) {
    const std::string shown = t.sql_name.empty() ? t.qualified() : t.sql_name;
    if (!table_list.empty()) table_list += ", ";
    table_list += shown;
    if (published.count(t.qualified()) == 0) missing.push_back(shown);
  }
  if (exists->rows() == 0) {
    problems.push_back(fmt::format(
        "publication {} does not exist; create it as the tables' owner: CREATE PUBLICATION {} "
        "FOR TABLE {}", options.publication_name, options.publication_name, table_list));
  } else if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    problems.push_back(fmt::format(
        "publication {} lacks tables the task selects: {}; run ALTER PUBLICATION {} ADD TABLE {}",
        options.publication_name, list, options.publication_name, list));
  }
  return problems;
}

}  // namespace tideway::replication::postgres
