#!/usr/bin/env bash
# The main job on an embedded default: installs what is missing, builds, fills a local data
# directory with the demo street (once), verifies it, serves it with passbookd on loopback, and
# talks to the server the way a branch office and an auditor would. Then it stops the server
# cleanly. With --serve it keeps serving in the foreground until Ctrl-C.
#   PASSBOOK_DATA  the data directory (default: ./passbook-data)
#   PASSBOOK_PORT  the loopback port (default: 7411)
set -euo pipefail
cd "$(dirname "$0")/.."
serve=0
[[ "${1:-}" == "--serve" ]] && serve=1
scripts/install-deps.sh
scripts/build.sh release passbook passbookd
bin=build/release
passbook=$bin/client/cli/passbook
passbookd=$bin/server/passbookd
data="${PASSBOOK_DATA:-passbook-data}"
port="${PASSBOOK_PORT:-7411}"
if [[ ! -d "$data/db" ]]; then
  "$passbook" demo --data "$data"
fi
"$passbook" verify --data "$data"

if ((serve)); then
  exec "$passbookd" --data "$data" --listen "127.0.0.1:$port"
fi

export XDG_STATE_HOME="$data/client-state"   # the clients' trust files, kept with the demo
"$passbookd" --data "$data" --listen "127.0.0.1:$port" 2>"$data/passbookd.log" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  "$passbook" info --server "127.0.0.1:$port" --key "$data/keys/auditor.key" >/dev/null 2>&1 && break
  sleep 0.1
done
remote=(--server "127.0.0.1:$port")
echo
echo "== passbookd is serving $data on 127.0.0.1:$port"
"$passbook" info "${remote[@]}" --key "$data/keys/auditor.key"
volunteer=$("$passbook" accounts "${remote[@]}" --key "$data/keys/branch-yzs-1-secretary.key" | awk 'NR==3 {print $1}')
echo
echo "== the branch secretary of yzs-1 records an hour of patrol for $volunteer (through the server)"
"$passbook" credit "${remote[@]}" --key "$data/keys/branch-yzs-1-secretary.key" \
  --account "$volunteer" --category patrol --minutes 60 --date "$(TZ=Asia/Shanghai date +%F)"
echo
echo "== $volunteer's passbook"
"$passbook" history "$volunteer" "${remote[@]}" --key "$data/keys/branch-yzs-1-secretary.key" | tail -n 5
echo
echo "== the district auditor downloads and verifies the whole chain"
"$passbook" audit "${remote[@]}" --key "$data/keys/auditor.key"
kill -TERM $server
wait $server
trap - EXIT
echo
echo "passbookd stopped cleanly (log: $data/passbookd.log). To keep it running: scripts/run.sh --serve"
