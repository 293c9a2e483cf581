#!/usr/bin/env bash
# Runs every test of the workspace. Starts PostgreSQL on loopback (installing it from Debian
# packages if needed) so the storage conformance suite runs on both backends.
# With CI=true a missing PostgreSQL fails the run instead of skipping its tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${SCALEUP_TEST_POSTGRES_URL:-}" ]]; then
  if url=$(scripts/start-postgres.sh); then
    export SCALEUP_TEST_POSTGRES_URL="$url"
  elif [[ "${CI:-}" == "true" ]]; then
    echo "PostgreSQL could not be started and CI=true: failing" >&2
    exit 1
  else
    echo "note: PostgreSQL not available; its conformance tests will be skipped locally" >&2
  fi
fi
export CARGO_TERM_COLOR=never
cargo test --workspace --locked "$@"
