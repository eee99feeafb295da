#include "daemon/service_routes.h"

#include <nlohmann/json.hpp>

#include "api/http_response.h"
#include "daemon/build_info.h"

namespace tideway::daemon {

using api::http::status;
using api::http::verb;

void add_service_routes(api::Router& router, const ServiceState& state,
                        const DaemonMetrics& metrics, bool metrics_auth) {
  // Liveness only: the process answers. Public so load balancers and systemd checks need
  // no token; it reveals nothing.
  router.add(verb::get, "/healthz", api::Access::kPublic,
             [](const api::Request&, const api::RequestContext&) {
               return api::json_response(status::ok, {{"status", "ok"}});
             });

  router.add(verb::get, "/readyz", api::Access::kToken,
             [&state](const api::Request&, const api::RequestContext&) {
               const bool store = state.store_open.load();
               const bool stopping = state.stopping.load();
               const bool ready = store && !stopping;
               nlohmann::json body = {
                   {"status", ready ? "ready" : "not_ready"},
                   {"checks",
                    {{"state_store", store ? "open" : "closed"},
                     {"lifecycle", stopping ? "stopping" : "serving"}}}};
               return api::json_response(ready ? status::ok : status::service_unavailable, body);
             });

  router.add(verb::get, "/metrics", metrics_auth ? api::Access::kToken : api::Access::kPublic,
             [&metrics](const api::Request&, const api::RequestContext&) {
               return api::text_response(status::ok, metrics.render(),
                                         "text/plain; version=0.0.4; charset=utf-8");
             });

  router.add(verb::get, "/v1/version", api::Access::kToken,
             [](const api::Request&, const api::RequestContext&) {
               return api::json_response(status::ok, {{"version", kVersion},
                                                      {"commit", kGitCommit},
                                                      {"compiler", kCompiler},
                                                      {"build_type", kBuildType}});
             });
}

}  // namespace tideway::daemon
