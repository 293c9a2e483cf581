#!/usr/bin/env bash
# LMM benchmark: REML fit of y ~ x + (1 + x | g), 1,000 groups, at 10k, 100k and 1M
# observations; scaleup (release build, end to end from the CSV), lme4 (Rscript) and
# statsmodels MixedLM (python3) on the same CSV files in the same run. Wall time and peak RSS
# of each whole process from /usr/bin/time -v; each tool also prints its own read/fit split.
#
# Usage: scripts/bench/lmm.sh [SIZES...]   (default: 10000 100000 1000000)
#        NESTED_ONLY=1 scripts/bench/lmm.sh  (only the nested comparison at the end)
# Needs: R with lme4, python3 (statsmodels and pandas are installed into the benchmarks' own
# virtual environment, scripts/bench/python-env.sh), /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The statsmodels peer runs in the benchmarks' own virtual environment (installed on first use).
source scripts/bench/python-env.sh pandas statsmodels
sizes=("${@:-10000 100000 1000000}")
read -r -a sizes <<<"${sizes[*]}"
work=${LMM_BENCH_DIR:-/tmp/scaleup-lmm-bench}
mkdir -p "$work"

cargo build --release -p scaleup --no-default-features --quiet
cargo bench -p scaleup-stats --bench lmm --no-run --quiet 2>/dev/null
bench_bin=$(ls -t target/release/deps/lmm-* | grep -v '\.d$' | head -1)
scaleup=target/release/scaleup

measure() { # label, command...: prints "label seconds peak_MiB" and the tool's own line
  local label=$1; shift
  local log="$work/time.log"
  local out
  out=$(/usr/bin/time -v "$@" 2>"$log") || { echo "$label FAILED"; cat "$log"; return; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" |
    awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
  if [ "$label" = scaleup ]; then
    out=$(echo "$out" | python3 -c 'import json,sys; v=json.load(sys.stdin); fe=v["fixed_effects"]; print("logLik %.4f, fixef %.6f %.6f, converged %s, singular %s, %d evaluations" % (v["log_likelihood"], fe[0]["estimate"], fe[1]["estimate"], v["converged"], v["singular"], v["evaluations"]))')
  fi
  printf '%-12s %8s s %7s MiB   %s\n' "$label" "$wall" "$rss" "$(echo "$out" | head -c 300 | tr '\n' ' ')"
}

echo "machine: $(lscpu | grep 'Model name' | sed 's/ *Model name: *//'), $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
[ -n "${NESTED_ONLY:-}" ] && sizes=()
for n in "${sizes[@]}"; do
  csv="$work/lmm_$n.csv"
  [ -f "$csv" ] || "$bench_bin" --csv "$csv" --n "$n" --groups 1000
  echo "== n=$n, 1000 groups ($(du -h "$csv" | cut -f1))"
  measure scaleup "$scaleup" stats lmm --data "$csv" --formula 'y ~ x + (1 + x | g)' --format json
  measure lme4 Rscript scripts/bench/lmm_lme4.R "$csv"
  measure statsmodels "$PY" scripts/bench/lmm_statsmodels.py "$csv"
done

# Second part: a three-level nested model (40,000 rows; 50 facilities, 500 counsellors,
# 10,000 clients), scaleup against lme4 (statsmodels MixedLM has no nested crossed-term syntax
# short of variance components, so it is left out here).
csv="$work/lmm_nested.csv"
[ -f "$csv" ] || "$bench_bin" --nested-csv "$csv"
echo "== nested: y ~ x + (1 | facility/counsellor/client), 40000 rows"
measure scaleup "$scaleup" stats lmm --data "$csv" --formula 'y ~ x + (1 | facility/counsellor/client)' --format json
measure lme4 Rscript scripts/bench/lmm_lme4.R "$csv" nested
