#pragma once
// Pieces the Markdown and HTML reports share: the verdict's wording, counts by severity,
// the largest tables, and findings in report order (blockers first).

#include <string>
#include <vector>

#include "assess/assessment.h"

namespace tideway::assess {

/// "Ready", "Ready with warnings", "Blocked".
std::string verdict_title(const std::string& verdict);
/// Blockers, then warnings, then infos; each group in the order found.
std::vector<const Finding*> findings_in_order(const Assessment& a);
/// Count of findings with `severity`.
int count_of(const Assessment& a, Severity severity);
/// The largest tables, by data + index bytes, at most `limit`.
std::vector<const TableInfo*> largest_tables(const Assessment& a, std::size_t limit);

}  // namespace tideway::assess
