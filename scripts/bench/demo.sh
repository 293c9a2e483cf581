#!/bin/sh
# Times `scaleup demo` (release build) at several sizes and reports wall time, peak RSS and the
# size of the SQLite database (file plus WAL). Usage: scripts/bench/demo.sh [CLIENTS...]
# Default sizes: 10000 (the default of `scaleup demo`) and 100000. Writes into a temporary
# directory that is removed afterwards.
set -eu
cd "$(dirname "$0")/../.."
cargo build --release -p scaleup >/dev/null
BIN="$PWD/target/release/scaleup"
SIZES="${*:-10000 100000}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "machine: $(lscpu | grep 'Model name' | sed 's/Model name: *//'), $(nproc) cores; $(date -u +%Y-%m-%d)"
for n in $SIZES; do
    db="$WORK/demo-$n.sqlite"
    start=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "$WORK/rss" "$BIN" demo --db "$db" --clients "$n" --seed 1 --json >"$WORK/out.json" 2>"$WORK/err"
    end=$(date +%s.%N)
    size=$(du -cb "$db"* | tail -1 | cut -f1)
    records=$(sqlite3 "$db" 'SELECT COUNT(*) FROM records' 2>/dev/null || echo '?')
    printf 'clients %8s  records %9s  wall %7.1f s  peak RSS %6d MB  db %8.1f MB\n' \
        "$n" "$records" "$(echo "$end - $start" | bc)" "$(($(cat "$WORK/rss") / 1024))" \
        "$(echo "$size / 1048576" | bc -l)"
done
