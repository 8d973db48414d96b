#!/usr/bin/env bash
# Installs Tradebench (compiled engine) into .venv and runs the whole test suite twice:
# against the compiled build, then the same installed sources in pure-Python mode.
#   bash tests/run.sh            # default run (slow tests excluded)
#   bash tests/run.sh --all      # include tests marked slow (what CI runs)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
VENV="${TRADEBENCH_VENV:-.venv}"

select=(-m "not slow")
if [ "${1:-}" = "--all" ]; then select=(); shift; fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
rm -rf build  # a stale build/ folder would be packaged again (see STACK.md)
"$VENV/bin/python" -m pip install -q ".[test]"

export QT_QPA_PLATFORM=offscreen
run_pytest() {
  # the venv's pytest script with --import-mode=importlib (pyproject.toml) keeps the checkout
  # off sys.path: the tests import the *installed* package, not ./core
  "$VENV/bin/pytest" -q "${select[@]}" "$@" tests
}

echo "== tests: compiled engine"
TRADEBENCH_EXPECT_COMPILED=1 run_pytest "$@"
echo "== tests: pure-Python engine"
TRADEBENCH_PURE_PYTHON=1 TRADEBENCH_EXPECT_COMPILED=0 run_pytest "$@"
