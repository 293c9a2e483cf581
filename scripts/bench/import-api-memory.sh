#!/usr/bin/env bash
# Peak memory of `scaleup serve` while it imports a large ODK Central export through the API
# (issue 9: POST /api/v1/imports/odk as multipart/form-data is spooled to a temporary file and
# read from there a row at a time, so memory should not follow the upload's size).
# Builds a demo database, writes a submission CSV of about SIZE_MB megabytes
# (scripts/bench/odk_csv.py, scripts/bench/odk-bench.mapping.toml), and for each run starts a fresh
# server under /usr/bin/time -v, uploads with curl as the counsellor ke.c001, and stops it:
#   - idle: the server started, one sign-in, no import (the baseline);
#   - dry-run: the whole file with dry_run=true (read, mapped, checked, looked up per batch);
#   - real: the first REAL_ROWS rows imported (pushed through Store::push in batches);
#   - replay: the same rows again (unchanged).
# Usage: scripts/bench/import-api-memory.sh [SIZE_MB] [REAL_ROWS]   (default 200 and 20000)
# Output and scratch files go to bench-out/import-api-memory/.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE_MB="${1:-200}"
REAL_ROWS="${2:-20000}"
OUT=bench-out/import-api-memory
BIN="${SCALEUP_BIN:-target/release/scaleup}"
PORT="${PORT:-8473}"
URL="http://127.0.0.1:$PORT"
mkdir -p "$OUT"
if [ ! -x "$BIN" ]; then
  CARGO_INCREMENTAL=0 cargo build -q --release -p scaleup
fi
rm -f "$OUT/demo.sqlite" "$OUT/demo.sqlite.key"
"$BIN" demo --clients 60 --seed 5 --today 2026-06-15 --db "$OUT/demo.sqlite" --json > "$OUT/accounts.json"
PASSWORD=$(python3 -c 'import json,sys; print(next(a["password"] for a in json.load(open(sys.argv[1]))["accounts"] if a["username"] == "ke.c001"))' "$OUT/accounts.json" 2>/dev/null || true)
if [ -z "$PASSWORD" ]; then
  echo "the demo has no account ke.c001" >&2
  exit 1
fi
cp scripts/bench/odk-bench.mapping.toml "$OUT/mapping.toml"
python3 scripts/bench/odk_csv.py "$OUT/big.csv" "$SIZE_MB"
head -n $((REAL_ROWS + 1)) "$OUT/big.csv" > "$OUT/real.csv"

# One server per run, so each peak belongs to one upload. Only the server this script started
# is stopped, by its process id.
measure() {
  local label="$1" file="$2" dry="$3"
  /usr/bin/time -v "$BIN" serve --db "$OUT/demo.sqlite" --addr "127.0.0.1:$PORT" \
    > "$OUT/$label.server.out" 2> "$OUT/$label.time" &
  local timer=$!
  for _ in $(seq 1 100); do
    curl -sf "$URL/api/v1/health" > /dev/null && break
    sleep 0.2
  done
  local server
  server=$(pgrep -P "$timer")
  local token
  token=$(curl -sf -H 'content-type: application/json' \
    -d "{\"username\":\"ke.c001\",\"password\":\"$PASSWORD\"}" "$URL/api/v1/auth/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  local start end summary="(no upload)"
  start=$(date +%s.%N)
  if [ -n "$file" ]; then
    curl -sS -H "Authorization: Bearer $token" -F "dry_run=$dry" -F "file=@$file;type=text/csv" \
      -F "mapping=@$OUT/mapping.toml" "$URL/api/v1/imports/odk" > "$OUT/$label.json"
    summary=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("summary"))' "$OUT/$label.json")
  fi
  end=$(date +%s.%N)
  kill -TERM "$server"
  wait "$timer" || true
  local rss
  rss=$(grep "Maximum resident set size" "$OUT/$label.time" | awk '{print $6}')
  printf '%s: peak RSS %d MiB, upload and import %.0f s; %s\n' "$label" $((rss / 1024)) \
    "$(echo "$end - $start" | bc)" "$summary"
}
echo "file: $(du -m "$OUT/big.csv" | cut -f1) MB, $(($(wc -l < "$OUT/big.csv") - 1)) rows; machine: $(nproc) cores, $(uname -m); $(date -u +%Y-%m-%d)"
measure idle "" false
measure dry-run "$OUT/big.csv" true
measure real "$OUT/real.csv" false
measure replay "$OUT/real.csv" false
