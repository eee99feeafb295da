#include "daemon/daemon_metrics.h"

#include <sstream>

#include <prometheus/text_serializer.h>

#include "daemon/build_info.h"

namespace tideway::daemon {

DaemonMetrics::DaemonMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("tideway_http_requests_total")
                    .Help("HTTP requests answered, by route pattern, method and status code.")
                    .Register(*registry_)),
      request_seconds_(prometheus::BuildHistogram()
                           .Name("tideway_http_request_duration_seconds")
                           .Help("Time from a request's last byte read to its response, by route.")
                           .Register(*registry_)),
      reloads_(prometheus::BuildCounter()
                   .Name("tideway_config_reloads_total")
                   .Help("SIGHUP reloads of log level and API token, by result.")
                   .Register(*registry_)),
      ready_(prometheus::BuildGauge()
                 .Name("tideway_ready")
                 .Help("1 when the daemon serves requests with its state store open.")
                 .Register(*registry_)
                 .Add({})) {
  prometheus::BuildGauge()
      .Name("tideway_build_info")
      .Help("Build of the running daemon; the value is always 1.")
      .Register(*registry_)
      .Add({{"version", kVersion}, {"commit", kGitCommit}, {"compiler", kCompiler}})
      .Set(1);
  // Both results exist from the start, so increase() sees the first failed reload.
  reloads_.Add({{"result", "ok"}});
  reloads_.Add({{"result", "failed"}});
}

void DaemonMetrics::observe_request(std::string_view route, std::string_view method,
                                    unsigned status, double seconds) {
  requests_
      .Add({{"route", std::string(route)},
            {"method", std::string(method)},
            {"code", std::to_string(status)}})
      .Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  request_seconds_.Add({{"route", std::string(route)}}, kBuckets).Observe(seconds);
}

void DaemonMetrics::count_reload(bool ok) {
  reloads_.Add({{"result", ok ? "ok" : "failed"}}).Increment();
}

std::string DaemonMetrics::render() const {
  auto families = registry_->Collect();
  auto process = process_.Collect();
  families.insert(families.end(), process.begin(), process.end());
  for (const auto* c : extra_) {
    auto more = c->Collect();
    families.insert(families.end(), more.begin(), more.end());
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace tideway::daemon
