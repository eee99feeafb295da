#include "tests/my_watermark/source_writer.h"

#include <chrono>
#include <mutex>
#include <random>
#include <stdexcept>

namespace tideway::test {
namespace {

std::mutex error_mutex;

}  // namespace

void SourceWriter::create_tables(MyTestDb& db, int rows) {
  const std::string n = std::to_string(rows);
  db.source_sql(
      "CREATE TABLE accounts (id INT PRIMARY KEY, v BIGINT NOT NULL, note VARCHAR(40)) "
      "ENGINE=InnoDB;"
      "INSERT INTO accounts SELECT seq, 0, CONCAT('row ', seq) FROM seq_1_to_" + n + ";"
      "CREATE TABLE pairs (a INT NOT NULL, b CHAR(1) NOT NULL, v INT NOT NULL, "
      "PRIMARY KEY (a, b)) ENGINE=InnoDB;"
      "INSERT INTO pairs SELECT seq, 'k', 0 FROM seq_1_to_" + std::to_string(rows / 4) + ";"
      "CREATE TABLE marker (n INT PRIMARY KEY) ENGINE=InnoDB");
}

SourceWriter::SourceWriter(MyTestDb& db, int rows, int threads)
    : database_(db.name()), rows_(rows), thread_count_(threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this, i] { run(i); });
}

SourceWriter::~SourceWriter() { stop(); }

void SourceWriter::wait_for(long more) {
  const long until = committed_ + more;
  while (committed_ < until && !failed_ && running_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::optional<std::string> SourceWriter::stop() {
  running_ = false;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  std::lock_guard lock(error_mutex);
  return error_;
}

void SourceWriter::run(int index) {
  try {
    auto conn = admin_connection(true);
    run_sql(*conn, "USE `" + database_ + "`");
    std::mt19937 rng(1000 + static_cast<unsigned>(index));
    // Fresh keys just above the seeded ones (so they fall into the planned ranges),
    // interleaved between writers so that no two writers insert the same key.
    int next_fresh = rows_ + 1 + index;
    auto any_id = [&] {
      const int id = 1 + static_cast<int>(rng() % static_cast<unsigned>(rows_));
      return std::to_string(rng() % 2 == 0 ? id : -id);
    };
    auto one_statement = [&]() -> std::string {
      switch (rng() % 8) {
        case 0:
          next_fresh += thread_count_;
          return "INSERT INTO accounts VALUES (" + std::to_string(next_fresh - thread_count_) +
                 ", 1, 'new')";
        case 1:
          return "DELETE FROM accounts WHERE id = " + any_id();
        case 2:
          return "UPDATE accounts SET id = -id, v = v + 1 WHERE id = " + any_id();
        case 3:
          return "UPDATE pairs SET b = IF(b = 'k', 'm', 'k'), v = v + 1 WHERE a = " +
                 std::to_string(1 + rng() % static_cast<unsigned>(rows_ / 4));
        case 4:
          return "UPDATE pairs SET v = v + 1 WHERE a = " +
                 std::to_string(1 + rng() % static_cast<unsigned>(rows_ / 4));
        default:
          return "UPDATE accounts SET v = v + 1, note = CONCAT('w', " +
                 std::to_string(index) + ") WHERE id = " + any_id();
      }
    };
    while (running_) {
      try {
        if (rng() % 4 == 0) {
          run_sql(*conn, "START TRANSACTION");
          const int statements = 2 + static_cast<int>(rng() % 4);
          for (int i = 0; i < statements; ++i) run_sql(*conn, one_statement());
          run_sql(*conn, "COMMIT");
        } else {
          run_sql(*conn, one_statement());
        }
        ++committed_;
      } catch (const std::runtime_error& e) {
        // Two writers' transactions can deadlock on each other's rows, as an
        // application's do: InnoDB rolls one back, and it is simply not committed.
        const std::string m = e.what();
        if (m.find("error 1213") == std::string::npos &&
            m.find("error 1205") == std::string::npos) {
          throw;
        }
        run_sql(*conn, "ROLLBACK");
      }
    }
  } catch (const std::exception& e) {
    std::lock_guard lock(error_mutex);
    if (!error_) error_ = e.what();
    failed_ = true;
  }
}

}  // namespace tideway::test
