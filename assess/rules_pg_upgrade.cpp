// PostgreSQL major version upgrades: what the newer major removed or changed, and whether
// the target offers the extensions the source uses.
#include <set>

#include <fmt/format.h>

#include "assess/rules.h"

namespace tideway::assess {
namespace {

const std::set<std::string> kRemovedIn12 = {"abstime", "reltime", "tinterval"};
// reg* types store OIDs, which differ on every other server.
const std::set<std::string> kRegTypes = {"regproc", "regprocedure", "regoper", "regoperator",
                                         "regclass", "regtype", "regconfig", "regdictionary",
                                         "regnamespace", "regrole", "regcollation"};

std::string name_of(const std::string& extension) {  // "postgis 3.3" -> "postgis"
  return extension.substr(0, extension.find(' '));
}

}  // namespace

void apply_pg_upgrade_rules(Assessment& a) {
  const int from = a.source.major;
  const int to = a.target.kind.major;
  for (const TableInfo* t : a.inventory.tables()) {
    if (t->with_oids && to >= 12) {
      a.add("pg_upgrade.with_oids", Severity::kBlocker, t->qualified(),
            "table is WITH OIDS, which PostgreSQL 12 removed", "ALTER TABLE ... SET WITHOUT OIDS");
    }
    for (const auto& c : t->columns) {
      const std::string object = t->qualified() + "." + c.name;
      std::string base = c.data_type;
      if (base.size() > 2 && base.compare(base.size() - 2, 2, "[]") == 0) base.resize(base.size() - 2);
      if (kRemovedIn12.count(base) != 0 && to >= 12) {
        a.add("pg_upgrade.removed_type", Severity::kBlocker, object,
              "type " + base + " was removed in PostgreSQL 12",
              "convert the column to timestamptz / interval before the migration");
      }
      if (kRegTypes.count(base) != 0) {
        a.add("pg_upgrade.reg_type", Severity::kWarning, object,
              "type " + base + " stores object OIDs, which differ on the target: copied "
              "values would point at other objects or at nothing",
              "store the object's name (text) instead, and cast where it is used");
      }
    }
  }
  if (a.target.reachable) {
    std::set<std::string> available(a.target.available_extensions.begin(),
                                    a.target.available_extensions.end());
    for (const auto& e : a.inventory.extensions) {
      if (available.count(name_of(e)) == 0) {
        a.add("pg_upgrade.extension_unavailable", Severity::kBlocker, "extension " + e,
              "the target server does not offer this extension: objects that use it cannot be "
              "created", "install the extension's package on the target (for PostgreSQL " +
                             std::to_string(to) + ")");
      }
    }
  } else {
    for (const auto& e : a.inventory.extensions) {
      if (name_of(e) == "plpgsql") continue;
      a.add("pg_upgrade.extension_check", Severity::kInfo, "extension " + e,
            "the target was not connected, so whether it offers this extension is unknown",
            "pass --target URL, or check pg_available_extensions on the target");
    }
  }
  if (from < 15 && to >= 15) {
    a.add("pg_upgrade.public_schema_create", Severity::kInfo, "schema public",
          "PostgreSQL 15 no longer lets every user CREATE in schema public",
          "GRANT CREATE ON SCHEMA public TO the roles that create objects there");
  }
  if (from < 14 && to >= 14) {
    a.add("pg_upgrade.password_encryption", Severity::kInfo, "server",
          "password_encryption defaults to scram-sha-256 from PostgreSQL 14; md5 hashes copied "
          "with roles keep working only while md5 is allowed in pg_hba.conf",
          "reset passwords on the target, or keep md5 in pg_hba.conf for now");
  }
  if (from < 14 && to >= 14) {
    a.add("pg_upgrade.postfix_operators", Severity::kInfo, "server",
          "PostgreSQL 14 removed postfix operators (such as the factorial !)",
          "replace uses of postfix operators with function calls (factorial())");
  }
}

}  // namespace tideway::assess
