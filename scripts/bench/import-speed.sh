#!/usr/bin/env bash
# Import speed (issue 9): `scaleup import odk` (release build) of ROWS generated ODK Central
# submissions (a client and a PHQ-9 screening each, scripts/bench/odk-bench.mapping.toml)
# into a small demo database, on SQLite and on PostgreSQL, then the same file again (every
# record unchanged). Beside it, the floor of merely loading the same CSV into a table: sqlite3's
# `.import` and PostgreSQL's `COPY` (no validation, scoring, alerts or audit).
# Usage: SCALEUP_BENCH_POSTGRES=postgres://user:pw@host/postgres scripts/bench/import-speed.sh [ROWS]
#   (default 20000; the PostgreSQL role must be allowed to create databases). Scratch files go to
#   bench-out/import-speed/.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS="${1:-20000}"
OUT=bench-out/import-speed
BIN="${SCALEUP_BIN:-target/release/scaleup}"
PG="${SCALEUP_BENCH_POSTGRES:?set SCALEUP_BENCH_POSTGRES to a PostgreSQL URL}"
mkdir -p "$OUT"
CARGO_INCREMENTAL=0 cargo build -q --release -p scaleup
# The mapping and the generator of the memory benchmarks: one definition of the workload.
cp scripts/bench/odk-bench.mapping.toml "$OUT/mapping.toml"
python3 scripts/bench/odk_csv.py "$OUT/big.csv" $(( ROWS / 4000 + 1 )) 2> /dev/null
head -n $((ROWS + 1)) "$OUT/big.csv" > "$OUT/rows.csv"
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc -l; }
rate() { printf '%.0f' "$(echo "$1 / $2" | bc -l)"; }
echo "machine: $(lscpu | grep 'Model name' | sed 's/Model name: *//'), $(nproc) cores; $(date -u +%Y-%m-%d); $ROWS rows, $((ROWS * 2)) records"
echo
echo "| backend | import (s) | records/s | same file again (s) | load the CSV only (s) |"
echo "|---|---|---|---|---|"
run() {
  local backend="$1" db="$2"; shift 2
  local t0 t1 first again
  t0=$(now)
  "$@" "$BIN" import odk "$OUT/rows.csv" --mapping "$OUT/mapping.toml" --db "$db" --as ke.c001 --today 2026-06-15 > "$OUT/$backend-1.out"
  first=$(since "$t0")
  t1=$(now)
  "$@" "$BIN" import odk "$OUT/rows.csv" --mapping "$OUT/mapping.toml" --db "$db" --as ke.c001 --today 2026-06-15 > "$OUT/$backend-2.out"
  again=$(since "$t1")
  echo "$backend $first $again"
}
# SQLite.
rm -f "$OUT/demo.sqlite"*
"$BIN" demo --clients 60 --seed 5 --today 2026-06-15 --db "$OUT/demo.sqlite" > /dev/null 2>&1
read -r _ s_first s_again < <(run sqlite "$OUT/demo.sqlite" env)
rm -f "$OUT/floor.sqlite"
t0=$(now); sqlite3 "$OUT/floor.sqlite" ".mode csv" ".import $OUT/rows.csv rows"; s_floor=$(since "$t0")
printf '| SQLite | %.1f | %s | %.1f | %.2f |\n' "$s_first" "$(rate $((ROWS * 2)) "$s_first")" "$s_again" "$s_floor"
# PostgreSQL: a fresh database for the demo, another for the floor.
base="${PG%/*}"
q() { PGOPTIONS="-c client_min_messages=warning" psql -q "$PG" -c "$1"; }
q "DROP DATABASE IF EXISTS scaleup_bench_import WITH (FORCE)"; q "CREATE DATABASE scaleup_bench_import"
rm -f "$OUT/pg.key"; "$BIN" key generate --out "$OUT/pg.key" > /dev/null 2>&1
SCALEUP_KEY_FILE="$OUT/pg.key" "$BIN" demo --clients 60 --seed 5 --today 2026-06-15 --db "$base/scaleup_bench_import" > /dev/null
read -r _ p_first p_again < <(run postgres "$base/scaleup_bench_import" env SCALEUP_KEY_FILE="$OUT/pg.key")
header=$(head -1 "$OUT/rows.csv" | sed 's/[^,]*/"&" TEXT/g')
psql -q "$base/scaleup_bench_import" -c "CREATE TABLE import_floor ($header)"
t0=$(now); psql -q "$base/scaleup_bench_import" -c "\\copy import_floor FROM '$OUT/rows.csv' WITH (FORMAT csv, HEADER true)"; p_floor=$(since "$t0")
q "DROP DATABASE IF EXISTS scaleup_bench_import WITH (FORCE)"
printf '| PostgreSQL | %.1f | %s | %.1f | %.2f |\n' "$p_first" "$(rate $((ROWS * 2)) "$p_first")" "$p_again" "$p_floor"
echo
echo "SQLite first import: $(tail -1 "$OUT/sqlite-1.out")"
echo "SQLite again: $(tail -1 "$OUT/sqlite-2.out")"
echo "PostgreSQL first import: $(tail -1 "$OUT/postgres-1.out")"
echo "PostgreSQL again: $(tail -1 "$OUT/postgres-2.out")"
