#!/usr/bin/env bash
# The test command: installs dependencies (Debian packages), builds with warnings as
# errors, and runs every test. CTest itself starts the four sandbox database servers
# (fixture sandbox_start) and stops them at the end (sandbox_stop), so this ends with
# CTest's summary. Run as root on Debian 12:  ./tests/run.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${TIDEWAY_BUILD_DIR:-$root/build}
jobs=$(nproc)

"$root/deploy/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIDEWAY_WERROR=ON
cmake --build "$build" --parallel "$jobs"
cd "$build"
exec ctest --output-on-failure --parallel "$jobs" --timeout 900
