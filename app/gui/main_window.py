"""The main window: the chart in the middle, every other panel a dock the trader can move,
close and get back (View menu); layout, theme and the last strategy persist in QSettings.

Dock areas: left, the strategy manager and the running strategies; bottom, the blotters, the
backtest results and the data manager (tabbed); the right area is kept for the risk panel
(``add_dock(..., Qt.DockWidgetArea.RightDockWidgetArea)``), which joins the bridge like the
blotters do (``Blotter.subscribe``).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QKeySequence,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

import core
from app.gui.bridge import FRAME_MS, EngineBridge
from app.gui.charts.panel import ChartPanel
from app.gui.data_store import DataStore
from app.gui.icons import icon
from app.gui.models.blotters import (
    AccountsBlotter,
    Blotter,
    FillsBlotter,
    LogBlotter,
    OrdersBlotter,
    PositionsBlotter,
)
from app.gui.risk_panel import RiskBlotter, RiskDesk, RiskPanel
from app.gui.runs import (
    CANCELED,
    DONE,
    LIVE_RUNNING,
    PAPER_RUNNING,
    REPLAYING,
    STOPPED,
    SWITCHING,
    StrategyRun,
)
from app.gui.theme import DARK, LIGHT, THEMES, Theme, apply_theme
from app.gui.widgets.data_manager import DataManager
from app.gui.widgets.replay_bar import ReplayBar
from app.gui.widgets.results import ResultsPanel
from app.gui.widgets.runs_panel import RunsPanel
from app.gui.widgets.strategy_manager import StrategyManager
from app.gui.widgets.table_view import FilteredTable
from app.gui.workspace import Workspace
from core.data import DataValidationError
from core.portfolio import RoundTrip

FEW_ROWS = ("Positions", "Account")  # blotters whose columns always fit their contents
LAYOUT_VERSION = 2  # bump when docks are added or renamed: old saved layouts are dropped
FULL_SPEED_FRAME_MS = 40  # blotters at 25 frames a second while a replay runs flat out
FULL_SPEED_CHART_EVERY = 4  # frames: the chart at about 6 a second then
CLOSE_LIVE_TIMEOUT_S = 15.0  # live runs stopping as the window closes, at most this long

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(
        self,
        settings: QSettings,
        *,
        journal_path: Path | None,
        catalog_root: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self._closing: asyncio.Future[None] | None = None
        self.setObjectName("TradebenchMainWindow")
        self.setWindowTitle("Tradebench")
        self.resize(1500, 940)
        self.setDockNestingEnabled(True)
        # the left docks (strategies) run the full height; the blotters sit under the chart
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.theme_name = str(settings.value("theme", DARK))
        if self.theme_name not in THEMES:
            self.theme_name = DARK
        self.theme: Theme = apply_theme(app, self.theme_name)

        self.bridge = EngineBridge(self)
        self.data = DataStore(catalog_root, self)
        self.data.ensure_demo()
        self.workspace = Workspace(self.bridge, self.data, journal_path, self)

        # centre: the chart and the replay controls
        self.chart = ChartPanel(self.theme)
        self.replay = ReplayBar()
        self.replay.set_speed(float(settings.value("replay/speed", 0.0)))
        self.replay.speed_changed.connect(self._on_replay_speed_changed)
        centre = QWidget()
        centre_box = QVBoxLayout(centre)
        centre_box.setContentsMargins(0, 0, 0, 0)
        centre_box.setSpacing(0)
        centre_box.addWidget(self.chart, 1)
        centre_box.addWidget(self.replay)
        centre.setMinimumSize(560, 420)
        self.setCentralWidget(centre)

        # docks
        self.docks: dict[str, QDockWidget] = {}
        self.manager = StrategyManager(self.workspace)
        self.manager.start_requested.connect(self.start_selected_strategy)
        self.manager.selection_changed.connect(self._on_manager_selection_changed)
        self.runs = RunsPanel(self.workspace, self.theme)
        self.runs.run_selected.connect(self._on_runs_run_selected)
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.add_dock("Strategy manager", self.manager, left, "strategy")
        self.add_dock("Running strategies", self.runs, left, "blotter")

        self.blotters: list[Blotter] = [
            OrdersBlotter(self.theme, self),
            FillsBlotter(self.theme, self),
            PositionsBlotter(self.theme, self),
            AccountsBlotter(self.theme, self),
            LogBlotter(self.theme, self),
        ]
        self.blotter_tables: dict[str, FilteredTable] = {}
        for blotter in self.blotters:
            blotter.subscribe(self.bridge)
            table = FilteredTable(blotter, fit=blotter.title in FEW_ROWS)
            self.blotter_tables[blotter.title] = table
            self.add_dock(
                blotter.title, table, bottom, "log" if blotter.title == "Log" else "blotter"
            )
        self.results = ResultsPanel(journal_path, self.theme, self.workspace.executor)
        self.results.round_trip_selected.connect(self.show_round_trip)
        self.add_dock("Backtest results", self.results, bottom, "results")
        self.data_manager = DataManager(self.data, self.workspace.executor)
        self.data_manager.imported.connect(lambda text: self.workspace.note("data", text))
        self.add_dock("Data manager", self.data_manager, bottom, "data")
        # right: the risk panel with the kill switch (Ctrl+Shift+K anywhere in the app)
        self.risk_desk = RiskDesk(self.workspace, self)
        self.risk_panel = RiskPanel(self.risk_desk, self.theme)
        self.add_dock("Risk", self.risk_panel, Qt.DockWidgetArea.RightDockWidgetArea, "risk")
        self.risk_blotter = RiskBlotter(self.theme, self)
        self.risk_blotter.subscribe(self.bridge)
        self.blotters.append(self.risk_blotter)
        risk_table = FilteredTable(self.risk_blotter)
        self.blotter_tables[self.risk_blotter.title] = risk_table
        self.add_dock("Risk decisions", risk_table, bottom, "blotter")
        first = self.docks["Orders"]
        for name in (
            "Fills",
            "Positions",
            "Account",
            "Risk decisions",
            "Log",
            "Backtest results",
            "Data manager",
        ):
            self.tabifyDockWidget(first, self.docks[name])
        self.docks["Account"].raise_()
        self._default_state = self.saveState(LAYOUT_VERSION)
        self._sized = False
        self._frame = 0

        self.workspace.run_changed.connect(self._on_workspace_run_changed)
        self.workspace.run_restarted.connect(self._on_workspace_run_restarted)
        self.bridge.frame.connect(self._on_bridge_frame)
        self.chart.view.painted.connect(self.bridge.release_frame)
        self._build_menus()
        self._build_status_bar(journal_path)
        self.refresh_icons()
        self.restore_settings()
        self.results.reload_history()

    # docks ----------------------------------------------------------------------------------
    def add_dock(
        self, title: str, widget: QWidget, area: Qt.DockWidgetArea, icon_name: str = ""
    ) -> QDockWidget:
        """A dock whose place and visibility the saved layout restores (by object name)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock:{title}")
        dock.setWidget(widget)
        dock.setProperty("icon", icon_name)
        self.addDockWidget(area, dock)
        self.docks[title] = dock
        return dock

    def show_dock(self, title: str) -> QDockWidget:
        dock = self.docks[title]
        dock.show()
        dock.raise_()
        return dock

    # menus --------------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.load_action = QAction("Load strategy file…", self)
        self.load_action.setShortcut(QKeySequence("Ctrl+O"))
        self.load_action.triggered.connect(self.manager.load_button.click)
        self.import_action = QAction("Import market data…", self)
        self.import_action.setShortcut(QKeySequence("Ctrl+I"))
        self.import_action.triggered.connect(self._on_import_action_triggered)
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for action in (self.load_action, self.import_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)

        view = bar.addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        themes = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for name, text in ((DARK, "Dark theme"), (LIGHT, "Light theme")):
            action = QAction(text, self, checkable=True)
            action.setChecked(name == self.theme_name)
            action.triggered.connect(lambda _=False, n=name: self.set_theme(n))
            themes.addAction(action)
            view.addAction(action)
            self.theme_actions[name] = action
        view.addSeparator()
        reset = QAction("Reset layout", self)
        reset.triggered.connect(self.reset_layout)
        view.addAction(reset)

        help_menu = bar.addMenu("&Help")
        about = QAction("About Tradebench", self)
        about.triggered.connect(self._on_about_triggered)
        help_menu.addAction(about)

        self.play_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Space), self)
        self.play_shortcut.activated.connect(self.replay.toggle)

    def _build_status_bar(self, journal_path: Path | None) -> None:
        engine = "compiled engine" if core.COMPILED else "pure-Python engine"
        journal = str(journal_path) if journal_path is not None else "off"
        label = QLabel(f"Tradebench {core.__version__} · {engine} · journal: {journal}")
        label.setProperty("role", "hint")
        self.statusBar().addPermanentWidget(label)

    def _on_about_triggered(self) -> None:
        from app.cli import version_text

        QMessageBox.about(
            self,
            "About Tradebench",
            f"{version_text()}\n\nOne strategy for backtest, paper and live.",
        )

    def _on_import_action_triggered(self) -> None:
        self.show_dock("Data manager")
        self.data_manager.import_button.click()

    # theme --------------------------------------------------------------------------------------
    def set_theme(self, name: str) -> None:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.theme_name = name if name in THEMES else DARK
        self.theme = apply_theme(app, self.theme_name)
        self.theme_actions[self.theme_name].setChecked(True)
        self.chart.apply_theme(self.theme)
        self.results.apply_theme(self.theme)
        self.runs.theme = self.theme
        for blotter in self.blotters:
            blotter.theme = self.theme
            blotter.layoutChanged.emit()
        self.refresh_icons()
        self.settings.setValue("theme", self.theme_name)

    def refresh_icons(self) -> None:
        color = self.theme.text
        self.setWindowIcon(icon("app", color))
        for dock in self.docks.values():
            name = dock.property("icon")
            if name:
                dock.toggleViewAction().setIcon(icon(str(name), color))
        self.replay.play_button.setIcon(icon("play", color))
        self.replay.pause_button.setIcon(icon("pause", color))
        self.replay.step_button.setIcon(icon("step", color))
        self.replay.cancel_button.setIcon(icon("cancel", color))
        self.manager.start_button.setIcon(icon("start", color))
        self.manager.load_button.setIcon(icon("open", color))
        self.manager.set_icons(icon("strategy", color), icon("open", color))
        self.data_manager.import_button.setIcon(icon("import", color))
        self.data_manager.generate_button.setIcon(icon("generate", color))
        self.runs.paper_button.setIcon(icon("paper", color))
        self.runs.stop_button.setIcon(icon("stop", color))
        self.load_action.setIcon(icon("open", color))
        self.import_action.setIcon(icon("import", color))

    # settings -----------------------------------------------------------------------------------
    def restore_settings(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = s.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state, LAYOUT_VERSION)
        last = str(s.value("strategy/last", "template:sma_cross"))
        kind, _, name = last.partition(":")
        if kind == "file" and Path(name).is_file():
            self.manager.load_file(Path(name))
        elif not (kind == "template" and self.manager.select("template", name)):
            self.manager.select("template", "sma_cross")
        spec = self.manager.current_spec()
        if spec is not None:
            saved = s.value(f"strategy/params/{spec.name}")
            if isinstance(saved, dict):
                self.manager.form.set_spec(spec, {str(k): str(v) for k, v in saved.items()})

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState(LAYOUT_VERSION))
        s.setValue("theme", self.theme_name)
        s.setValue("replay/speed", self.replay.speed)
        key = self.manager.current_key()
        if key is not None:
            s.setValue("strategy/last", f"{key[0]}:{key[1]}")
        s.sync()

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, LAYOUT_VERSION)
        for dock in self.docks.values():
            dock.show()
        self._default_sizes()

    def _default_sizes(self) -> None:
        """Dock sizes of the default layout (they only take once the window has its size)."""
        self.resizeDocks([self.docks["Strategy manager"]], [430], Qt.Orientation.Horizontal)
        self.resizeDocks(
            [self.docks["Strategy manager"], self.docks["Running strategies"]],
            [560, 300],
            Qt.Orientation.Vertical,
        )
        self.resizeDocks([self.docks["Orders"]], [250], Qt.Orientation.Vertical)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            if not isinstance(self.settings.value("window/state"), QByteArray):
                QTimer.singleShot(0, self._default_sizes)  # once the window has its size

    def _on_replay_speed_changed(self, speed: float) -> None:
        self.settings.setValue("replay/speed", speed)

    def _on_manager_selection_changed(self, name: str) -> None:
        key = self.manager.current_key()
        if key is not None:
            self.settings.setValue("strategy/last", f"{key[0]}:{key[1]}")

    # runs ---------------------------------------------------------------------------------------
    def start_selected_strategy(self) -> StrategyRun | None:
        """Start the strategy in the manager with its form: a message and no run when anything
        in the form does not fit."""
        manager = self.manager
        spec = manager.current_spec()
        if spec is None:
            manager.show_error("Choose a strategy first.")
            return None
        problems = manager.form.field_problems()
        if problems:
            manager.show_error("Not started: " + "; ".join(problems))
            return None
        try:
            run = self.workspace.create_run(
                spec,
                manager.form.params(),
                manager.form.chosen_datasets(),
                manager.form.settings(),
            )
        except (ValueError, DataValidationError, FileNotFoundError) as exc:
            manager.show_error(f"Not started: {exc}")
            return None
        manager.show_error("")
        self.settings.setValue(f"strategy/params/{spec.name}", manager.form.params())
        run.start_backtest(speed=self.replay.speed)
        self.workspace.note(run.run_id, f"backtest started on {', '.join(run.dataset_labels)}")
        return run

    def _on_runs_run_selected(self, run: StrategyRun | None) -> None:
        self.chart.set_data(None if run is None else run.chart)
        self.replay.set_run(run)

    def _on_workspace_run_changed(self, run: StrategyRun) -> None:
        if run is self.runs.current:
            self.replay.refresh()
            if run.state == PAPER_RUNNING:
                self.chart.set_follow(True)  # live bars: keep the newest in view
            self.chart.refresh(force=True)
        if run.state in (DONE, CANCELED) and run.journal_run_id is not None:
            self.results.show_run(run.journal_run_id)
        elif run.state == STOPPED:
            self.results.reload_history()  # the paper session's journal run
        if run.error:
            self.statusBar().showMessage(run.error, 15_000)

    def _on_workspace_run_restarted(self, run: StrategyRun) -> None:
        for blotter in self.blotters:
            blotter.forget_run(run.run_id)
        if run is self.runs.current:
            self.chart.set_data(run.chart)

    def _on_bridge_frame(self) -> None:
        self.replay.refresh()
        self.runs.refresh()
        run = self.runs.current
        pacer = run.pacer if run is not None and run.state == REPLAYING else None
        self._frame += 1
        # at full speed nobody follows single bars: a quarter of the frames redraw the chart,
        # and the engine gets the time the others would take
        full_speed = pacer is not None and pacer.speed <= 0 and not pacer.paused
        self.bridge.set_frame_ms(FULL_SPEED_FRAME_MS if full_speed else FRAME_MS)
        if not full_speed or self._frame % FULL_SPEED_CHART_EVERY == 0:
            # after the blotters' updates, as an event of its own: anything waiting in the
            # loop (a click, a timer) gets in between
            self.bridge.hold_frame()  # the engine waits for the chart's paint
            QTimer.singleShot(1, self._refresh_chart)

    def _refresh_chart(self) -> None:
        run = self.runs.current
        pacer = run.pacer if run is not None and run.state == REPLAYING else None
        self.chart.refresh(clock_ts=None if pacer is None else pacer.clock_ts())
        if not self.chart.repaint_pending:
            self.bridge.release_frame()

    def show_round_trip(self, trip: RoundTrip) -> None:
        """Move the chart to a round trip (when the chart shows its instrument's run)."""
        if self.chart.data is None or trip.instrument_id not in self.chart.data.bars:
            self.statusBar().showMessage(
                "Select the run of this round trip in Running strategies to see it on the chart",
                8_000,
            )
            return
        if self.chart.instrument_id != trip.instrument_id:
            self.chart.instrument_box.setCurrentText(trip.instrument_id)
        self.chart.show_span(trip.entry_ts, trip.exit_ts)

    # closing ------------------------------------------------------------------------------------
    async def _stop_then_close(self, runs: list[StrategyRun]) -> None:
        stopping = asyncio.gather(*(run.stop() for run in runs), return_exceptions=True)
        try:
            await asyncio.wait_for(stopping, CLOSE_LIVE_TIMEOUT_S)
        except TimeoutError:
            log.error("live runs did not stop within %s s; closing anyway", CLOSE_LIVE_TIMEOUT_S)
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        live = [r for r in self.workspace.runs.values() if r.state in (LIVE_RUNNING, SWITCHING)]
        if live and self._closing is None:
            # live strategies stop first: on_stop runs and the broker answers what it sent
            event.ignore()
            self.statusBar().showMessage("Stopping live trading before closing…")
            self._closing = asyncio.ensure_future(self._stop_then_close(live))
            return
        self.save_settings()
        self.results.shutdown()
        self.data_manager.shutdown()
        self.workspace.shutdown()
        self.bridge.stop()
        super().closeEvent(event)
        self.closed.emit()
