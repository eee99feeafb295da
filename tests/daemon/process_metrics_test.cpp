#include <catch2/catch.hpp>

#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "daemon/process_metrics.h"

using tideway::daemon::ProcessMetrics;

TEST_CASE("Process metrics report this process's real figures") {
  std::vector<char> ballast(64 << 20, 1);  // touch 64 MiB so RSS must be above it
  std::map<std::string, double> values;
  for (const auto& f : ProcessMetrics().Collect()) {
    REQUIRE(f.metric.size() == 1);
    values[f.name] = f.type == prometheus::MetricType::Counter ? f.metric[0].counter.value
                                                               : f.metric[0].gauge.value;
  }
  CHECK(values.at("process_resident_memory_bytes") > 64.0 * (1 << 20));
  CHECK(values.at("process_virtual_memory_bytes") >= values.at("process_resident_memory_bytes"));
  CHECK(values.at("process_open_fds") >= 3);  // stdin, stdout, stderr at least
  CHECK(values.at("process_max_fds") >= values.at("process_open_fds"));
  CHECK(values.at("process_cpu_seconds_total") >= 0);
  const double now = static_cast<double>(std::time(nullptr));
  CHECK(values.at("process_start_time_seconds") <= now + 1);
  CHECK(values.at("process_start_time_seconds") > now - 3600);
  CHECK(ballast[12345] == 1);
}
