#!/usr/bin/env bash
# The main job on an embedded default: installs what is missing, builds, fills a local data
# directory with the demo street (once), verifies it, and prints one volunteer's passbook.
#   PASSBOOK_DATA  the data directory (default: ./passbook-data)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
passbook=build/release/client/cli/passbook
data="${PASSBOOK_DATA:-passbook-data}"
if [[ ! -d "$data/db" ]]; then
  "$passbook" demo --data "$data"
fi
"$passbook" verify --data "$data"
"$passbook" info --data "$data"
first=$("$passbook" accounts --data "$data" | awk 'NR==3 {print $1}')
echo
echo "The passbook of volunteer $first:"
"$passbook" history "$first" --data "$data"
