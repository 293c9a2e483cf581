#!/usr/bin/env bash
# Runs every test of the workspace. Starts PostgreSQL on loopback (installing it from Debian
# packages if needed) so the storage conformance suite runs on both backends, and installs
# Debian's Chromium and the e2e/ npm packages for the browser tests.
# With CI=true a missing PostgreSQL or Chromium fails the run instead of skipping its tests.
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
if ! scripts/install-browser.sh; then
  if [[ "${CI:-}" == "true" ]]; then
    echo "test.sh: the browser tests cannot run and CI=true: failing (see install-browser above)" >&2
    exit 1
  fi
  echo "test.sh: note: browser tests are skipped locally (install-browser failed)" >&2
fi
export CARGO_TERM_COLOR=never
cargo test --workspace --locked "$@"
