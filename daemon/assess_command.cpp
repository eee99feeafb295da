#include "daemon/assess_command.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include "assess/assess.h"
#include "assess/report.h"
#include "daemon/exit_codes.h"
#include "daemon/task_spec_parser.h"

namespace tideway::daemon {
namespace {

// Where passwords come from when a URL holds none (a password on the command line is
// visible to other users of the machine through ps, so the environment is preferred).
constexpr const char* kSourcePasswordEnv = "TIDEWAY_SOURCE_PASSWORD";
constexpr const char* kTargetPasswordEnv = "TIDEWAY_TARGET_PASSWORD";

int fail_usage(const std::string& message) {
  std::fprintf(stderr, "tideway: assess: %s; see 'tideway --help'\n", message.c_str());
  return kExitUsage;
}

Result<int> parse_int(const std::string& option, const std::string& text, int low, int high) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < low || v > high) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("{} '{}': expected an integer from {} to {}", option, text, low, high));
  }
  return static_cast<int>(v);
}

// Applies a URL's password, or else the password file, or else the environment variable.
void choose_password(const assess::ParsedUrl& url, const std::string& password_file,
                     const char* env, replication::Endpoint& endpoint,
                     std::optional<std::string>& password) {
  if (url.password) {
    password = url.password;
  } else if (!password_file.empty()) {
    endpoint.password_file = password_file;
  } else {
    endpoint.password_env = env;
  }
}

}  // namespace

int cmd_assess(const std::vector<std::string>& args) {
  std::string source_url, target_url, target_engine, source_task, output, format_text = "markdown";
  std::string source_password_file, target_password_file;
  assess::AssessOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& into) -> bool {
      if (i + 1 >= args.size()) return false;
      into = args[++i];
      return true;
    };
    bool ok = true;
    if (a == "--source") {
      ok = value(source_url);
    } else if (a == "--target") {
      ok = value(target_url);
    } else if (a == "--target-engine") {
      ok = value(target_engine);
    } else if (a == "--source-task") {
      ok = value(source_task);
    } else if (a == "--source-password-file") {
      ok = value(source_password_file);
    } else if (a == "--target-password-file") {
      ok = value(target_password_file);
    } else if (a == "--format") {
      ok = value(format_text);
    } else if (a == "--output" || a == "-o") {
      ok = value(output);
    } else if (a == "--exact-counts") {
      options.exact_counts = true;
    } else if (a == "--sample-seconds" || a == "--connect-timeout") {
      std::string text;
      if (!value(text)) return fail_usage(a + " needs a value");
      auto n = a == "--sample-seconds" ? parse_int(a, text, 0, 3600) : parse_int(a, text, 1, 300);
      if (!n.ok()) return fail_usage(n.error().message);
      (a == "--sample-seconds" ? options.sample_seconds : options.connect_timeout_seconds) = *n;
    } else {
      return fail_usage(fmt::format("unknown option '{}'", a));
    }
    if (!ok) return fail_usage(a + " needs a value");
  }
  if (source_url.empty() == source_task.empty()) {
    return fail_usage("give exactly one of --source URL and --source-task FILE");
  }
  if (!target_url.empty() && !target_engine.empty()) {
    return fail_usage("give --target URL or --target-engine KIND, not both");
  }
  auto format = assess::parse_report_format(format_text);
  if (!format.ok()) return fail_usage(format.error().message);

  if (!source_task.empty()) {
    auto spec = load_task_spec(source_task);
    if (!spec.ok()) return fail_usage(spec.error().message);
    options.source = spec->source;
    options.tables = spec->tables;
    if (target_engine.empty() && target_url.empty()) options.target = spec->target;
  } else {
    auto url = assess::parse_database_url(source_url);
    if (!url.ok()) return fail_usage("--source: " + url.error().message);
    options.source = url->endpoint;
    choose_password(*url, source_password_file, kSourcePasswordEnv, options.source,
                    options.source_password);
  }
  if (!target_url.empty()) {
    auto url = assess::parse_database_url(target_url);
    if (!url.ok()) return fail_usage("--target: " + url.error().message);
    options.target = url->endpoint;
    choose_password(*url, target_password_file, kTargetPasswordEnv, *options.target,
                    options.target_password);
  }
  if (!target_engine.empty()) {
    auto kind = assess::parse_target_kind(target_engine);
    if (!kind.ok()) return fail_usage("--target-engine: " + kind.error().message);
    options.target_kind = *kind;
  }

  auto result = assess::run_assessment(options);
  if (!result.ok()) {
    std::fprintf(stderr, "tideway: assess: %s\n", result.error().message.c_str());
    return kExitUsage;
  }
  const std::string report = assess::render(*result, *format);
  if (output.empty() || output == "-") {
    std::fwrite(report.data(), 1, report.size(), stdout);
  } else {
    std::ofstream out(output, std::ios::binary | std::ios::trunc);
    out << report;
    out.close();
    if (!out) {
      std::fprintf(stderr, "tideway: assess: cannot write the report to %s\n", output.c_str());
      return kExitFailure;
    }
  }
  const auto blockers = assess::blocking_findings(*result);
  int warnings = 0;
  for (const auto& f : result->findings) warnings += f.severity == assess::Severity::kWarning;
  std::fprintf(stderr, "tideway: assess: %s: verdict %s (%zu blockers, %d warnings)%s\n",
               result->source.endpoint.c_str(), result->verdict().c_str(), blockers.size(),
               warnings, output.empty() || output == "-" ? "" : (", report in " + output).c_str());
  return blockers.empty() ? kExitOk : kExitBlocked;
}

}  // namespace tideway::daemon
