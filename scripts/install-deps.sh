#!/usr/bin/env bash
# Installs, as root with apt-get, whatever Red Passbook needs to build and test on Debian 12.
# Safe to run again: packages already present are left alone.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  librocksdb-dev rocksdb-tools
  libboost1.81-dev libboost-test1.81-dev
  libcereal-dev libssl-dev libsodium-dev
  libabsl-dev  # node_hash_map for the state tables in memory (ledger/src/state.h says why)
  libjemalloc-dev  # the allocator of passbookd and passbook (CMakeLists.txt says why)
  clang clang-tidy clang-format libclang-rt-14-dev
  llvm  # llvm-symbolizer: file:line in fuzzer and sanitizer reports (clang only recommends it)
  python3 openssl
  # The street's printable pages are rendered in a test (tests/street/render_test.cpp), with
  # fonts that have Chinese in them.
  chromium fonts-noto-cjk
)
# Benchmarks only (bench/): Google Benchmark, PostgreSQL 15 and libpq for bench/compare-postgres.
# Opt-in, so that building and testing never need PostgreSQL.
if [[ "${PASSBOOK_WITH_BENCH:-0}" == 1 ]]; then
  packages+=(libbenchmark-dev postgresql postgresql-15 libpq-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) != 0 ]]; then
  echo "These packages are missing: ${missing[*]}" >&2
  echo "Run this script as root (or with sudo) to install them." >&2
  exit 1
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
