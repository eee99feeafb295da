#pragma once
// What a collector is asked to gather, shared by the PostgreSQL and MySQL collectors.

#include <cstdint>
#include <string>
#include <vector>

#include "replication/core/task_spec.h"

namespace tideway::assess {

struct CollectOptions {
  replication::TableFilter tables;
  bool exact_counts = false;
  /// Look for NUL bytes in text columns (the target cannot store them in text).
  bool probe_nul_bytes = false;
  std::int64_t nul_probe_rows = 100000;
};

/// Whether the filter can select anything in `schema`: some include pattern's schema part
/// matches it. Views, routines and triggers are inventoried per selected schema.
bool schema_selected(const replication::TableFilter& filter, const std::string& schema);

}  // namespace tideway::assess
