#!/usr/bin/env bash
# Installs Tradebench (compiled engine) into .venv and starts it: the workstation where there is
# a display, the demo backtest with a printed report otherwise. Extra arguments go to tradebench.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
VENV="${TRADEBENCH_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
rm -rf build
"$VENV/bin/python" -m pip install -q .
exec "$VENV/bin/tradebench" "$@"
