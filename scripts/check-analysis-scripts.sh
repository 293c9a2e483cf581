#!/usr/bin/env bash
# Runs the R loader that `scaleup export dataset` writes beside every analysis dataset, and
# checks what it loads against the dataset's own CSV and data dictionary
# (scripts/check/analysis_dataset.R: rows, variables, labels, units, codes as factors with
# every value labelled, dates, numbers, formula-protected text given back as written).
# Every programme of a demo database, every unit (episode, assessment, session), with the
# default de-identification and with everything kept (exact ages, true dates, facilities).
# Not part of CI (it needs R, from Debian's r-base-core, which it installs if missing); run it
# after changing the dataset export. The Stata do-file is not run: Stata is not free software.
# Usage: scripts/check-analysis-scripts.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v Rscript >/dev/null; then
  apt-get install -y --no-install-recommends r-base-core >/dev/null
fi
cargo build -q -p scaleup
B=$PWD/target/debug/scaleup
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export SCALEUP_KEY_FILE="$dir/master.key"
"$B" key generate --out "$SCALEUP_KEY_FILE" >/dev/null 2>&1
"$B" demo --db "$dir/demo.sqlite" --clients 600 --seed 1 --json >/dev/null 2>&1
programmes=$(python3 -c "import sqlite3,sys; print(' '.join(r[0] for r in sqlite3.connect(sys.argv[1]).execute('SELECT code FROM programmes ORDER BY code')))" "$dir/demo.sqlite")
failed=0
for programme in $programmes; do
  for unit in episode assessment session; do
    # k 1: the demo is small, and this checks the loader, not the k-anonymity refusal (tested
    # in the crate).
    for variant in default kept; do
      out="$dir/$programme-$unit-$variant"
      extra=()
      [[ $variant == kept ]] && extra=(--exact-ages --no-date-shift --keep-facility --keep-free-text)
      "$B" export dataset --db "$dir/demo.sqlite" --programme "$programme" --unit "$unit" \
        --k 1 "${extra[@]}" --out "$out" >/dev/null 2>&1
      name=$(basename "$out"/*.R .R)
      printf '%s (%s): ' "$variant" "$unit"
      Rscript scripts/check/analysis_dataset.R "$out" "$name" || failed=1
    done
  done
done
exit $failed
