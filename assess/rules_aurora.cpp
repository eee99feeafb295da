// Aurora targets: no SUPER (so DEFINER clauses and binlogged routines need care), settings
// that live in the cluster parameter group, and features Aurora does not offer.
#include <set>

#include <fmt/format.h>

#include "assess/rules.h"

namespace tideway::assess {
namespace {

void aurora_mysql(Assessment& a) {
  std::size_t code_objects = 0;
  for (const auto& s : a.inventory.schemas) {
    for (const auto& t : s.tables) {
      if (t.engine != "InnoDB") {
        a.add("aurora.engine", Severity::kBlocker, t.qualified(),
              "engine " + t.engine + ": Aurora MySQL stores tables in InnoDB only",
              "ALTER TABLE ... ENGINE=InnoDB before the migration (or let the target table be "
              "created as InnoDB)");
      }
    }
    for (const auto& o : s.code) {
      if (o.kind != "view") ++code_objects;
      if (!o.definer.empty()) {
        a.add("aurora.definer", Severity::kWarning, o.qualified(),
              o.kind + " has DEFINER=" + o.definer + ": on Aurora (no SUPER) only that account "
              "itself may create it with that definer",
              "create it as the migration user (DEFINER = CURRENT_USER) or make it SQL SECURITY "
              "INVOKER");
      }
    }
  }
  if (code_objects > 0) {
    a.add("aurora.parameter_group", Severity::kWarning, "cluster parameter group",
          fmt::format("{} routines/triggers/events: with binary logging on and no SUPER, "
                      "Aurora refuses to create them unless log_bin_trust_function_creators = 1",
                      code_objects),
          "set log_bin_trust_function_creators = 1 in the target's DB cluster parameter group");
  }
  std::vector<std::string> settings;
  for (const char* name : {"character_set_server", "collation_server", "lower_case_table_names",
                           "time_zone", "sql_mode"}) {
    const std::string v = a.source.setting(name);
    if (!v.empty()) settings.push_back(fmt::format("{} = {}", name, v));
  }
  if (!settings.empty()) {
    a.add("aurora.parameter_group_settings", Severity::kInfo, "cluster parameter group",
          "the source runs with " + fmt::format("{}", fmt::join(settings, "; ")) +
              "; Aurora sets these in the DB cluster parameter group, not with SET GLOBAL",
          "set the same values in the target's parameter group (lower_case_table_names only "
          "when the cluster is created)");
  }
}

void aurora_postgres(Assessment& a) {
  static const std::set<std::string> kUntrusted = {"c", "plpythonu", "plpython3u", "plperlu",
                                                   "pltclu"};
  for (const auto& s : a.inventory.schemas) {
    for (const auto& o : s.code) {
      if (kUntrusted.count(o.language) != 0) {
        a.add("aurora.untrusted_language", Severity::kBlocker, o.qualified(),
              o.kind + " in language " + o.language + ": Aurora PostgreSQL has no superuser to "
              "create functions in untrusted languages",
              "rewrite it in PL/pgSQL, SQL or a trusted language (plperl, plv8)");
      }
    }
  }
  for (const auto& e : a.inventory.extensions) {
    if (e.rfind("plpgsql ", 0) == 0) continue;
    a.add("aurora.extension", Severity::kInfo, "extension " + e,
          "Aurora PostgreSQL offers a fixed list of extensions per engine version",
          "check it is in SHOW rds.extensions on the target (or pass --target URL)");
  }
}

}  // namespace

void apply_aurora_rules(Assessment& a) {
  if (a.target.kind.engine == replication::Engine::kPostgresql) {
    aurora_postgres(a);
  } else {
    aurora_mysql(a);
  }
}

}  // namespace tideway::assess
