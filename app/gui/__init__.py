"""The desktop workstation (PySide6 + qasync + pyqtgraph) on top of the engine.

``run_gui()`` opens the main window; ``tradebench`` with no command calls it where there is a
display. Panels read the engine only through ``app.gui.bridge``.
"""

from __future__ import annotations

from collections.abc import Sequence


def run_gui(argv: Sequence[str] | None = None) -> int:
    from app.gui.application import run_gui as run

    return run(argv)
