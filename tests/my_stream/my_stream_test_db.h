#pragma once
// One change-stream test on the sandbox's MariaDB pair: a fresh database of the same
// name on the source and the target (created by the admin, with the tables the test
// makes on both sides, as an operator's own schema would be), a state store in a temp
// folder, and the stream running on its own thread as the migration user, from the
// source's binlog position at the time the stream was first started.
//
// Waiting is by marker rows: after the source commits marker N, every earlier source
// commit is on the target once marker N is (the stream applies in commit order). Every
// wait is bounded.

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "replication/core/task_spec.h"
#include "replication/mysql/my_connection.h"
#include "replication/mysql/my_stream.h"
#include "storage/state_store.h"
#include "tests/support/require_identical.h"

namespace tideway::test {

class MyStreamDb {
 public:
  /// Creates database `<prefix>_<pid>` on both servers (dropped in the destructor).
  explicit MyStreamDb(const std::string& prefix);
  ~MyStreamDb();
  MyStreamDb(const MyStreamDb&) = delete;
  MyStreamDb& operator=(const MyStreamDb&) = delete;

  const std::string& name() const { return name_; }
  replication::TaskSpec& spec() { return spec_; }
  storage::StateStore& store() { return *store_; }
  replication::mysql::MyStreamStatus& status() { return status_; }

  /// SQL as the admin, several statements allowed, default database this one. Throws
  /// std::runtime_error with the server's message.
  void source_sql(const std::string& sql);
  void target_sql(const std::string& sql);
  /// Both sides: for the tables the operator creates before the stream starts.
  void both_sql(const std::string& sql);
  /// First column of the first row; "NULL" for NULL or no row.
  std::string source_value(const std::string& sql);
  std::string target_value(const std::string& sql);
  /// Every row of `table`, each column rendered exactly (bytes as HEX, floats widened to
  /// DOUBLE, decimals and times as text), sorted.
  std::vector<std::string> source_rows(const std::string& table);
  std::vector<std::string> target_rows(const std::string& table);

  /// Starts the stream thread (the first start records the source's current position
  /// as the task's start, as a cdc-only task would).
  void start(replication::mysql::MyStreamOptions options = {});
  /// Stops the stream and returns how it ended.
  Status stop();
  bool ended() const { return ended_; }
  /// Waits (bounded) for the stream thread to end by itself; returns its Status.
  std::optional<Status> wait_end(int seconds);

  /// Commits marker N on the source and waits up to `seconds` for it on the target.
  bool sync(int seconds = 120);

  /// Reopens the state store, as a restarted process would.
  void reopen_store();

 private:
  std::vector<std::string> rows(replication::mysql::MyConnection& conn, const std::string& table);

  std::string name_;
  replication::TaskSpec spec_;
  std::unique_ptr<replication::mysql::MyConnection> source_admin_;
  std::unique_ptr<replication::mysql::MyConnection> target_admin_;
  std::filesystem::path dir_;
  std::unique_ptr<storage::StateStore> store_;
  replication::mysql::MyStreamStatus status_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> ended_{false};
  std::optional<Status> result_;
  std::thread thread_;
  int marker_ = 0;
};

/// A sandbox endpoint; `admin` selects the admin account.
replication::Endpoint sandbox_endpoint(bool source, const std::string& database, bool admin);

}  // namespace tideway::test
