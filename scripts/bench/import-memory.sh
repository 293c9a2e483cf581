#!/usr/bin/env bash
# Peak memory of `scaleup import odk` on a generated ODK Central export (issue 9: a 1 GB export
# must need far less than 1 GB). Builds a demo database, writes a submission CSV of about
# SIZE_MB megabytes (client + PHQ-9 screening per row, scripts/bench/odk-bench.mapping.toml, the mapping of
# crates/scaleup/tests/import_cli.rs), and runs the import under /usr/bin/time -v:
#   - a --dry-run over the whole file (every row read, mapped, checked against the record
#     rules, and looked up in the store by batch), and
#   - a real import of the first REAL_ROWS rows (pushed through Store::push in batches).
# Usage: scripts/bench/import-memory.sh [SIZE_MB] [REAL_ROWS]   (default 1024 and 20000)
# Output and scratch files go to bench-out/import-memory/.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE_MB="${1:-1024}"
REAL_ROWS="${2:-20000}"
OUT=bench-out/import-memory
BIN="${SCALEUP_BIN:-target/release/scaleup}"
mkdir -p "$OUT"
if [ ! -x "$BIN" ]; then
  CARGO_INCREMENTAL=0 cargo build -q --release -p scaleup
fi
rm -f "$OUT/demo.sqlite" "$OUT/demo.sqlite.key"
"$BIN" demo --clients 60 --seed 5 --today 2026-06-15 --db "$OUT/demo.sqlite" > /dev/null
cp scripts/bench/odk-bench.mapping.toml "$OUT/mapping.toml"
python3 scripts/bench/odk_csv.py "$OUT/big.csv" "$SIZE_MB"
head -n $((REAL_ROWS + 1)) "$OUT/big.csv" > "$OUT/real.csv"
measure() {
  local label="$1"; shift
  /usr/bin/time -v "$@" > "$OUT/$label.out" 2> "$OUT/$label.time"
  local rss secs
  rss=$(grep "Maximum resident set size" "$OUT/$label.time" | awk '{print $6}')
  secs=$(grep "Elapsed (wall clock)" "$OUT/$label.time" | awk '{print $8}')
  echo "$label: peak RSS $((rss / 1024)) MiB, wall $secs; $(tail -1 "$OUT/$label.out")"
}
echo "file: $(du -m "$OUT/big.csv" | cut -f1) MB; machine: $(nproc) cores, $(uname -m); $(date -u +%Y-%m-%d)"
measure dry-run "$BIN" import odk "$OUT/big.csv" --mapping "$OUT/mapping.toml" --db "$OUT/demo.sqlite" --as ke.c001 --today 2026-06-15 --dry-run
measure real "$BIN" import odk "$OUT/real.csv" --mapping "$OUT/mapping.toml" --db "$OUT/demo.sqlite" --as ke.c001 --today 2026-06-15
measure replay "$BIN" import odk "$OUT/real.csv" --mapping "$OUT/mapping.toml" --db "$OUT/demo.sqlite" --as ke.c001 --today 2026-06-15
