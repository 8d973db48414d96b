"""``tradebench gui --screenshot-tour DIR``: drive the workstation through its main views on
demo data and save a PNG of each (``installer/screenshots.sh`` runs it under Xvfb).

Every step waits for what it shows to be there (a finished run, loaded results), so the
pictures are of a working session, not of empty panels.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent, QPainter
from PySide6.QtWidgets import QApplication, QMessageBox

from app.gui.main_window import MainWindow
from app.gui.runs import CANCELED, DONE, LIVE_RUNNING, PAPER_RUNNING, STOPPED, StrategyRun
from venues.alpaca.hosted import HostedSandbox

FAULTY = '''
from dataclasses import dataclass, field

from core.strategy import Strategy

DATA_KIND = "bars"


@dataclass(frozen=True, kw_only=True)
class FragileConfig:
    instrument_id: str = field(metadata={"help": "instrument"})
    fault_at: int = field(default=300, metadata={"min": 1, "help": "bar that raises"})


class Fragile(Strategy):
    """Raises at bar fault_at: how a fault looks in the workstation."""

    def __init__(self, config: FragileConfig, strategy_id: str = "fragile") -> None:
        super().__init__(strategy_id=strategy_id, instrument_ids=(config.instrument_id,))
        self.config = config
        self.bars = 0

    def on_bar(self, bar) -> None:
        self.bars += 1
        if self.bars == self.config.fault_at:
            raise KeyError("no such position: a bug in the strategy")
'''


async def _until(check: Callable[[], bool], timeout_s: float = 60.0) -> None:
    waited = 0.0
    while not check():
        if waited > timeout_s:
            raise TimeoutError("the screenshot tour waited too long")
        await asyncio.sleep(0.05)
        waited += 0.05


async def _settle(seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)


def _shared_data() -> Path | None:
    configured = os.environ.get("TRADEBENCH_SHARED_DATA")
    root = (
        Path(configured) if configured else Path(__file__).resolve().parents[3] / "shared" / "data"
    )
    return root if (root / "README.md").is_file() else None


async def screenshot_tour(window: MainWindow, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []

    async def shot(name: str) -> None:
        await _settle()
        path = out / f"{len(saved) + 1:02d}_{name}.png"
        window.grab().save(str(path))
        saved.append(path)

    async def run_to_end(run: StrategyRun | None) -> StrategyRun:
        if run is None:
            raise RuntimeError(window.manager.message.text())
        await _until(lambda: run.state == DONE)
        results = window.results
        await _until(
            lambda: (
                not results.loading
                and [r.row.run_id for r in results.shown] == [run.journal_run_id]
            )
        )
        return run

    window.resize(1600, 1000)
    await _settle(0.5)
    manager = window.manager

    # 1 a backtest at full speed, its chart with overlays, fills and position shading
    manager.select_template("sma_cross")
    manager.form.set_field_text("fast", "10")
    manager.form.set_field_text("slow", "40")
    window.replay.set_speed(0.0)
    sma = await run_to_end(window.start_selected_strategy())
    window.show_dock("Account")
    await _hover_chart(window, 0.6)
    await shot("backtest_chart_account")
    await _screen_capture(out / "00_x11_screen.png")

    # 2 results: metrics, a round trip on the chart, equity and drawdown
    window.show_dock("Backtest results")
    window.results.tabs.setCurrentIndex(0)
    await shot("results_metrics")
    window.results.tabs.setCurrentIndex(1)
    table = window.results.trips_table.table
    table.selectRow(min(5, table.proxy.rowCount() - 1))
    await shot("round_trip_selected_on_chart")
    window.results.tabs.setCurrentIndex(2)
    await shot("results_equity_drawdown")

    # 3 blotters
    for title in ("Orders", "Fills", "Positions", "Log"):
        window.show_dock(title)
        await shot(f"blotter_{title.lower()}")
    window.blotter_tables["Fills"].filter.setText("SELL")
    window.show_dock("Fills")
    await shot("blotter_fills_filtered")
    window.blotter_tables["Fills"].filter.clear()

    # 4 a second strategy, then the two runs compared side by side
    manager.select_template("ema_cross")
    manager.form.set_field_text("fast", "8")
    manager.form.set_field_text("slow", "50")
    await run_to_end(window.start_selected_strategy())
    window.show_dock("Backtest results")
    window.results.tabs.setCurrentIndex(0)
    view = window.results.history_view
    view.selectAll()
    await _until(lambda: len(window.results.shown) == 2 and not window.results.loading)
    await shot("compare_two_runs_metrics")
    window.results.tabs.setCurrentIndex(2)
    await shot("compare_two_runs_equity")

    # 5 a parameter the config refuses, then a user strategy that faults
    manager.select_template("sma_cross")
    manager.form.set_field_text("fast", "50")
    manager.form.set_field_text("slow", "abc")
    window.start_selected_strategy()
    await shot("invalid_parameter_message")
    fragile = out / "fragile_strategy.py"
    fragile.write_text(FAULTY, encoding="utf-8")
    manager.load_file(fragile)
    faulty = await run_to_end(window.start_selected_strategy())
    window.runs.select(faulty)
    window.show_dock("Log")
    await shot("faulted_strategy_traceback")

    # 6 a paced replay, paused half way, the chart following it
    manager.select_template("sma_cross")
    manager.form.set_field_text("slow", "40")
    window.replay.set_speed(1000.0)
    replay = window.start_selected_strategy()
    if replay is None:
        raise RuntimeError(manager.message.text())
    replay.seek(int(replay.event_times[len(replay.event_times) // 2]))
    await _until(lambda: replay.progress[0] >= len(replay.event_times) // 2)
    await asyncio.sleep(1.5)  # plays on at 1000x for a moment
    window.replay.pause()
    window.show_dock("Positions")
    await shot("replay_paused_1000x")
    replay.cancel()
    await replay.wait()

    # 7 the first strategy goes on in paper mode
    window.runs.select(sma)
    window.runs.paper_button.click()
    await _until(lambda: sma.state == PAPER_RUNNING)
    await asyncio.sleep(4.0)
    window.show_dock("Account")
    await shot("paper_mode_live_feed")

    # 7b the kill switch: every strategy halted, the risk decisions blotter says why
    window.risk_panel.kill_button.click()
    await asyncio.sleep(1.0)
    window.show_dock("Risk decisions")
    await shot("kill_switch_tripped")
    window.risk_desk.reset_kill("tour: checked, trading resumes")

    # 8 data manager: a sample file imported, synthetic data generated
    window.show_dock("Data manager")
    shared = _shared_data()
    if shared is not None:
        task = window.data_manager.import_files(
            [shared / "backtrader" / "orcl_daily_1995-2014.csv"]
        )
        await _until(task.done)
    window.data_manager.gen_id.setText("SYN2.SIM")
    await _until(window.data_manager.generate().done)
    await shot("data_manager")

    # 9 the light theme
    window.set_theme("light")
    window.show_dock("Backtest results")
    await shot("light_theme")
    window.set_theme("dark")

    # 10 live at a broker: a local server speaking Alpaca's API stands in for the account;
    # Live asks first (the dialog is captured while it is open), then trades there
    live = next(
        run
        for run in window.workspace.runs.values()
        if run.state in (DONE, CANCELED)
        and run.fault is None
        and run.session.kernel.record(run.run_id).strategy.ctx.position("SYN.SIM").is_flat
    )
    last_close = str(live.chart.bars["SYN.SIM"].close.view()[-1])
    with HostedSandbox(symbols=["SYN"], start_price=last_close) as hosted:
        broker_file = out / "broker.toml"
        broker_file.write_text(hosted.toml(), encoding="utf-8")
        os.environ["TRADEBENCH_BROKER"] = str(broker_file)
        window.runs.select(live)
        confirm = out / f"{len(saved) + 1:02d}_live_confirmation.png"
        QTimer.singleShot(800, lambda: _capture_and_confirm(window, confirm))
        window.runs.live_button.click()  # the dialog's own event loop runs until it is answered
        saved.append(confirm)
        await _until(lambda: live.state == LIVE_RUNNING, timeout_s=20.0)
        await asyncio.sleep(4.0)
        orders = window.blotter_tables["Orders"]
        orders.filter.setText(live.run_id)
        orders.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        window.show_dock("Orders")
        await shot("live_trading_at_the_broker")
        orders.filter.clear()

        # 11 paper and live trading end from the Stop button (on_stop runs, journals close)
        for run in (live, sma):
            window.runs.select(run)
            window.runs.stop_button.click()
            await _until(lambda run=run: run.state == STOPPED, timeout_s=10.0)
    return saved


def _capture_and_confirm(window: MainWindow, path: Path) -> None:
    """The go-live confirmation while it is open: the window with the dialog over it, then
    the trader's Yes."""
    dialog = QApplication.activeModalWidget()
    if not isinstance(dialog, QMessageBox):
        raise RuntimeError("the go-live confirmation did not open")
    picture = window.grab()
    painter = QPainter(picture)
    painter.drawPixmap(window.mapFromGlobal(dialog.mapToGlobal(QPoint(0, 0))), dialog.grab())
    painter.end()
    picture.save(str(path))
    dialog.button(QMessageBox.StandardButton.Yes).click()


async def _hover_chart(window: MainWindow, at: float) -> None:
    """Move the mouse over the price pane (crosshair and OHLC readout)."""
    chart = window.chart
    viewport = chart.view.viewport()
    rect = chart.price.sceneBoundingRect()
    scene_point = QPointF(rect.left() + rect.width() * at, rect.top() + rect.height() * 0.5)
    point = chart.view.mapFromScene(scene_point)
    event = QMouseEvent(
        QMouseEvent.Type.MouseMove,
        QPointF(point),
        QPointF(viewport.mapToGlobal(QPoint(point.x(), point.y()))),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, event)
    await asyncio.sleep(0.1)


async def _screen_capture(path: Path) -> None:
    """The whole X screen through ImageMagick (``import -window root``), when there is one:
    what a trader would see, window decorations and all. Run on a thread with a time limit
    (asyncio's child-process watching is not dependable inside Qt's loop)."""
    if not os.environ.get("DISPLAY") or shutil.which("import") is None:
        return
    command = ["import", "-window", "root", str(path)]
    await asyncio.get_running_loop().run_in_executor(
        None, lambda: subprocess.run(command, capture_output=True, timeout=30, check=False)
    )
