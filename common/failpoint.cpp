#include "common/failpoint.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/log.h"

namespace tideway {
namespace {

struct Armed {
  std::string name;
  long hit_on = 1;
  std::atomic<long> hits{0};
  bool active = false;

  Armed() {
    const char* spec = std::getenv("TIDEWAY_FAILPOINT");
    if (spec == nullptr || *spec == '\0') return;
    const std::string s = spec;
    const auto colon = s.find(':');
    name = s.substr(0, colon);
    if (colon != std::string::npos) hit_on = std::max(1L, std::atol(s.c_str() + colon + 1));
    active = true;
  }
};

Armed& armed() {
  static Armed a;
  return a;
}

}  // namespace

void failpoint(const char* name) {
  Armed& a = armed();
  if (!a.active || a.name != name) return;
  if (a.hits.fetch_add(1) + 1 != a.hit_on) return;
  log::write(log::Level::kWarn, "failpoint", "failpoint reached; killing the process",
             {{"failpoint", name}, {"hit", a.hit_on}});
  ::kill(::getpid(), SIGKILL);
  ::_exit(137);  // not reached
}

}  // namespace tideway
