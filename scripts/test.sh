#!/usr/bin/env bash
# Every test: installs what is missing, then builds and runs the whole suite twice, optimised
# (release, invariant checks on) and under AddressSanitizer + UndefinedBehaviorSanitizer; then
# (issue 7) fuzzes every libFuzzer target for a bounded time (scripts/fuzz.sh), runs the server,
# client and ledger commit tests under ThreadSanitizer (scripts/tsan.sh) and clang-tidy over
# the code we own (scripts/tidy.sh). Each step's time is printed at the end.
#
# PASSBOOK_SKIP="fuzz tsan tidy" leaves out any of the last three (for a quick local run; CI
# runs everything). PASSBOOK_FUZZ_SECONDS sets the fuzzing time per target (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
start=$(date +%s)
times=()
step_start=0
begin() { echo "== $1"; step_start=$(date +%s); }
finish() { times+=("$(printf '%-12s %5d s' "$1" $(( $(date +%s) - step_start )))"); }
skipped() { [[ " ${PASSBOOK_SKIP:-} " == *" $1 "* ]]; }

for preset in release asan; do
  begin "$preset: build"
  scripts/build.sh "$preset"
  finish "$preset build"
  begin "$preset: test"
  ctest --preset "$preset" -j "$(nproc)" --timeout 900
  finish "$preset test"
done
if ! skipped fuzz; then
  begin "fuzz: libFuzzer targets under ASan + UBSan"
  scripts/fuzz.sh
  finish "fuzz"
fi
if ! skipped tsan; then
  begin "tsan: server, client and ledger commit tests under ThreadSanitizer"
  scripts/tsan.sh
  finish "tsan"
fi
if ! skipped tidy; then
  begin "clang-tidy"
  scripts/tidy.sh
  finish "tidy"
fi
printf '   %s\n' "${times[@]}"
echo "== all tests passed in $(( $(date +%s) - start )) s"
