#!/usr/bin/env bash
# Sign-in under attack (hardening item 5): how many of N parallel wrong passwords for one account
# from one address get their password checked, what the real user gets afterwards, and the
# server's peak memory during a flood of parallel sign-ins. All traffic stays on loopback.
#
# Usage: scripts/bench/signin_race.sh                       # this checkout
#        BEFORE_BIN=/path/to/old/scaleup scripts/bench/signin_race.sh   # and an older build beside it
# An older build comes from a checkout of that commit: `git worktree add /tmp/old <commit> &&
# (cd /tmp/old && cargo build --release -p scaleup)`; BEFORE_BIN=/tmp/old/target/release/scaleup.
# Each binary gets its own demo database (same seed and size), made by itself, so each runs on
# the schema it knows. Prints Markdown rows for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
CLIENTS=${CLIENTS:-1000}
cargo build --release -q -p scaleup
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
run() {
  local label=$1 bin=$2
  "$bin" demo --db "$dir/$label.sqlite" --clients "$CLIENTS" --seed 1 --json > "$dir/$label-accounts.json"
  python3 scripts/bench/signin_race.py "$bin" "$dir/$label.sqlite" "$dir/$label-accounts.json" --label "$label"
}
if [[ -n ${BEFORE_BIN:-} ]]; then
  run before "$BEFORE_BIN"
fi
run after "$PWD/target/release/scaleup"
