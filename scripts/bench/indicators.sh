#!/bin/sh
# Indicator benchmark: for demo databases of each size, scaleup's full recomputation of the
# indicator facts, its dashboard queries and the push-to-fresh latency of one new record
# (crates/scaleup-storage/benches/indicators.rs), its peak memory (`scaleup indicators`), and
# DuckDB (installed from PyPI into a venv here, never linked) computing the contract indicators
# with equivalent SQL over the same data exported to Parquet (scripts/bench/indicators_duckdb.py).
#
# Usage: scripts/bench/indicators.sh [CLIENTS...]   (default: 10000 100000)
# Environment:
#   SCALEUP_BENCH_DEMO_DIR=DIR   use DIR/demo-N.sqlite (and its .key) when it exists instead of
#                                building it (a 1M demo takes about half an hour); the run adds
#                                5 clients to it and rebuilds its facts, nothing else
#   SCALEUP_BENCH_POSTGRES=URL   also run scaleup on PostgreSQL (URL of a role that may create
#                                databases): per size in SCALEUP_BENCH_POSTGRES_SIZES (default
#                                10000 100000) the same demo (same seed, so the same people and
#                                records) is built into a fresh database, measured, and dropped
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
get() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
echo "machine: $(lscpu | grep 'Model name' | sed 's/Model name: *//'), $(nproc) cores; $(date -u +%Y-%m-%d)"
echo
echo "| clients | backend | programme | scaleup rebuild (s) | scaleup all 57 indicators (ms) | scaleup contract codes (ms) | scaleup contract by month (ms) | scaleup push (ms) | push → fresh (ms) | scaleup peak RSS (MB) | DuckDB raw records (ms) | DuckDB facts (ms) | DuckDB peak RSS (MB) | DuckDB facts ÷ scaleup contract |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for n in $SIZES; do
    kept="${SCALEUP_BENCH_DEMO_DIR:-}/demo-$n.sqlite"
    if [ -n "${SCALEUP_BENCH_DEMO_DIR:-}" ] && [ -f "$kept" ]; then
        db="$kept"
    else
        db="$WORK/demo-$n.sqlite"
        "$BIN" demo --db "$db" --clients "$n" --seed 1 --json >/dev/null 2>"$WORK/err"
    fi
    code=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT p.code FROM programmes p JOIN programme_sites s ON s.programme_id = p.id GROUP BY p.code ORDER BY COUNT(*) DESC, p.code LIMIT 1\").fetchone()[0])" "$db")
    /usr/bin/time -f '%M' -o "$WORK/rss" "$BIN" indicators --db "$db" --programme "$code" --rebuild --format json >/dev/null 2>"$WORK/err"
    rss=$(($(cat "$WORK/rss") / 1024))
    line=$(SCALEUP_BENCH_DB="$db" SCALEUP_BENCH_PROGRAMME="$code" cargo bench -q -p scaleup-storage --bench indicators 2>/dev/null | grep '^clients=')
    mkdir -p "$WORK/duck-$n"
    duck=$("$WORK/venv/bin/python" scripts/bench/indicators_duckdb.py "$db" "$code" "$WORK/duck-$n")
    contract=$(get "$line" contract_ms)
    facts=$(get "$duck" facts_ms)
    printf '| %s | SQLite | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f |\n' \
        "$n" "$code" "$(get "$line" rebuild_s)" "$(get "$line" all_indicators_ms)" "$contract" \
        "$(get "$line" contract_by_month_ms)" \
        "$(get "$line" push_ms)" "$(get "$line" push_to_fresh_ms)" "$rss" \
        "$(get "$duck" raw_ms)" "$facts" "$(get "$duck" peak_mb)" \
        "$(echo "$facts / $contract" | bc -l)"
    echo "<!-- $n SQLite: $line; $duck -->"
    if [ -n "${SCALEUP_BENCH_POSTGRES:-}" ] && echo " ${SCALEUP_BENCH_POSTGRES_SIZES:-10000 100000} " | grep -q " $n "; then
        name="scaleup_bench_indicators_$n"
        base="${SCALEUP_BENCH_POSTGRES%/*}"
        PGOPTIONS="-c client_min_messages=warning" psql -q "$SCALEUP_BENCH_POSTGRES" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name"
        pg="$base/$name"
        "$BIN" key generate --out "$WORK/pg-$n.key" >/dev/null 2>&1
        SCALEUP_KEY_FILE="$WORK/pg-$n.key" "$BIN" demo --db "$pg" --clients "$n" --seed 1 --json >/dev/null 2>"$WORK/err"
        SCALEUP_KEY_FILE="$WORK/pg-$n.key" /usr/bin/time -f '%M' -o "$WORK/rss" "$BIN" indicators --db "$pg" --programme "$code" --rebuild --format json >/dev/null 2>"$WORK/err"
        rss=$(($(cat "$WORK/rss") / 1024))
        pline=$(SCALEUP_KEY_FILE="$WORK/pg-$n.key" SCALEUP_BENCH_DB="$pg" SCALEUP_BENCH_PROGRAMME="$code" cargo bench -q -p scaleup-storage --bench indicators 2>/dev/null | grep '^clients=')
        pcontract=$(get "$pline" contract_ms)
        printf '| %s | PostgreSQL | %s | %s | %s | %s | %s | %s | %s | %s (scaleup only) | %s | %s | %s | %.1f |\n' \
            "$n" "$code" "$(get "$pline" rebuild_s)" "$(get "$pline" all_indicators_ms)" "$pcontract" \
            "$(get "$pline" contract_by_month_ms)" \
            "$(get "$pline" push_ms)" "$(get "$pline" push_to_fresh_ms)" "$rss" \
            "$(get "$duck" raw_ms)" "$facts" "$(get "$duck" peak_mb)" \
            "$(echo "$facts / $pcontract" | bc -l)"
        echo "<!-- $n PostgreSQL: $pline -->"
        psql -q "$SCALEUP_BENCH_POSTGRES" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)"
    fi
    [ "$db" = "$kept" ] || rm -f "$db"*
    rm -rf "$WORK/duck-$n"
done
