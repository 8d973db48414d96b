"""``python -m app.gui [--screenshot-tour DIR]``."""

import sys

from app.gui import run_gui

raise SystemExit(run_gui(sys.argv[1:]))
