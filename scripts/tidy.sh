#!/usr/bin/env bash
# clang-tidy (issue 7) with the checked-in .clang-tidy over every source file we own (schemas,
# ledger, server, client, bench), using the compile commands of preset tidy (clang 14, configure
# only: nothing is compiled). Findings in our headers count once, however many files include them.
#
# Fails on any finding and on any file that does not parse: the code is clean. A false positive
# or a deliberate choice is silenced on its line with // NOLINT(check): reason; a check we do not
# want is dropped in .clang-tidy with the reason.
#
#   scripts/tidy.sh [-j JOBS] [FILE...]
# All findings, with lines: build/tidy/findings.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
while getopts "j:" opt; do
  case "$opt" in
    j) jobs="$OPTARG" ;;
    *) echo "usage: $0 [-j JOBS] [FILE...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
start=$(date +%s)
tidy=$(command -v clang-tidy-14 || command -v clang-tidy)

# The benchmarks are configured (and checked) when their packages are installed.
bench=OFF
if [[ -f bench/CMakeLists.txt ]] && pkg-config --exists libpq 2>/dev/null &&
   [[ -f /usr/lib/x86_64-linux-gnu/cmake/benchmark/benchmarkConfig.cmake || -d /usr/lib/cmake/benchmark ]]; then
  bench=ON
fi
cmake --preset tidy -DPASSBOOK_BUILD_BENCH=$bench >/dev/null

out=build/tidy/out
rm -rf "$out"
mkdir -p "$out"
if (($# > 0)); then
  files=("$@")
else
  mapfile -t files < <(python3 - <<'PY'
import json, os
root = os.getcwd()
for entry in json.load(open("build/tidy/compile_commands.json")):
    path = os.path.relpath(os.path.join(entry["directory"], entry["file"]), root)
    if path.split(os.sep)[0] in ("schemas", "ledger", "server", "client", "bench"):
        print(path)
PY
  )
fi
echo "-- tidy: ${#files[@]} files (benchmarks $bench), $jobs at a time, $($tidy --version | grep -o 'version [0-9.]*')"
printf '%s\n' "${files[@]}" | sort -u |
  xargs -P "$jobs" -I{} sh -c \
    'o="$2/$(echo "$1" | tr / _).txt"; "$0" -p build/tidy --quiet "$1" >"$o" 2>&1; echo "__exit__ $? $1" >>"$o"' \
    "$tidy" {} "$out"

set +e
python3 - <<'PY'
import collections, glob, os, re, sys
root = os.getcwd()
pattern = re.compile(r"^(/[^:]+):(\d+):(\d+): (warning|error): (.*) \[([\w.,-]+)\]$")

findings = set()
errors = []
for path in sorted(glob.glob("build/tidy/out/*.txt")):
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("__exit__ "):
            # 0: clean or warnings only; 1: compiler errors (reported above); else clang-tidy died.
            _, code, source = line.split(" ", 2)
            if code not in ("0", "1"):
                errors.append(f"{source}: clang-tidy exited with {code} (see {path})")
            continue
        m = pattern.match(line)
        if not m:
            if ": error:" in line or line.startswith("Stack dump"):
                errors.append(line)
            continue
        file, row, col, _level, message, check = m.groups()
        # Compiler diagnostics (clang-diagnostic-*: clang 14 with our -Werror flags, e.g.
        # -Wsign-conversion, which gcc's -Wconversion leaves out) count as findings too.
        findings.add((os.path.relpath(file, root), int(row), int(col), check, message))
with open("build/tidy/findings.txt", "w") as f:
    for file, row, col, check, message in sorted(findings):
        f.write(f"{file}:{row}:{col}: {check}: {message}\n")

by_check = collections.Counter(f[3] for f in findings)
print(f"-- tidy: {len(findings)} findings")
for check, count in sorted(by_check.items(), key=lambda kv: (-kv[1], kv[0])):
    print(f"   {count:4d}  {check}")
if errors:
    print("-- tidy: files that do not parse:")
    for e in sorted(set(errors))[:40]:
        print("   " + e)
if findings:
    print("-- tidy: fix these, or NOLINT one on its line with the reason:")
    for f in sorted(findings):
        print(f"   {f[0]}:{f[1]}:{f[2]}: {f[4]} [{f[3]}]")
sys.exit(1 if (findings or errors) else 0)
PY
status=$?
set -e
echo "-- tidy: done in $(( $(date +%s) - start )) s"
exit $status
