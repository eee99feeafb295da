#pragma once
// `tideway run --task FILE --data-dir DIR` and `tideway status --data-dir DIR`: one task
// in the foreground with the daemon's own code, and a look at a state store.

#include <string>
#include <vector>

namespace tideway::daemon {

int cmd_run(const std::vector<std::string>& args);
int cmd_status(const std::vector<std::string>& args);

}  // namespace tideway::daemon
