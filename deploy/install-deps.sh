#!/usr/bin/env bash
# Installs everything tideway needs to build, test and run its demo, from Debian 12
# packages only. Idempotent: a second run installs nothing new and takes seconds.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config git
  libboost-dev libboost-system-dev libpq-dev libmariadb-dev librocksdb-dev
  prometheus-cpp-dev libfmt-dev catch2 nlohmann-json3-dev libyaml-cpp-dev
  libsystemd-dev libzstd-dev zlib1g-dev libssl-dev
  # test and demo: the real servers, their clients, promtool, systemd-analyze
  postgresql-15 postgresql-client-15 postgresql-contrib
  mariadb-server mariadb-client
  prometheus curl jq procps systemd
  # the TLS test makes its throwaway certificates and checks what is served
  openssl
  # the MariaDB workload test (sysbench oltp_read_write) and the MariaDB full-load
  # benchmark's peer tool (mydumper/myloader)
  sysbench mydumper
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run this script as root to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Package post-install scripts must not start system-wide database services: the
# sandbox runs its own servers on its own ports.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
