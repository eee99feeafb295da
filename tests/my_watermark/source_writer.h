#pragma once
// Writes to a MariaDB source on its own threads until stopped, the way an application
// keeps working during a migration: inserts, updates, deletes, and key updates that move
// rows from one chunk's key range to another's, single-statement and multi-statement
// transactions. Tables (created by create_tables, filled with `rows` rows):
//   accounts (id INT PRIMARY KEY, v BIGINT, note VARCHAR)  ids 1..rows, new ones just
//     above; a key update flips a row between id and -id, so rows travel between the
//     chunks of negative and positive keys without two writers colliding on a key;
//   pairs (a INT, b CHAR(1), v INT, PRIMARY KEY (a, b))   one row per a, b toggling
//     between 'k' and 'm' (a key update inside a composite key);
//   marker (n INT PRIMARY KEY)                            for waiting on the stream.
// Every statement is checked; the first failure ends the writers and is reported.

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/my_full_load/my_test_db.h"

namespace tideway::test {

class SourceWriter {
 public:
  static void create_tables(MyTestDb& db, int rows);

  SourceWriter(MyTestDb& db, int rows, int threads);
  ~SourceWriter();  // stops
  SourceWriter(const SourceWriter&) = delete;
  SourceWriter& operator=(const SourceWriter&) = delete;

  /// Transactions committed so far.
  long committed() const { return committed_; }
  /// Blocks until `more` further transactions committed (or a writer failed).
  void wait_for(long more);
  /// Stops the writers; returns the first error, if any.
  std::optional<std::string> stop();

 private:
  void run(int index);

  std::string database_;
  int rows_;
  int thread_count_;
  std::atomic<bool> running_{true};
  std::atomic<long> committed_{0};
  std::atomic<bool> failed_{false};
  std::optional<std::string> error_;
  std::vector<std::thread> threads_;
};

}  // namespace tideway::test
