#!/usr/bin/env bash
# Sourced by the benchmark scripts: makes a virtual environment of the benchmarks' own
# (bench-out/venv, outside the source tree, ignored by git) and installs the Python peers into
# it, so a benchmark never depends on what happens to be installed system-wide and never prints
# an empty comparison because a package was missing. Pinned versions: a peer's speed is part of
# what is measured (numpy and statsmodels at the versions docs/benchmarks.md records).
#
#   source scripts/bench/python-env.sh numpy            # then call "$PY" instead of python3
#   source scripts/bench/python-env.sh pandas statsmodels
#
# Set SCALEUP_BENCH_VENV to use another directory. Needs python3 with the venv module (Debian:
# python3-venv) and network access to PyPI the first time; later runs reuse the environment.
set -euo pipefail
_bench_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_venv="${SCALEUP_BENCH_VENV:-$_bench_root/bench-out/venv}"
declare -A _pins=(
  [numpy]="numpy==2.4.6"
  [pandas]="pandas==2.3.3"
  [statsmodels]="statsmodels==0.15.0"
  # XLSForm fixtures (crates/scaleup-interop/tests/fixtures/import) and scripts/compare-pyxform.py.
  [openpyxl]="openpyxl==3.1.5"
  [pyxform]="pyxform==4.5.0"
)
if [ ! -x "$_venv/bin/python" ]; then
  echo "python-env: creating $_venv" >&2
  mkdir -p "$(dirname "$_venv")"
  python3 -m venv "$_venv" || {
    echo "python-env: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2
    exit 1
  }
fi
_want=()
for _pkg in "$@"; do
  if ! "$_venv/bin/python" -c "import $_pkg" 2>/dev/null; then
    _want+=("${_pins[$_pkg]:-$_pkg}")
  fi
done
if [ "${#_want[@]}" -gt 0 ]; then
  echo "python-env: installing ${_want[*]}" >&2
  "$_venv/bin/python" -m pip install -q "${_want[@]}" >&2
fi
for _pkg in "$@"; do
  "$_venv/bin/python" -c "import $_pkg" || {
    echo "python-env: $_pkg is still missing from $_venv" >&2
    exit 1
  }
done
PY="$_venv/bin/python"
export PY
