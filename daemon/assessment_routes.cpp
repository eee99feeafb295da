#include "daemon/assessment_routes.h"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/utc_time.h"
#include "api/http_response.h"
#include "assess/assess.h"
#include "assess/report.h"
#include "common/log.h"

namespace tideway::daemon {
namespace {

using api::http::status;
using api::http::verb;
using nlohmann::json;

const log::Logger kLog{"assessments"};
constexpr int kMaxRunning = 4;           // each holds one or two database connections
constexpr std::size_t kMaxKept = 100;    // finished reports kept in memory, newest first


struct Entry {
  std::string id;
  std::string state = "running";  // running, done, failed
  std::string source;             // endpoint description, no password
  std::string created_at, finished_at;
  std::optional<assess::Assessment> result;
  std::optional<Error> error;
};

class AssessmentRunner {
 public:
  ~AssessmentRunner() {
    stop_ = true;
    std::map<std::string, std::thread> threads;
    {
      std::lock_guard lock(mu_);
      threads.swap(threads_);
    }
    for (auto& [id, t] : threads) t.join();
  }

  Result<Entry> start(assess::AssessOptions options) {
    std::lock_guard lock(mu_);
    reap_locked();
    if (running_ >= kMaxRunning) {
      return make_error(ErrorCode::kUnavailable,
                        fmt::format("{} assessments are already running; retry when one has "
                                    "finished", running_), true);
    }
    auto entry = std::make_shared<Entry>();
    entry->id = fmt::format("as-{}-{:06x}", ++counter_, std::random_device{}() & 0xffffff);
    entry->source = options.source.describe();
    entry->created_at = utc_now_seconds();
    entries_[entry->id] = entry;
    order_.push_back(entry->id);
    while (order_.size() > kMaxKept) {
      // Evict the oldest finished one; running ones stay until they finish.
      auto it = std::find_if(order_.begin(), order_.end(), [&](const std::string& id) {
        return entries_[id]->state != "running";
      });
      if (it == order_.end()) break;
      entries_.erase(*it);
      order_.erase(it);
    }
    ++running_;
    options.stop = &stop_;
    threads_[entry->id] = std::thread([this, entry, options = std::move(options)] {
      kLog.info("assessment started", {{"id", entry->id}, {"source", entry->source}});
      auto result = assess::run_assessment(options);
      std::lock_guard inner(mu_);
      entry->finished_at = utc_now_seconds();
      if (result.ok()) {
        entry->state = "done";
        entry->result = std::move(result).value();
        kLog.info("assessment done", {{"id", entry->id}, {"verdict", entry->result->verdict()}});
      } else {
        entry->state = "failed";
        entry->error = std::move(result).error();
        kLog.warn("assessment failed", {{"id", entry->id}, {"error", entry->error->message}});
      }
      --running_;
    });
    return *entry;
  }

  std::optional<Entry> get(const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return std::nullopt;
    return *it->second;
  }

 private:
  // Joins the threads of finished assessments (each ends right after its last update).
  void reap_locked() {
    for (auto it = threads_.begin(); it != threads_.end();) {
      auto e = entries_.find(it->first);
      if (e == entries_.end() || e->second->state != "running") {
        it->second.join();
        it = threads_.erase(it);
      } else {
        ++it;
      }
    }
  }

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  std::deque<std::string> order_;
  std::map<std::string, std::thread> threads_;
  std::atomic<bool> stop_{false};
  int running_ = 0;
  std::uint64_t counter_ = 0;
};

Error invalid(const std::string& message) {
  return make_error(ErrorCode::kInvalidArgument, message);
}

// One endpoint from its URL and where its password is; a password in the URL is refused
// here as literal passwords are everywhere in the API (request bodies end up in logs
// and shell histories).
Result<replication::Endpoint> endpoint_of(const json& body, const std::string& key) {
  if (!body.at(key).is_string()) return invalid("$." + key + ": expected a URL string");
  auto url = assess::parse_database_url(body.at(key).get<std::string>());
  if (!url.ok()) return invalid("$." + key + ": " + url.error().message);
  if (url->password) {
    return invalid("$." + key + ": a password in the URL is refused over the API; use " + key +
                   "_password_file or " + key + "_password_env");
  }
  replication::Endpoint e = url->endpoint;
  const std::string file_key = key + "_password_file", env_key = key + "_password_env";
  const bool file = body.contains(file_key), env = body.contains(env_key);
  if (file == env) {
    return invalid(fmt::format("$.{}: give exactly one of {} and {}", key, file_key, env_key));
  }
  const json& where = body.at(file ? file_key : env_key);
  if (!where.is_string() || where.get<std::string>().empty()) {
    return invalid(fmt::format("$.{}: expected a non-empty string", file ? file_key : env_key));
  }
  (file ? e.password_file : e.password_env) = where.get<std::string>();
  return e;
}

Result<assess::AssessOptions> options_of(const api::Request& req) {
  static const std::vector<std::string> kKeys = {
      "source", "source_password_file", "source_password_env", "target",
      "target_password_file", "target_password_env", "target_engine", "sample_seconds",
      "exact_counts", "connect_timeout_seconds", "tables"};
  json body = json::parse(req.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) return invalid("request body must be a JSON object");
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (std::find(kKeys.begin(), kKeys.end(), it.key()) == kKeys.end()) {
      return invalid(fmt::format("$.{}: unknown field; expected one of: {}", it.key(),
                                 fmt::join(kKeys, ", ")));
    }
  }
  if (!body.contains("source")) return invalid("$.source: required (a postgresql://, mysql:// or mariadb:// URL)");
  assess::AssessOptions o;
  auto source = endpoint_of(body, "source");
  if (!source.ok()) return std::move(source).error();
  o.source = *source;
  if (body.contains("target") && body.contains("target_engine")) {
    return invalid("$.target, $.target_engine: give one of them, not both");
  }
  if (body.contains("target")) {
    auto target = endpoint_of(body, "target");
    if (!target.ok()) return std::move(target).error();
    o.target = *target;
  }
  try {
    if (body.contains("target_engine")) {
      auto kind = assess::parse_target_kind(body.at("target_engine").get<std::string>());
      if (!kind.ok()) return invalid("$.target_engine: " + kind.error().message);
      o.target_kind = *kind;
    }
    if (body.contains("sample_seconds")) {
      o.sample_seconds = body.at("sample_seconds").get<int>();
      if (o.sample_seconds < 0 || o.sample_seconds > 600) {
        return invalid("$.sample_seconds: expected an integer from 0 to 600");
      }
    }
    if (body.contains("connect_timeout_seconds")) {
      o.connect_timeout_seconds = body.at("connect_timeout_seconds").get<int>();
      if (o.connect_timeout_seconds < 1 || o.connect_timeout_seconds > 300) {
        return invalid("$.connect_timeout_seconds: expected an integer from 1 to 300");
      }
    }
    if (body.contains("exact_counts")) o.exact_counts = body.at("exact_counts").get<bool>();
    if (body.contains("tables")) {
      const json& t = body.at("tables");
      if (t.contains("include")) o.tables.include = t.at("include").get<std::vector<std::string>>();
      if (t.contains("exclude")) o.tables.exclude = t.at("exclude").get<std::vector<std::string>>();
    }
  } catch (const json::exception&) {
    return invalid("assessment options: target_engine is a string, sample_seconds and "
                   "connect_timeout_seconds integers, exact_counts a boolean, tables "
                   "{include: [globs], exclude: [globs]}");
  }
  return o;
}

json entry_json(const Entry& e) {
  json j = {{"id", e.id}, {"state", e.state}, {"source", e.source},
            {"created_at", e.created_at},
            {"finished_at", e.finished_at.empty() ? json(nullptr) : json(e.finished_at)}};
  if (e.result) {
    j["verdict"] = e.result->verdict();
    j["report"] = assess::report_json(*e.result);
  }
  if (e.error) {
    j["error"] = {{"code", error_code_name(e.error->code)}, {"message", e.error->message}};
  }
  return j;
}

}  // namespace

void add_assessment_routes(api::Router& router) {
  auto runner = std::make_shared<AssessmentRunner>();
  router.add(verb::post, "/v1/assessments", api::Access::kToken,
             [runner](const api::Request& req, const api::RequestContext&) {
               auto options = options_of(req);
               if (!options.ok()) {
                 return api::json_error(status::bad_request, "invalid_request",
                                        options.error().message);
               }
               auto entry = runner->start(std::move(options).value());
               if (!entry.ok()) {
                 return api::json_error(status::too_many_requests, "too_many_assessments",
                                        entry.error().message);
               }
               return api::json_response(status::accepted, entry_json(*entry));
             });
  router.add(verb::get, "/v1/assessments/{id}", api::Access::kToken,
             [runner](const api::Request& req, const api::RequestContext& c) {
               const auto& id = c.path_params.at("id");
               auto entry = runner->get(id);
               if (!entry) return api::json_error(status::not_found, "not_found", "no assessment " + id);
               std::string format = "json";
               if (auto it = c.query.find("format"); it != c.query.end()) {
                 format = it->second;
               } else if (auto accept = req.find(api::http::field::accept); accept != req.end()) {
                 const std::string_view v(accept->value().data(), accept->value().size());
                 if (v.find("text/markdown") != std::string_view::npos) format = "markdown";
                 if (v.find("text/html") != std::string_view::npos) format = "html";
               }
               auto parsed = assess::parse_report_format(format);
               if (!parsed.ok()) {
                 return api::json_error(status::bad_request, "invalid_request", parsed.error().message);
               }
               if (*parsed == assess::ReportFormat::kJson) {
                 return api::json_response(status::ok, entry_json(*entry));
               }
               if (!entry->result) {
                 return api::json_error(status::conflict, "conflict",
                                        "assessment " + id + " is " + entry->state +
                                            "; its report exists once it is done");
               }
               const bool html = *parsed == assess::ReportFormat::kHtml;
               return api::text_response(status::ok, assess::render(*entry->result, *parsed),
                                         html ? "text/html; charset=utf-8"
                                              : "text/markdown; charset=utf-8");
             });
}

}  // namespace tideway::daemon
