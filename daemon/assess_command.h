#pragma once
// `tideway assess`: one assessment of a source (and its target) from the command line,
// printed or written as JSON, Markdown or HTML. Exit 0 without blockers, 3 with
// blockers, 2 for bad usage or when the source (or a named target) cannot be assessed.

#include <string>
#include <vector>

namespace tideway::daemon {

int cmd_assess(const std::vector<std::string>& args);

}  // namespace tideway::daemon
