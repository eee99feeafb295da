#pragma once
// The assessment's entry points: connect to the source (and the target, if given),
// collect inventory, activity and health with the engine's collector, apply the rule sets
// that fit the source/target pair, estimate the full load. Used by `tideway assess`, by
// POST /v1/assessments and, before a task starts, by the task manager (assess_task).
//
// Connections only read; nothing is created on either server. Every connection attempt
// is bounded by connect_timeout_seconds, so an unreachable host fails in bounded time.

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "assess/assessment.h"
#include "common/error.h"
#include "replication/core/task_spec.h"

namespace tideway::assess {

struct AssessOptions {
  replication::Endpoint source;
  /// The password itself (from a URL); when empty, the endpoint's password_file or
  /// password_env supplies it. Never logged nor copied into the Assessment.
  std::optional<std::string> source_password;
  std::optional<replication::Endpoint> target;  // connect to it: version, extensions
  std::optional<std::string> target_password;
  std::optional<TargetKind> target_kind;  // --target-engine; else from target, else source
  replication::TableFilter tables;        // default: every table of the source database
  int sample_seconds = 10;                // Default: 10 s of activity; 0 skips the sample.
  int connect_timeout_seconds = 10;       // Default: 10 s per connection attempt.
  bool exact_counts = false;              // SELECT COUNT(*) per table (reads every row)
  /// Assumed copy throughput for the full-load estimate. Default: 50 MiB/s, what a
  /// 4-worker load sustains between two ordinary servers on one network.
  double load_bytes_per_second = 50.0 * 1024 * 1024;
  /// Rows read per text column to look for NUL bytes (PostgreSQL targets). Default:
  /// 100000, which bounds the probe's cost on large tables.
  std::int64_t nul_probe_rows = 100000;
  /// Raised by the daemon at shutdown: the activity sample ends early.
  const std::atomic<bool>* stop = nullptr;
};

/// Runs a whole assessment. Errors (kUnavailable, kPermissionDenied, kNotFound,
/// kInvalidArgument) mean the source could not be assessed at all: unreachable, refused
/// login, unknown database, or a user who cannot read the catalog. Everything the
/// assessment can see is a finding instead.
Result<Assessment> run_assessment(const AssessOptions& options);

/// The assessment a task needs before it starts: its source, its target (connected for
/// version and extensions), its table filter; a 5-second activity sample.
Result<Assessment> assess_task(const replication::TaskSpec& spec, int sample_seconds = 5);

/// Parses "postgresql:16", "mysql:8.0", "mariadb:11.4", "aurora-mysql:3",
/// "aurora-postgresql:16". Aurora MySQL 3 is MySQL 8.0, 2 is MySQL 5.7.
Result<TargetKind> parse_target_kind(const std::string& text);

/// A connection URL: postgresql://, mysql:// or mariadb://user[:password]@host[:port]/db
/// [?sslmode=...]; user and password may be percent-encoded. The password, if present,
/// is returned apart from the endpoint (which never holds one).
struct ParsedUrl {
  replication::Endpoint endpoint;
  std::optional<std::string> password;
};
Result<ParsedUrl> parse_database_url(const std::string& url);

}  // namespace tideway::assess
