#pragma once
// Rule sets: each looks at a collected Assessment (source facts, inventory, activity) and
// adds findings for one kind of move. apply_rules() picks the sets that fit the source
// and target; each set lives in its own file (rules_*.cpp) so a reader finds every rule
// about, say, MySQL -> PostgreSQL in one place. Finding ids are stable: operators
// acknowledge blockers by id, and REPORT_SCHEMA.md lists them.

#include <string>
#include <string_view>

#include "assess/assessment.h"

namespace tideway::assess {

/// Every rule set that applies to a.source -> a.target.kind, then the full-load estimate.
void apply_rules(Assessment& a);

void apply_common_rules(Assessment& a);        // any pair: version support, estimate, retention
void apply_mysql_upgrade_rules(Assessment& a); // MySQL 5.7 / MariaDB -> MySQL 8.x
void apply_pg_upgrade_rules(Assessment& a);    // PostgreSQL major version upgrades
void apply_mysql_to_pg_rules(Assessment& a);   // MySQL/MariaDB -> PostgreSQL
void apply_pg_to_mysql_rules(Assessment& a);   // PostgreSQL -> MySQL/MariaDB
void apply_aurora_rules(Assessment& a);        // Aurora MySQL / Aurora PostgreSQL targets

/// Whether `word` occurs in `text` as a whole word, ignoring case (SQL keywords and
/// function names in view, routine and trigger bodies).
bool has_word(std::string_view text, std::string_view word);

/// Whether `text` calls function `name`: the word followed by "(" (spaces allowed).
bool has_call(std::string_view text, std::string_view name);

bool is_mysql_family(replication::Engine engine);

}  // namespace tideway::assess
