#include "assess/report_text.h"

#include <algorithm>

namespace tideway::assess {

std::string verdict_title(const std::string& verdict) {
  if (verdict == "ready") return "Ready";
  if (verdict == "ready_with_warnings") return "Ready with warnings";
  return "Blocked";
}

std::vector<const Finding*> findings_in_order(const Assessment& a) {
  std::vector<const Finding*> out;
  for (Severity s : {Severity::kBlocker, Severity::kWarning, Severity::kInfo}) {
    for (const auto& f : a.findings) {
      if (f.severity == s) out.push_back(&f);
    }
  }
  return out;
}

int count_of(const Assessment& a, Severity severity) {
  return static_cast<int>(std::count_if(a.findings.begin(), a.findings.end(),
                                        [&](const Finding& f) { return f.severity == severity; }));
}

std::vector<const TableInfo*> largest_tables(const Assessment& a, std::size_t limit) {
  auto tables = a.inventory.tables();
  std::stable_sort(tables.begin(), tables.end(), [](const TableInfo* x, const TableInfo* y) {
    return x->data_bytes + x->index_bytes > y->data_bytes + y->index_bytes;
  });
  if (tables.size() > limit) tables.resize(limit);
  return tables;
}

}  // namespace tideway::assess
