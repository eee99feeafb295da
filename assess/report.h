#pragma once
// Renderers of an Assessment: JSON (the stable schema of assess/REPORT_SCHEMA.md),
// Markdown, and one self-contained HTML page (inline CSS and SVG, no script, no external
// resource) that reads the same offline. Each opens with the verdict and the estimated
// full-load time.

#include <string>

#include <nlohmann/json.hpp>

#include "assess/assessment.h"
#include "common/error.h"

namespace tideway::assess {

enum class ReportFormat { kJson, kMarkdown, kHtml };

/// "json", "markdown" (or "md"), "html"; an error names the accepted values.
Result<ReportFormat> parse_report_format(const std::string& text);

nlohmann::json report_json(const Assessment& a);
std::string render_markdown(const Assessment& a);
std::string render_html(const Assessment& a);
std::string render(const Assessment& a, ReportFormat format);

}  // namespace tideway::assess
