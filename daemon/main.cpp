// tideway: the process entry point. All logic lives in the libraries; see daemon/cli.cpp.
#include "daemon/cli.h"

int main(int argc, char** argv) { return tideway::daemon::run_cli(argc, argv); }
