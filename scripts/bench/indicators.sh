#!/bin/sh
# Indicator benchmark: for demo databases of each size, scaleup's full recomputation of the
# indicator facts, its dashboard queries and the push-to-fresh latency of one new record
# (crates/scaleup-storage/benches/indicators.rs), its peak memory (`scaleup indicators`), and
# DuckDB (installed from PyPI into a venv here, never linked) computing the contract indicators
# with equivalent SQL over the same data exported to Parquet (scripts/bench/indicators_duckdb.py).
# Usage: scripts/bench/indicators.sh [CLIENTS...]   (default: 10000 100000)
# Prints Markdown rows for docs/benchmarks.md. Writes into a temporary directory removed after.
set -eu
cd "$(dirname "$0")/../.."
cargo build --release -p scaleup >/dev/null 2>&1
cargo bench -p scaleup-storage --bench indicators --no-run >/dev/null 2>&1
BIN="$PWD/target/release/scaleup"
SIZES="${*:-10000 100000}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q duckdb
echo "machine: $(lscpu | grep 'Model name' | sed 's/Model name: *//'), $(nproc) cores; $(date -u +%Y-%m-%d)"
echo
echo "| clients | programme | scaleup rebuild (s) | scaleup all 57 indicators (ms) | scaleup contract codes (ms) | scaleup contract by month (ms) | scaleup push (ms) | push → fresh (ms) | scaleup peak RSS (MB) | DuckDB raw records (ms) | DuckDB facts (ms) | DuckDB peak RSS (MB) | DuckDB facts ÷ scaleup contract |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for n in $SIZES; do
    db="$WORK/demo-$n.sqlite"
    "$BIN" demo --db "$db" --clients "$n" --seed 1 --json >/dev/null 2>"$WORK/err"
    code=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT p.code FROM programmes p JOIN programme_sites s ON s.programme_id = p.id GROUP BY p.code ORDER BY COUNT(*) DESC, p.code LIMIT 1\").fetchone()[0])" "$db")
    /usr/bin/time -f '%M' -o "$WORK/rss" "$BIN" indicators --db "$db" --programme "$code" --rebuild --format json >/dev/null 2>"$WORK/err"
    rss=$(($(cat "$WORK/rss") / 1024))
    line=$(SCALEUP_BENCH_DB="$db" SCALEUP_BENCH_PROGRAMME="$code" cargo bench -q -p scaleup-storage --bench indicators 2>/dev/null | grep '^clients=')
    mkdir -p "$WORK/duck-$n"
    duck=$("$WORK/venv/bin/python" scripts/bench/indicators_duckdb.py "$db" "$code" "$WORK/duck-$n")
    get() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
    contract=$(get "$line" contract_ms)
    facts=$(get "$duck" facts_ms)
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f |\n' \
        "$n" "$code" "$(get "$line" rebuild_s)" "$(get "$line" all_indicators_ms)" "$contract" \
        "$(get "$line" contract_by_month_ms)" \
        "$(get "$line" push_ms)" "$(get "$line" push_to_fresh_ms)" "$rss" \
        "$(get "$duck" raw_ms)" "$facts" "$(get "$duck" peak_mb)" \
        "$(echo "$facts / $contract" | bc -l)"
    echo "<!-- $n: $line; $duck -->"
    rm -f "$db"* && rm -rf "$WORK/duck-$n"
done
