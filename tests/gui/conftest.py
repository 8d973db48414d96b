"""Fixtures for the workstation tests: offscreen Qt, a qasync loop, a window on scratch files.

Qt needs its platform chosen before the QApplication exists, so it is set here, at import.
Every window gets its own journal, data catalog and settings file under ``tmp_path``; the user
strategies the tests load are real ``.py`` files written there too.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.gui.loop import EngineLoop

TRADER = '''
from dataclasses import dataclass, field

from core.enums import OrderSide
from core.strategy import Strategy

DATA_KIND = "bars"


@dataclass(frozen=True, kw_only=True)
class ToggleTraderConfig:
    instrument_id: str = field(metadata={"help": "instrument"})
    every: int = field(default=5, metadata={"min": 1, "max": 1000, "help": "bars per leg"})
    fault_at: int = field(default=0, metadata={"min": 0, "help": "raise at this bar (0: never)"})


class ToggleTrader(Strategy):
    """Buys, then sells, every ``every`` bars; counts bars in ctx.state."""

    def __init__(self, config: ToggleTraderConfig, strategy_id: str = "toggle") -> None:
        super().__init__(strategy_id=strategy_id, instrument_ids=(config.instrument_id,))
        self.config = config

    def on_start(self) -> None:
        self.ctx.state.setdefault("bars", 0)

    def on_bar(self, bar) -> None:
        ctx = self.ctx
        count = int(ctx.state["bars"]) + 1
        ctx.state["bars"] = count
        if count == self.config.fault_at:
            raise ZeroDivisionError("the toggle trader divided by zero on purpose")
        if count % self.config.every == 0:
            iid = self.config.instrument_id
            qty = ctx.instrument(iid).make_qty(10)
            side = OrderSide.SELL if ctx.position(iid).is_long else OrderSide.BUY
            ctx.submit_order(iid, side, qty)
'''


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    return ["tradebench-tests"]


@pytest.fixture
def event_loop_qt(qapp: QApplication) -> Iterator[EngineLoop]:
    """The engine's asyncio loop inside Qt's, as in the app (already running: pytest-qt
    spins Qt's loop in waitUntil, and tasks run there)."""
    loop = EngineLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "settings.ini"


@pytest.fixture
def make_window(
    qtbot: Any,
    tmp_path: Path,
    settings_path: Path,
    event_loop_qt: EngineLoop,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., Any]]:
    """``make_window()`` opens a main window on scratch files; closed after the test."""
    from app.gui.main_window import MainWindow

    journal = tmp_path / "journal.sqlite"
    monkeypatch.setenv("TRADEBENCH_JOURNAL", str(journal))
    # no broker unless a test configures one (never the user's own broker.toml)
    monkeypatch.delenv("TRADEBENCH_BROKER", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    opened: list[MainWindow] = []

    def make(journal_path: Path | None = journal) -> MainWindow:
        window = MainWindow(
            QSettings(str(settings_path), QSettings.Format.IniFormat),
            journal_path=journal_path,
            catalog_root=tmp_path / "catalog",
        )
        qtbot.addWidget(window)
        window.show()
        opened.append(window)
        return window

    yield make
    for window in opened:
        if window.isVisible():
            window.close()


@pytest.fixture
def window(make_window: Callable[..., Any]) -> Any:
    return make_window()


@pytest.fixture
def trader_file(tmp_path: Path) -> Path:
    path = tmp_path / "toggle_trader.py"
    path.write_text(TRADER, encoding="utf-8")
    return path


@pytest.fixture
def wait_run(qtbot: Any) -> Callable[..., None]:
    """Wait until a run reaches one of ``states`` (processing Qt and asyncio meanwhile)."""

    def wait(run: Any, *states: str, timeout_ms: int = 20_000) -> None:
        qtbot.waitUntil(lambda: run.state in states, timeout=timeout_ms)
        # one more frame: the bridge delivers what the run posted last
        frames = run.bridge.frames
        qtbot.waitUntil(lambda: run.bridge.frames > frames + 1, timeout=2_000)

    return wait


@pytest.fixture
def broker_sandbox(
    make_window: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """An Alpaca sandbox serving SYN on its own thread, configured as the user's broker
    (``$TRADEBENCH_BROKER`` names its broker.toml; set after ``make_window`` cleared it)."""
    from venues.alpaca.hosted import HostedSandbox

    with HostedSandbox(symbols=["SYN"], start_price="100", seed=11) as hosted:
        path = tmp_path / "broker.toml"
        path.write_text(hosted.toml(), encoding="utf-8")
        monkeypatch.setenv("TRADEBENCH_BROKER", str(path))
        yield hosted
