#!/usr/bin/env bash
# Compares scaleup's reading of the fixture XLSForms with pyxform's (scripts/compare-pyxform.py).
# Installs pyxform (pinned in scripts/bench/python-env.sh) into bench-out/venv and builds the
# binary if needed. Usage: scripts/compare-pyxform.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench/python-env.sh pyxform
if [ -z "${SCALEUP_BIN:-}" ]; then
  CARGO_INCREMENTAL=0 cargo build -q -p scaleup
fi
"$PY" scripts/compare-pyxform.py
