#include "daemon/task_routes.h"

#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/http_response.h"
#include "daemon/task_views.h"

namespace tideway::daemon {
namespace {

using api::http::status;
using api::http::verb;
using nlohmann::json;

api::Response error_response(TaskManager& tasks, const std::string& id, const Error& e) {
  switch (e.code) {
    case ErrorCode::kNotFound:
      return api::json_error(status::not_found, "not_found", e.message);
    case ErrorCode::kAlreadyExists:
      return api::json_error(status::conflict, "already_exists", e.message);
    case ErrorCode::kConflict: {
      json body = {{"error", {{"code", "conflict"}, {"message", e.message}}}};
      if (auto v = tasks.get(id); v.ok()) {
        body["error"]["state"] = v->state;
        body["error"]["allowed_actions"] = TaskManager::allowed_actions(v->state);
      }
      return api::json_response(status::conflict, body);
    }
    case ErrorCode::kInvalidArgument:
      return api::json_error(status::bad_request, "invalid_request", e.message);
    case ErrorCode::kUnavailable:
      return api::json_error(status::service_unavailable, "unavailable", e.message);
    case ErrorCode::kPermissionDenied:
      // A database refused tideway's user (e.g. dropping the slot on DELETE): the
      // message names the grant; nothing is wrong with the request or the daemon.
      return api::json_error(status::bad_gateway, "database_permission_denied", e.message);
    default:
      return api::json_error(status::internal_server_error, error_code_name(e.code), e.message);
  }
}

/// A query parameter's non-negative integer: digits only, at most 18 of them.
std::optional<std::uint64_t> parse_count(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::uint64_t n = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  return n;
}

/// Parses an optional JSON object body with known keys only.
Result<json> options_body(const api::Request& req, std::initializer_list<const char*> keys) {
  if (req.body().empty()) return json::object();
  json body = json::parse(req.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return make_error(ErrorCode::kInvalidArgument, "request body must be a JSON object");
  }
  for (auto it = body.begin(); it != body.end(); ++it) {
    bool known = false;
    std::string list;
    for (const char* k : keys) {
      known = known || it.key() == k;
      list += (list.empty() ? "" : ", ") + std::string(k);
    }
    if (!known) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("$.{}: unknown field; expected one of: {}", it.key(), list));
    }
  }
  return body;
}

Result<CutoverOptions> cutover_options(const api::Request& req, const api::RequestContext& ctx) {
  auto body = options_body(req, {"fence", "max_lag_seconds", "timeout_seconds", "dry_run"});
  if (!body.ok()) return std::move(body).error();
  CutoverOptions o;
  try {
    if (body->contains("fence")) o.fence = body->at("fence").get<std::string>();
    if (body->contains("max_lag_seconds")) o.max_lag_seconds = body->at("max_lag_seconds").get<double>();
    if (body->contains("timeout_seconds")) o.timeout_seconds = body->at("timeout_seconds").get<int>();
    if (body->contains("dry_run")) o.dry_run = body->at("dry_run").get<bool>();
  } catch (const json::exception&) {
    return make_error(ErrorCode::kInvalidArgument,
                      "cutover options: fence is a string (\"none\" or \"read_only\"), "
                      "max_lag_seconds a number, timeout_seconds an integer, dry_run a boolean");
  }
  if (o.timeout_seconds < 1 || o.timeout_seconds > 86400) {
    return make_error(ErrorCode::kInvalidArgument,
                      "$.timeout_seconds: expected an integer from 1 to 86400");
  }
  if (auto it = ctx.query.find("dry_run"); it != ctx.query.end()) {
    // A mistyped value must not start a real cutover.
    if (it->second == "true" || it->second == "1") {
      o.dry_run = true;
    } else if (it->second == "false" || it->second == "0") {
      o.dry_run = false;
    } else {
      return make_error(ErrorCode::kInvalidArgument,
                        "?dry_run=" + it->second + " is not valid; expected true or false");
    }
  }
  return o;
}

}  // namespace

void add_task_routes(api::Router& router, TaskManager& tasks, Journal& journal) {
  router.add(verb::post, "/v1/tasks", api::Access::kToken,
             [&tasks](const api::Request& req, const api::RequestContext&) {
               auto created = tasks.create(req.body(), "request body");
               if (!created.ok()) return error_response(tasks, "", created.error());
               return api::json_response(status::created, task_view_json(*created));
             });
  router.add(verb::get, "/v1/tasks", api::Access::kToken,
             [&tasks](const api::Request&, const api::RequestContext&) {
               json list = json::array();
               for (const auto& v : tasks.list()) list.push_back(task_view_json(v));
               return api::json_response(status::ok, {{"tasks", list}});
             });
  router.add(verb::get, "/v1/tasks/{id}", api::Access::kToken,
             [&tasks](const api::Request&, const api::RequestContext& c) {
               const auto& id = c.path_params.at("id");
               auto v = tasks.get(id);
               if (!v.ok()) return error_response(tasks, id, v.error());
               return api::json_response(status::ok, task_view_json(*v));
             });
  router.add(verb::delete_, "/v1/tasks/{id}", api::Access::kToken,
             [&tasks](const api::Request&, const api::RequestContext& c) {
               const auto& id = c.path_params.at("id");
               auto drop = c.query.find("drop_source_objects");
               const bool drop_objects =
                   drop != c.query.end() && (drop->second == "true" || drop->second == "1");
               Status s = tasks.remove(id, drop_objects);
               if (!s.ok()) return error_response(tasks, id, s.error());
               return api::json_response(status::ok, {{"deleted", id},
                                                      {"source_objects_dropped", drop_objects}});
             });
  router.add(verb::post, "/v1/tasks/{id}/{action}", api::Access::kToken,
             [&tasks](const api::Request& req, const api::RequestContext& c) {
               const auto& id = c.path_params.at("id");
               const auto& action = c.path_params.at("action");
               if (action == "cutover") {
                 auto options = cutover_options(req, c);
                 if (!options.ok()) return error_response(tasks, id, options.error());
                 auto v = tasks.cutover(id, *options);
                 if (!v.ok()) return error_response(tasks, id, v.error());
                 return api::json_response(options->dry_run ? status::ok : status::accepted,
                                           task_view_json(*v));
               }
               static const char* kActions[] = {"start", "pause", "resume", "stop", "validate"};
               bool known = false;
               for (const char* a : kActions) known = known || action == a;
               if (!known) {
                 return api::json_error(status::not_found, "not_found",
                                        "no such action: " + action + "; expected one of: start, "
                                        "pause, resume, stop, cutover, validate");
               }
               const bool starts = action == "start" || action == "resume";
               auto body = starts ? options_body(req, {"acknowledge"}) : options_body(req, {});
               if (!body.ok()) return error_response(tasks, id, body.error());
               // Blockers of the task's assessment the operator accepts, by finding id
               // ("pg.no_replica_identity") or for one object ("id:public.audit").
               std::vector<std::string> acknowledge;
               if (body->contains("acknowledge")) {
                 const json& a = body->at("acknowledge");
                 bool strings = a.is_array();
                 for (const auto& item : a) strings = strings && item.is_string();
                 if (!strings) {
                   return api::json_error(status::bad_request, "invalid_request",
                                          "$.acknowledge: expected an array of finding ids "
                                          "(\"id\" or \"id:object\")");
                 }
                 acknowledge = a.get<std::vector<std::string>>();
               }
               auto v = tasks.act(id, action, acknowledge);
               if (!v.ok()) return error_response(tasks, id, v.error());
               const bool long_running = action == "validate" || v->state == "pausing" ||
                                         v->state == "stopping";
               return api::json_response(long_running ? status::accepted : status::ok,
                                         task_view_json(*v));
             });
  router.add(verb::get, "/v1/tasks/{id}/events", api::Access::kToken,
             [&tasks, &journal](const api::Request&, const api::RequestContext& c) {
               const auto& id = c.path_params.at("id");
               if (auto v = tasks.get(id); !v.ok()) return error_response(tasks, id, v.error());
               std::uint64_t after = 0, limit = 100;
               for (auto [name, value] : {std::pair{"after", &after}, std::pair{"limit", &limit}}) {
                 auto q = c.query.find(name);
                 if (q == c.query.end()) continue;
                 auto n = parse_count(q->second);
                 if (!n) {
                   return api::json_error(status::bad_request, "invalid_request",
                                          fmt::format("query parameter {} must be a whole number "
                                                      "of at most 18 digits, not '{}'",
                                                      name, q->second));
                 }
                 *value = *n;
               }
               limit = std::clamp<std::uint64_t>(limit, 1, 1000);
               auto page = journal.page(id, after, limit);
               if (!page.ok()) return error_response(tasks, id, page.error());
               const std::uint64_t next = page->empty() ? after : page->back().value("seq", after);
               return api::json_response(status::ok, {{"events", *page}, {"next_after", next}});
             });
  router.add(verb::get, "/v1/tasks/{id}/report", api::Access::kToken,
             [&tasks, &journal](const api::Request& req, const api::RequestContext& c) {
               const auto& id = c.path_params.at("id");
               auto v = tasks.get(id);
               if (!v.ok()) return error_response(tasks, id, v.error());
               auto entries = journal.all(id);
               if (!entries.ok()) return error_response(tasks, id, entries.error());
               const json report = task_report_json(*v, *entries);
               auto accept = req.find(api::http::field::accept);
               if (accept != req.end() &&
                   std::string_view(accept->value().data(), accept->value().size())
                           .find("text/markdown") != std::string_view::npos) {
                 return api::text_response(status::ok, task_report_markdown(report),
                                           "text/markdown; charset=utf-8");
               }
               return api::json_response(status::ok, report);
             });
}

}  // namespace tideway::daemon
