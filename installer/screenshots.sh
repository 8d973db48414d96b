#!/usr/bin/env bash
# Screenshots of the workstation: starts it under Xvfb on demo data, drives it through its main
# views (app/gui/tour.py) and saves PNGs, plus the whole X screen grabbed with ImageMagick.
#   bash installer/screenshots.sh [OUT_DIR]      (default: screenshots/)
# Needs xvfb (xvfb-run) and, for the screen grab, imagemagick. Uses the Python of .venv (made
# by installer/run.sh) unless PYTHON names another. Journal and data go to a scratch folder.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$(realpath -m "${1:-screenshots}")"
PY="${PYTHON:-.venv/bin/python}"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
export TRADEBENCH_JOURNAL="$SCRATCH/journal.sqlite"
unset QT_QPA_PLATFORM  # a real X server this time (Xvfb), not the offscreen platform
rm -rf "$OUT"
xvfb-run -a -s "-screen 0 1600x1000x24" "$PY" -m app.gui --screenshot-tour "$OUT"
ls -1 "$OUT"/*.png
