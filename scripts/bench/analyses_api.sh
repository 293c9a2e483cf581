#!/usr/bin/env bash
# The LMM benchmark's model over HTTP: REML fit of y ~ x + (1 + x | g), 1,000 groups, sent as
# CSV to POST /api/v1/analyses/lmm of a running server (curl, loopback), next to the same fit
# by the command line and by lme4 on the same files in the same run. Shows what the API path
# (upload, parse, fit on the blocking pool, JSON) adds to the fit itself.
#
# Usage: scripts/bench/analyses_api.sh [SIZES...]   (default: 10000 100000 1000000)
# Needs: R with lme4, curl, python3, /usr/bin/time. Reuses scripts/bench/lmm.sh's CSV files.
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=("${@:-10000 100000 1000000}")
read -r -a sizes <<<"${sizes[*]}"
work=${LMM_BENCH_DIR:-/tmp/scaleup-lmm-bench}
mkdir -p "$work"

cargo build --release -p scaleup --quiet
cargo bench -p scaleup-stats --bench lmm --no-run --quiet 2>/dev/null
bench_bin=$(ls -t target/release/deps/lmm-* | grep -v '\.d$' | head -1)
scaleup=$PWD/target/release/scaleup

db="$work/api-bench.sqlite"
rm -f "$db" "$db".*
"$scaleup" demo --db "$db" --clients 300 --json > "$work/accounts.json" 2>/dev/null
"$scaleup" serve --db "$db" --addr 127.0.0.1:0 > "$work/serve.out" 2>"$work/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q http "$work/serve.out" && break; sleep 0.2; done
url=$(grep -o 'http://[0-9.:]*' "$work/serve.out")
read -r user pass < <(python3 -c "import json; a=[x for x in json.load(open('$work/accounts.json'))['accounts'] if x['role']=='researcher'][0]; print(a['username'], a['password'])")
token=$(curl -s "$url/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"username\":\"$user\",\"password\":\"$pass\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

wall() { # command...: wall seconds of the whole command
  /usr/bin/time -f "%e" "$@" 2>&1 >/dev/null | tail -1
}
summary() { python3 -c 'import json,sys; v=json.load(sys.stdin); fe=v["fixed_effects"]; print("logLik %.4f, fixef %.6f %.6f" % (v["log_likelihood"], fe[0]["estimate"], fe[1]["estimate"]))'; }

echo "machine: $(lscpu | grep 'Model name' | sed 's/ *Model name: *//'), $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "| rows | CSV | API (curl, whole request) | command line (whole process) | lme4 (Rscript, whole process) | API vs lme4 |"
echo "|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
  csv="$work/lmm_$n.csv"
  [ -f "$csv" ] || "$bench_bin" --csv "$csv" --n "$n" --groups 1000
  path="/api/v1/analyses/lmm?formula=y~x%2B(1%2Bx%7Cg)"
  api=$(curl -s -o "$work/api.json" -w '%{time_total}' -H "Authorization: Bearer $token" \
    --data-binary @"$csv" "$url$path")
  api_fit=$(summary < "$work/api.json")
  cli=$(wall "$scaleup" stats lmm --data "$csv" --formula 'y ~ x + (1 + x | g)' --format json)
  cli_fit=$("$scaleup" stats lmm --data "$csv" --formula 'y ~ x + (1 + x | g)' --format json | summary)
  lme4=$(wall Rscript scripts/bench/lmm_lme4.R "$csv")
  ratio=$(python3 -c "print(f'{$lme4 / $api:.0f}x faster')")
  [ "$api_fit" = "$cli_fit" ] || echo "API and command line differ: $api_fit / $cli_fit" >&2
  echo "| $n | $(du -h "$csv" | cut -f1) | ${api} s | ${cli} s | ${lme4} s | $ratio |"
  echo "  ($api_fit)" >&2
done
