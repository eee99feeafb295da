#include "daemon/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace tideway::daemon {
namespace {

prometheus::MetricFamily gauge(const char* name, const char* help, double value) {
  prometheus::ClientMetric m;
  m.gauge.value = value;
  return {name, help, prometheus::MetricType::Gauge, {m}};
}

prometheus::MetricFamily counter(const char* name, const char* help, double value) {
  prometheus::ClientMetric m;
  m.counter.value = value;
  return {name, help, prometheus::MetricType::Counter, {m}};
}

double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double v = 0;
      in >> v;
      return v;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

int count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int n = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n - 1;  // the descriptor opendir itself holds
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (std::getline(in, line)) {
    // Fields after the command name, which is in parentheses and may contain spaces.
    const auto close = line.rfind(')');
    std::istringstream rest(close == std::string::npos ? "" : line.substr(close + 2));
    std::string f[24];  // fields 3..26 of proc(5)
    for (auto& s : f) rest >> s;
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    const double utime = std::stod(f[11].empty() ? "0" : f[11]);
    const double stime = std::stod(f[12].empty() ? "0" : f[12]);
    const double start = std::stod(f[19].empty() ? "0" : f[19]);
    const double vsize = std::stod(f[20].empty() ? "0" : f[20]);
    const double rss = std::stod(f[21].empty() ? "0" : f[21]);
    out.push_back(counter("process_cpu_seconds_total",
                          "Total user and system CPU time spent in seconds.",
                          (utime + stime) / ticks));
    out.push_back(gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                        rss * page));
    out.push_back(gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", vsize));
    out.push_back(gauge("process_start_time_seconds",
                        "Start time of the process since unix epoch in seconds.",
                        boot_time_seconds() + start / ticks));
  }
  out.push_back(gauge("process_open_fds", "Number of open file descriptors.",
                      static_cast<double>(count_open_fds())));
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    out.push_back(gauge("process_max_fds", "Maximum number of open file descriptors.",
                        static_cast<double>(lim.rlim_cur)));
  }
  return out;
}

}  // namespace tideway::daemon
