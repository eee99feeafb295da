#!/usr/bin/env bash
# The test command: installs dependencies (Debian packages), builds with warnings as
# errors, and runs every test. CTest itself starts the four sandbox database servers
# (fixture sandbox_start) and stops them at the end (sandbox_stop), so this ends with
# CTest's summary. Run as root on Debian 12:  ./tests/run.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${TIDEWAY_BUILD_DIR:-$root/build}
jobs=$(nproc)

# The decoder tests read the shared fixture files in place: ../shared/fixtures beside the
# project. A clone made elsewhere (git clone /path/to/tideway /tmp/x) finds them beside
# the repository it was cloned from. TIDEWAY_FIXTURES_DIR overrides both.
fixtures=${TIDEWAY_FIXTURES_DIR:-$root/../shared/fixtures}
if [[ ! -d $fixtures && -z ${TIDEWAY_FIXTURES_DIR:-} ]]; then
  origin=$(git -C "$root" config --get remote.origin.url 2>/dev/null || true)
  if [[ -n $origin && -d $origin/../shared/fixtures ]]; then
    fixtures=$(cd "$origin/../shared/fixtures" && pwd)
  fi
fi
if [[ ! -d $fixtures ]]; then
  echo "tests/run.sh: warning: no fixture folder at $fixtures; the binlog and pgoutput" \
       "decoder tests will fail. Put the shared fixtures at ../shared/fixtures beside the" \
       "project or set TIDEWAY_FIXTURES_DIR." >&2
fi

"$root/deploy/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIDEWAY_WERROR=ON \
  -DTIDEWAY_FIXTURES_DIR="$fixtures"
cmake --build "$build" --parallel "$jobs"
cd "$build"
exec ctest --output-on-failure --parallel "$jobs" --timeout 900
