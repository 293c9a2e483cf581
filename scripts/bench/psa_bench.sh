#!/usr/bin/env bash
# PSA benchmark: Rust (scaleup-econ, examples/psa_bench.rs) against the vectorised numpy peer
# (scripts/bench/psa_numpy.py) on the same 10-state, 40-cycle model, in the same run.
#
#   scripts/bench/psa_bench.sh [DRAWS] [REPS]      (defaults: 100000 draws, 3 repetitions)
#
# Each engine runs REPS times under /usr/bin/time -v; the table reports the fastest wall time,
# the user+system CPU time of that run and the peak resident memory. Before timing, an
# exactness check recomputes 500 Rust draws (written by `scaleup econ psa --out`) in numpy
# from their parameter values.
set -euo pipefail
cd "$(dirname "$0")/../.."
DRAWS=${1:-100000}
REPS=${2:-3}
MODEL=crates/scaleup-econ/examples/psa_bench_model.toml
# The numpy peer runs in the benchmarks' own virtual environment (installed on first use).
source scripts/bench/python-env.sh numpy
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cargo build --release -q -p scaleup-econ --example psa_bench
cargo build -q -p scaleup --no-default-features
target/debug/scaleup econ psa --model "$MODEL" --draws 500 --seed 7 --wtp 0 \
  --out "$TMP/draws.csv" --format json >/dev/null
echo "exactness check: $("$PY" scripts/bench/psa_numpy.py check "$MODEL" "$TMP/draws.csv")"

measure() { # label, command...
  local label=$1; shift
  local best=""
  for _ in $(seq "$REPS"); do
    /usr/bin/time -v "$@" >"$TMP/out.json" 2>"$TMP/time.txt"
    local wall user sys rss
    wall=$(awk -F': ' '/Elapsed/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$TMP/time.txt")
    user=$(awk -F': ' '/User time/ {print $2}' "$TMP/time.txt")
    sys=$(awk -F': ' '/System time/ {print $2}' "$TMP/time.txt")
    rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$TMP/time.txt")
    local cpu
    cpu=$(echo "$user + $sys" | bc)
    if [ -z "$best" ] || (( $(echo "$wall < ${best%% *}" | bc) )); then
      best="$wall $cpu $rss"
      cp "$TMP/out.json" "$TMP/best_$label.json"
    fi
  done
  read -r wall cpu rss <<<"$best"
  printf '| %s | %s | %s | %.0f |\n' "$label" "$wall" "$cpu" "$(echo "$rss / 1024" | bc -l)"
  echo "$label $wall $cpu" >>"$TMP/summary.txt"
}

echo
echo "draws: $DRAWS, repetitions: $REPS, $(lscpu | grep 'Model name' | sed 's/  */ /g'), nproc $(nproc), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| engine | wall s (best) | CPU s (user+sys) | peak RSS MB |"
echo "|---|---|---|---|"
measure rust_1thread target/release/examples/psa_bench "$MODEL" "$DRAWS" 1 1
measure rust_2threads target/release/examples/psa_bench "$MODEL" "$DRAWS" 2 1
measure numpy "$PY" scripts/bench/psa_numpy.py run "$MODEL" "$DRAWS" 1
echo
awk '{w[$1]=$2; c[$1]=$3} END {
  printf "numpy / rust (1 thread): wall %.1fx, CPU %.1fx\n", w["numpy"]/w["rust_1thread"], c["numpy"]/c["rust_1thread"];
  printf "numpy / rust (2 threads): wall %.1fx\n", w["numpy"]/w["rust_2threads"] }' "$TMP/summary.txt"
echo
echo "means (rust vs numpy; different random streams, so they agree within Monte Carlo error):"
grep -ho '"mean_cost": \[[^]]*\], "mean_effect": \[[^]]*\]' "$TMP/best_rust_1thread.json" "$TMP/best_numpy.json"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
