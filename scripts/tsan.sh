#!/usr/bin/env bash
# ThreadSanitizer (issue 7): builds the server, the client and the ledger with gcc
# -fsanitize=thread (preset tsan, build/tsan) and runs the suites where threads meet: the
# server's (sessions, the thread pool that checks signatures, group commit, shutdown), the
# ledger's commit tests (queries concurrent with commit, background snapshots), verify checking
# one batch of signatures while it walks the one before (verify_batches_test), and the CLI's
# remote mode (the real passbook against the real passbookd). The other CLI suites run the
# single-threaded local mode, whose ledger threads commit_test already covers: they are left out
# to keep CI short. Any report fails the run.
#
# RocksDB, OpenSSL, libsodium and Boost.Test are not instrumented; tests/tsan.supp suppresses
# only frames of those libraries, each entry with its reason.
#
#   scripts/tsan.sh [CTEST_ARGS...]     e.g. scripts/tsan.sh -R server_tests
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
targets=(server_tests ledger_tests cli_tests passbook passbookd)
echo "-- tsan: building ${targets[*]}"
scripts/build.sh tsan "${targets[@]}"

# halt_on_error: the first report fails the test that triggered it, with the report in its log.
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp ${TSAN_OPTIONS:-}"
echo "-- tsan: running (TSAN_OPTIONS=$TSAN_OPTIONS)"
if (($# == 0)); then
  set -- -R '^(server_tests\.|ledger_tests\.(commit_test|verify_batches_test)$|cli_tests\.remote_test$)'
fi
ctest --preset tsan -j "$(nproc)" --timeout 900 "$@"
echo "-- tsan: done in $(( $(date +%s) - start )) s"
