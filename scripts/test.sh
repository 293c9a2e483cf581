#!/usr/bin/env bash
# Runs every test of the workspace. Starts PostgreSQL on loopback (installing it from Debian
# packages if needed) so the storage conformance suite runs on both backends.
# With CI=true a missing PostgreSQL fails the run instead of skipping its tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${SCALEUP_TEST_POSTGRES_URL:-}" ]]; then
  if url=$(scripts/start-postgres.sh) && [[ "$url" == postgres://* ]]; then
    export SCALEUP_TEST_POSTGRES_URL="$url"
    # In CI nothing may outlive the run: stop the server this script started.
    if [[ "${CI:-}" == "true" ]]; then trap "scripts/start-postgres.sh --stop" EXIT; fi
  elif [[ "${CI:-}" == "true" ]]; then
    echo "test.sh: PostgreSQL could not be started and CI=true: failing (see start-postgres above)" >&2
    exit 1
  else
    echo "test.sh: note: PostgreSQL not available; its conformance tests are skipped locally" >&2
  fi
fi
echo "test.sh: PostgreSQL tests use ${SCALEUP_TEST_POSTGRES_URL:-nothing (skipped)}" >&2
export CARGO_TERM_COLOR=never
cargo test --workspace --locked "$@"
