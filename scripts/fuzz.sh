#!/usr/bin/env bash
# Fuzzing (issue 7): builds the libFuzzer targets of tests/fuzz (preset fuzz: clang 14, ASan +
# UBSan), then for each target
#   1. replays its seed corpus and every kept regression input (-runs=0): all must pass;
#   2. fuzzes it for a bounded time from those inputs, in a scratch corpus build/fuzz/work/TARGET
#      (the repository's corpora are never written);
#   3. on a crash, leak, timeout or out-of-memory: copies the input into
#      tests/fuzz/regressions/TARGET/ (commit it: every build replays it from then on as the
#      CTest test fuzz.TARGET.replay), prints it in base64 with the report, and fails.
# Prints executions, coverage and corpus size per target.
#
#   scripts/fuzz.sh [-t SECONDS] [-j JOBS] [TARGET...]
#     -t  seconds of fuzzing per target (default $PASSBOOK_FUZZ_SECONDS, else 20; fuzz_merkle twice that)
#     -j  targets fuzzed at once (default: the number of cores, at most 2)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${PASSBOOK_FUZZ_SECONDS:-20}"
jobs=$(( $(nproc) < 2 ? 1 : 2 ))
while getopts "t:j:" opt; do
  case "$opt" in
    t) seconds="$OPTARG" ;;
    j) jobs="$OPTARG" ;;
    *) echo "usage: $0 [-t SECONDS] [-j JOBS] [TARGET...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

# fuzz_merkle first: it gets twice the time (its inputs are whole trees, a few hundred a second),
# which with two targets at a time costs no more in total.
all_targets=(fuzz_merkle fuzz_frame fuzz_record fuzz_note fuzz_text fuzz_encoding fuzz_request)
declare -A weight=([fuzz_merkle]=2)
targets=("$@")
((${#targets[@]} > 0)) || targets=("${all_targets[@]}")

# Input size bounds: a little over the largest seed; bigger inputs only slow the search down.
declare -A max_len=(
  [fuzz_frame]=8192 [fuzz_record]=4096 [fuzz_note]=2048 [fuzz_merkle]=2700
  [fuzz_text]=1024 [fuzz_encoding]=1024 [fuzz_request]=512
)

start=$(date +%s)
echo "-- fuzz: building ${targets[*]}"
scripts/build.sh fuzz "${targets[@]}"
bin=build/fuzz/tests/fuzz
logs=build/fuzz/logs
rm -rf "$logs" build/fuzz/artifacts
mkdir -p "$logs"

# Runs one target (both steps); its log is $logs/TARGET.log, its result $logs/TARGET.result.
run_target() {
  local t="$1" seeds="tests/fuzz/corpus/$1" kept="tests/fuzz/regressions/$1"
  local work="build/fuzz/work/$t" artifacts="build/fuzz/artifacts/$t/" log="$logs/$t.log"
  mkdir -p "$work" "$artifacts" "$kept"
  local common=(-rss_limit_mb=2048 -timeout=25 -max_len="${max_len[$t]:-4096}"
                -artifact_prefix="$artifacts" -print_final_stats=1)
  if ! "$bin/$t" "${common[@]}" -runs=0 "$seeds" "$kept" >"$log" 2>&1; then
    echo "replay-failed" >"$logs/$t.result"
    return
  fi
  if "$bin/$t" "${common[@]}" -max_total_time=$((seconds * ${weight[$t]:-1})) "$work" "$seeds" "$kept" >>"$log" 2>&1; then
    echo "ok" >"$logs/$t.result"
  else
    echo "crashed" >"$logs/$t.result"
  fi
}

echo "-- fuzz: ${#targets[@]} targets, ${seconds} s each, ${jobs} at a time (ASan + UBSan)"
running=0
for t in "${targets[@]}"; do
  if [[ ! -x "$bin/$t" ]]; then
    echo "no fuzz target $t (known: ${all_targets[*]})" >&2
    exit 2
  fi
  run_target "$t" &
  running=$((running + 1))
  if ((running >= jobs)); then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

failed=0
printf '%-15s %-14s %12s %9s %8s %8s %8s\n' target result executions exec/s cov features corpus
for t in "${targets[@]}"; do
  log="$logs/$t.log"
  result=$(cat "$logs/$t.result" 2>/dev/null || echo "no-result")
  # The fuzzing run's numbers are the last ones in the log (the replay's come first).
  execs=$( (grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" || true) | tail -1 | awk '{print $2}')
  speed=$( (grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" || true) | tail -1 | awk '{print $2}')
  last=$( (grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" || true) | tail -1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.*corp: \([0-9]*\).*/\1/p' <<<"$last")
  printf '%-15s %-14s %12s %9s %8s %8s %8s\n' "$t" "$result" "${execs:--}" "${speed:--}" "${cov:--}" "${ft:--}" "${corp:--}"
  if [[ "$result" != ok ]]; then
    failed=1
  fi
done

for t in "${targets[@]}"; do
  result=$(cat "$logs/$t.result" 2>/dev/null || echo "no-result")
  [[ "$result" == ok ]] && continue
  echo
  echo "== $t: $result; the report ($logs/$t.log):"
  grep -E -A40 '==[0-9]+==ERROR|fuzz property violated|deadly signal|ERROR: libFuzzer' "$logs/$t.log" | head -60 || tail -40 "$logs/$t.log"
  shopt -s nullglob
  for input in build/fuzz/artifacts/"$t"/*; do
    name=$(basename "$input")
    cp "$input" "tests/fuzz/regressions/$t/$name"
    echo "-- kept as tests/fuzz/regressions/$t/$name (commit it); reproduce with"
    echo "   $bin/$t tests/fuzz/regressions/$t/$name"
    echo "-- the input, base64:"
    base64 -w 76 "$input" | head -40
  done
  shopt -u nullglob
done

echo "-- fuzz: done in $(( $(date +%s) - start )) s"
exit "$failed"
