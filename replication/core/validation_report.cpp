#include "replication/core/validation_report.h"

namespace tideway::replication {

Result<TableValidation> compare_table(const std::string& table,
                                      std::vector<PlannedChunk> chunks, const ChunkSumFn& sum) {
  TableValidation v;
  v.table = table;
  if (chunks.empty()) chunks.push_back({0, "", "whole table"});
  for (const auto& c : chunks) {
    auto s = sum(true, c);
    if (!s.ok()) {
      return std::move(s).error().with_context("validating " + table + " (" + c.description +
                                               ") on the source");
    }
    auto d = sum(false, c);
    if (!d.ok()) {
      return std::move(d).error().with_context("validating " + table + " (" + c.description +
                                               ") on the target");
    }
    v.source_rows += s->rows;
    v.target_rows += d->rows;
    ++v.chunks;
    if (s->rows != d->rows || s->digest != d->digest) v.mismatched_chunks.push_back(c.description);
  }
  return v;
}

}  // namespace tideway::replication
