#pragma once
// ProcessMetrics: the standard process_* series (CPU seconds, resident and virtual
// memory, open and max file descriptors, start time), read from /proc at scrape time.
// prometheus-cpp's core library has no process collector, and the pull library would
// start a second HTTP server, which we do not want.

#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace tideway::daemon {

class ProcessMetrics : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace tideway::daemon
