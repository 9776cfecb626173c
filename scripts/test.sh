#!/usr/bin/env bash
# Every test: installs what is missing, then builds and runs the whole suite twice, optimised
# (release, invariant checks on) and under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
start=$(date +%s)
for preset in release asan; do
  echo "== $preset: build"
  scripts/build.sh "$preset"
  echo "== $preset: test"
  ctest --preset "$preset" -j "$(nproc)" --timeout 900
done
echo "== all tests passed in $(( $(date +%s) - start )) s"
