#pragma once
// A fresh database (same name on the sandbox's MariaDB source and target) for one
// integration test, set up as an operator would: the admin creates it on the source and
// gives the migration user what schema copying needs on it (SHOW VIEW, TRIGGER; SELECT is
// global in the sandbox); on the target tideway creates it. Both are dropped, with the
// task's rows in the target's `_tideway` tables, when the object goes away.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "replication/core/task_spec.h"
#include "replication/mysql/my_connection.h"

namespace tideway::test {

class MyTestDb {
 public:
  explicit MyTestDb(const std::string& prefix);
  ~MyTestDb();
  MyTestDb(const MyTestDb&) = delete;
  MyTestDb& operator=(const MyTestDb&) = delete;

  const std::string& name() const { return name_; }
  /// The task id every task_spec() of this database starts with.
  const std::string& task_prefix() const { return task_prefix_; }

  /// A task spec for this pair as the migration user: tables "<name>.*", mode full_load.
  replication::TaskSpec task_spec(const std::string& suffix = "") const;

  /// Sandbox endpoints; `admin` selects the admin account.
  static replication::Endpoint endpoint(bool source, const std::string& database, bool admin);

  /// Admin connections (strict sql_mode, UTC), default database this one; SQL may hold
  /// several statements. Throw std::runtime_error with the server's message on failure.
  replication::mysql::MyConnection& source_admin() { return *source_admin_; }
  replication::mysql::MyConnection& target_admin() { return *target_admin_; }
  void source_sql(const std::string& sql);
  void target_sql(const std::string& sql);
  /// The first column of the first row; "NULL" for NULL or no row.
  std::string source_value(const std::string& sql);
  std::string target_value(const std::string& sql);

  /// Every row of `table` on one side, each rendered without ambiguity (bytes as hex,
  /// numbers and times as the server prints them, floats widened to DOUBLE, NULL as
  /// NULL), sorted: equal vectors mean equal tables, value for value.
  std::vector<std::string> source_rows(const std::string& table);
  std::vector<std::string> target_rows(const std::string& table);

 private:
  std::vector<std::string> rows(replication::mysql::MyConnection& conn, const std::string& table);

  std::string name_;
  std::string task_prefix_;
  std::unique_ptr<replication::mysql::MyConnection> source_admin_;
  std::unique_ptr<replication::mysql::MyConnection> target_admin_;
};

/// Runs SQL / reads one value on any connection; throws with the server's message.
void run_sql(replication::mysql::MyConnection& conn, const std::string& sql);
std::string value_of(replication::mysql::MyConnection& conn, const std::string& sql);

/// An admin connection to one sandbox server, without a default database.
std::unique_ptr<replication::mysql::MyConnection> admin_connection(bool source);

/// Sets a global variable on the sandbox target for one test and restores it after.
class ScopedTargetGlobal {
 public:
  ScopedTargetGlobal(std::string name, const std::string& value);
  ~ScopedTargetGlobal();
  ScopedTargetGlobal(const ScopedTargetGlobal&) = delete;
  ScopedTargetGlobal& operator=(const ScopedTargetGlobal&) = delete;

 private:
  std::string name_, before_;
};

/// A user on the sandbox source with only the grants given (statements with {user} for
/// the account), its password in a file; dropped on destruction.
class SourceUser {
 public:
  SourceUser(const std::string& name, const std::vector<std::string>& grants);
  ~SourceUser();
  SourceUser(const SourceUser&) = delete;
  SourceUser& operator=(const SourceUser&) = delete;

  const std::string& name() const { return name_; }
  const std::string& account() const { return account_; }  // 'name'@'host'
  const std::string& password_file() const { return password_file_; }
  void grant(const std::string& statement);  // "GRANT ... TO {user}"

 private:
  std::string name_, account_, password_file_;
};

}  // namespace tideway::test
