#pragma once
// The `tideway` command line: subcommand dispatch and usage text. Each subcommand is one
// function returning a process exit code (daemon/exit_codes.h).

namespace tideway::daemon {

int run_cli(int argc, char** argv);

}  // namespace tideway::daemon
