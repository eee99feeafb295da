#pragma once
// A fresh pair of databases (same name on the sandbox's PostgreSQL source and target)
// for one integration test, set up as an operator would: the source database belongs to
// the admin and the migration user may read it; the target database belongs to the
// migration user. Dropped (with any slot it created) when the object goes away.

#include <memory>
#include <string>
#include <vector>

#include "replication/core/task_spec.h"
#include "replication/postgres/pg_connection.h"

namespace tideway::test {

class PgTestDb {
 public:
  explicit PgTestDb(const std::string& prefix);
  ~PgTestDb();

  const std::string& name() const { return name_; }
  /// Admin (superuser) connections for seeding and checking.
  replication::postgres::PgConnection& source_admin() { return *source_admin_; }
  replication::postgres::PgConnection& target_admin() { return *target_admin_; }
  /// Another admin connection to the source database, for transactions that must stay
  /// open while others commit.
  std::unique_ptr<replication::postgres::PgConnection> new_source_admin() const;
  /// A task spec for this pair, as the migration user; mode full_load by default.
  replication::TaskSpec task_spec(const std::string& id) const;

  /// Runs SQL on the source as admin; throws with the server's message on failure.
  void source_sql(const std::string& sql);
  void target_sql(const std::string& sql);
  /// One-row, one-column query result.
  std::string source_value(const std::string& sql);
  std::string target_value(const std::string& sql);

  /// Every row of `table` on one side as sorted text ("(1,abc)"), for exact comparison.
  std::vector<std::string> source_rows(const std::string& table);
  std::vector<std::string> target_rows(const std::string& table);

 private:
  std::string name_;
  std::unique_ptr<replication::postgres::PgConnection> source_admin_;
  std::unique_ptr<replication::postgres::PgConnection> target_admin_;
};

}  // namespace tideway::test
