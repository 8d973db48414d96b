"""Start the workstation: QApplication, the qasync loop (the engine's asyncio loop runs inside
Qt's), logging, uncaught-exception handling and the main window."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.gui.data_store import default_catalog_root
from app.gui.loop import EngineLoop
from app.gui.main_window import MainWindow

log = logging.getLogger("tradebench")


def journal_path() -> Path:
    from core.journal import default_journal_path

    configured = os.environ.get("TRADEBENCH_JOURNAL")
    return Path(configured) if configured else default_journal_path()


def _setup_logging(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=folder / "tradebench.log",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """An error in a slot must not take the window down: log it, tell the trader in one line."""
    log.error("uncaught: %s", "".join(traceback.format_exception(kind, value, tb)))
    app = QApplication.instance()
    window = (
        next((w for w in app.topLevelWidgets() if isinstance(w, MainWindow)), None)
        if isinstance(app, QApplication)
        else None
    )
    if window is not None:
        window.statusBar().showMessage(f"Internal error: {kind.__name__}: {value}", 20_000)
    else:
        sys.__excepthook__(kind, value, tb)


def make_window(settings: QSettings | None = None) -> MainWindow:
    path = journal_path()
    return MainWindow(
        settings if settings is not None else QSettings("Tradebench", "Tradebench"),
        journal_path=path,
        catalog_root=default_catalog_root(),
    )


# The engine's worker thread and the window share the interpreter lock. Each time the window
# calls into Qt it may hand the lock over, and getting it back waits for the worker's next
# switch: 1 ms instead of Python's 5 ms keeps a frame from paying that wait dozens of times.
GIL_SWITCH_S = 0.001


def run_gui(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tradebench gui", description="the workstation")
    parser.add_argument(
        "--screenshot-tour",
        metavar="DIR",
        help="open the demo, drive it through the main views, save PNGs into DIR and quit",
    )
    args = parser.parse_args(list(argv or []))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("Tradebench")
    app.setApplicationName("Tradebench")
    _setup_logging(journal_path().parent)
    sys.excepthook = _excepthook
    sys.setswitchinterval(GIL_SWITCH_S)
    loop = EngineLoop(app)
    asyncio.set_event_loop(loop)
    settings = (
        QSettings(str(Path(args.screenshot_tour) / "settings.ini"), QSettings.Format.IniFormat)
        if args.screenshot_tour
        else None  # a tour leaves the trader's own layout alone
    )
    window = make_window(settings)
    window.show()
    closed = asyncio.Event()
    # the window closing ends the session (whether or not Qt then reports aboutToQuit)
    window.closed.connect(closed.set)
    app.aboutToQuit.connect(closed.set)
    exit_code = 0
    if args.screenshot_tour:
        from app.gui.tour import screenshot_tour

        async def tour() -> None:
            nonlocal exit_code
            try:
                await screenshot_tour(window, Path(args.screenshot_tour))
            except Exception:
                log.exception("screenshot tour failed")
                traceback.print_exc()
                exit_code = 1
            window.close()
            app.quit()

        loop.create_task(tour())
    with loop:
        loop.run_until_complete(closed.wait())
    return exit_code
