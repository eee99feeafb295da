#pragma once
// Runs a PostgreSQL task the way `tideway run` does (full load, then the stream on its
// own thread) against a PgTestDb, and waits for the stream by a marker row: after the
// source commits marker N, every earlier source commit is on the target once marker N
// is (the stream applies in commit order).

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "replication/postgres/pg_stream.h"
#include "storage/state_store.h"
#include "tests/support/pg_test_db.h"
#include "tests/support/require_identical.h"

namespace tideway::test {


class StreamHarness {
 public:
  /// Creates the marker table and a publication for every table in public.
  StreamHarness(PgTestDb& db, const std::string& task_id);
  ~StreamHarness();

  replication::TaskSpec& spec() { return spec_; }
  storage::StateStore& store() { return *store_; }
  /// Where the stream spools streamed transactions by default (<data_dir>/spool/<id>).
  std::filesystem::path spool_dir() const { return dir_ / "spool" / spec_.id; }
  replication::postgres::StreamStatus& status() { return status_; }

  /// Runs the full load (must succeed).
  void full_load();
  /// Starts the stream thread; its final Status is kept for stop()/result().
  void start_stream(replication::postgres::StreamOptions options = {});
  /// Stops the stream and returns how it ended.
  Status stop_stream();
  /// True once the stream thread has ended by itself (an error).
  bool stream_ended() const { return ended_; }

  /// Commits a new marker on the source and waits (up to `seconds`) until the target has
  /// it. Returns false on timeout or if the stream ended.
  bool sync(int seconds = 120);

  /// Reopens the state store, as a restarted process would.
  void reopen_store();

 private:
  PgTestDb& db_;
  replication::TaskSpec spec_;
  std::filesystem::path dir_;
  std::unique_ptr<storage::StateStore> store_;
  replication::postgres::StreamStatus status_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> ended_{false};
  std::optional<Status> result_;
  std::thread thread_;
  int marker_ = 0;
};

}  // namespace tideway::test
