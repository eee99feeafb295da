#pragma once
// DaemonMetrics: the daemon's own Prometheus registry and the series it owns (build
// info, readiness, HTTP requests). Components register their own families on
// `registry()`; /metrics renders everything in the text exposition format.
// Labels are bounded: route patterns and status codes, never raw paths or ids of rows.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "daemon/process_metrics.h"

namespace tideway::daemon {

class DaemonMetrics {
 public:
  DaemonMetrics();
  prometheus::Registry& registry() { return *registry_; }

  void observe_request(std::string_view route, std::string_view method, unsigned status,
                       double seconds);
  void set_ready(bool ready) { ready_.Set(ready ? 1 : 0); }
  void count_reload(bool ok);

  /// Adds series computed at scrape time (the collectable must outlive this object).
  void add_collectable(const prometheus::Collectable* c) { extra_.push_back(c); }

  /// Text exposition format (version 0.0.4) of every registered series.
  std::string render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  ProcessMetrics process_;
  std::vector<const prometheus::Collectable*> extra_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& request_seconds_;
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Gauge& ready_;
};

}  // namespace tideway::daemon
