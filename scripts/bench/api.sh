#!/usr/bin/env bash
# API latency (p50/p99) under a concurrent load generator and the server's peak memory, on a
# demo database, all on loopback. Usage: CLIENTS=1000000 scripts/bench/api.sh
# Needs wrk (Debian package `wrk`). Prints Markdown rows for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
CLIENTS=${CLIENTS:-3000}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-16}
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p scaleup
B=$PWD/target/release/scaleup
dir=${BENCH_DIR:-$(mktemp -d)}
db=$dir/bench-$CLIENTS.sqlite
if [[ ! -f $db ]]; then
  /usr/bin/time -f "demo build: %e s, peak RSS %M KB" "$B" demo --db "$db" --clients "$CLIENTS" --seed 1 --json > "$dir/accounts-$CLIENTS.json"
fi
"$B" serve --db "$db" --addr 127.0.0.1:0 > "$dir/serve.out" 2>"$dir/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q http "$dir/serve.out" && break; sleep 0.2; done
url=$(grep -o 'http://[0-9.:]*' "$dir/serve.out")
account() { python3 -c "import json,sys; a=[x for x in json.load(open('$dir/accounts-$CLIENTS.json'))['accounts'] if x['role']=='$1'][0]; print(a['username'], a['password'])"; }
token() {
  read -r u p < <(account "$1")
  curl -s "$url/api/v1/auth/login" -H 'content-type: application/json' -d "{\"username\":\"$u\",\"password\":\"$p\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
tc=$(token counsellor); ts=$(token supervisor); tm=$(token hub_manager); tr=$(token researcher); tv=$(token viewer)
echo "| endpoint (role) | requests/s | p50 | p99 |"
echo "|---|---|---|---|"
run() {
  local label=$1 tok=$2 path=$3
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency -H "Authorization: Bearer $tok" -H 'Accept-Encoding: gzip' "$url$path")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errors=$(echo "$out" | grep -E 'Non-2xx|Socket errors' || true)
  echo "| GET $path ($label) | $rps | $p50 | $p99 | ${errors}"
}
run counsellor "$tc" "/api/v1/clients?limit=50"
run counsellor "$tc" "/api/v1/sync?limit=500"
run researcher "$tr" "/api/v1/clients?limit=100"
run viewer "$tv" "/api/v1/summary?from=2025-01-01&to=2025-03-31"
run counsellor "$tc" "/api/v1/caseload"
run supervisor "$ts" "/api/v1/caseload"
run "hub manager" "$tm" "/api/v1/caseload?limit=500"
run counsellor "$tc" "/api/v1/health"
echo
echo "server peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status) (database: $(du -h "$db" | cut -f1), $CLIENTS clients)"
