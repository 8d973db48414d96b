"""Backtest results: the run history from the journal, one run's metrics, round trips, equity
and drawdown, or two runs side by side.

Everything here is read back from the journal (``JournalReader``), so a run of an earlier
session looks the same as one that just ended. Selecting a round trip asks the chart to show it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.gui.formatting import duration, fixed, money, timestamp
from app.gui.models.table import Column, RecordTableModel
from app.gui.theme import Theme
from app.gui.widgets.table_view import FilteredTable, TableView
from core.metrics import Metrics
from core.portfolio import RoundTrip
from core.reports import metric_rows

if TYPE_CHECKING:
    from core.journal import JournalReader

T = TypeVar("T")


@dataclass(frozen=True)
class HistoryRow:
    run_id: int
    mode: str
    label: str
    started: int
    events: int | None
    fills: int | None
    canceled: bool | None
    net_profit: str
    total_return: str


@dataclass(frozen=True)
class LoadedRun:
    """One journaled run, read back for display."""

    row: HistoryRow
    metrics: Metrics | None
    trips: list[RoundTrip]
    equity_ts: np.ndarray
    equity: np.ndarray  # currency units, floats (display only)


@dataclass(frozen=True)
class MetricRow:
    label: str
    a: str
    b: str


def _pnl_color(theme: Theme, raw: int) -> str | None:
    return theme.positive if raw > 0 else theme.negative if raw < 0 else None


class ResultsPanel(QWidget):
    round_trip_selected = Signal(object)  # RoundTrip

    def __init__(
        self,
        journal_path: Path | None,
        theme: Theme,
        executor: Executor,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.journal_path = journal_path
        self.theme = theme
        self.executor = executor
        self.shown: list[LoadedRun] = []
        self.loading = False
        self._history_token = 0
        self._runs_token = 0
        self._pending: set[asyncio.Task[None]] = set()

        self.history = RecordTableModel(
            [
                Column("Run", lambda r: r.run_id, numeric=True),
                Column("Mode", lambda r: r.mode),
                Column("Label", lambda r: r.label, tooltip=lambda r: r.label),
                Column("Started", lambda r: r.started, lambda r: timestamp(r.started), True),
                Column("Events", lambda r: r.events, lambda r: f"{r.events or 0:,}", True),
                Column("Fills", lambda r: r.fills, lambda r: f"{r.fills or 0:,}", True),
                Column("Net profit", lambda r: r.net_profit),
                Column("Return", lambda r: r.total_return),
                Column("Canceled", lambda r: r.canceled, lambda r: "yes" if r.canceled else ""),
            ],
            key=lambda r: r.run_id,
        )
        self.history_view = TableView(self.history)
        self.history_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.history_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.history_view.selectionModel().selectionChanged.connect(self._on_history_selection)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(lambda: self.reload_history())
        self.compare_hint = QLabel("Select one run, or two (Ctrl+click) to compare them.")
        self.compare_hint.setProperty("role", "hint")
        self.compare_hint.setWordWrap(True)
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(QLabel("Run history (journal)"))
        head.addStretch(1)
        head.addWidget(refresh)
        left_box.addLayout(head)
        left_box.addWidget(self.history_view, 1)
        left_box.addWidget(self.compare_hint)

        self.metrics = RecordTableModel(
            [
                Column("Figure", lambda m: m.label),
                Column("Run A", lambda m: m.a, numeric=True),
                Column("Run B", lambda m: m.b, numeric=True),
            ]
        )
        self.metrics_view = TableView(self.metrics)
        self.metrics_view.setSortingEnabled(False)
        header = self.metrics_view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.trips = RecordTableModel(
            [
                Column("Strategy", lambda t: t.strategy_id),
                Column("Instrument", lambda t: t.instrument_id),
                Column("Side", lambda t: "LONG" if t.direction > 0 else "SHORT"),
                Column("Qty", lambda t: t.qty_raw, lambda t: fixed(t.qty_raw), True),
                Column("Entry", lambda t: t.entry_ts, lambda t: timestamp(t.entry_ts), True),
                Column(
                    "Entry price", lambda t: t.entry_px_raw, lambda t: fixed(t.entry_px_raw), True
                ),
                Column("Exit", lambda t: t.exit_ts, lambda t: timestamp(t.exit_ts), True),
                Column("Exit price", lambda t: t.exit_px_raw, lambda t: fixed(t.exit_px_raw), True),
                Column(
                    "Net PnL",
                    lambda t: t.net_pnl_raw,
                    lambda t: money(t.net_pnl_raw, t.currency),
                    True,
                    color=lambda t: _pnl_color(self.theme, t.net_pnl_raw),
                ),
                Column("Fees", lambda t: t.fees_raw, lambda t: money(t.fees_raw, t.currency), True),
                Column(
                    "Held",
                    lambda t: t.exit_ts - t.entry_ts,
                    lambda t: duration(t.exit_ts - t.entry_ts),
                    True,
                ),
            ]
        )
        self.trips_table = FilteredTable(self.trips)
        self.trips_table.table.row_activated.connect(self.round_trip_selected)
        self.curve_plot = pg.GraphicsLayoutWidget()
        self.equity_plot = self.curve_plot.addPlot(row=0, col=0)
        self.dd_plot = self.curve_plot.addPlot(row=1, col=0)
        self.equity_plot.setLabel("left", "Equity")
        self.dd_plot.setLabel("left", "Drawdown %")
        self.dd_plot.setLabel("bottom", "Time (UTC)")
        for plot in (self.equity_plot, self.dd_plot):
            plot.setAxisItems({"bottom": pg.DateAxisItem()})
            plot.getAxis("left").setWidth(72)
            plot.getAxis("left").enableAutoSIPrefix(False)
            plot.setDownsampling(auto=True, mode="peak")
            plot.setMenuEnabled(False)
        self.equity_plot.setXLink(self.dd_plot)
        self.legend = self.equity_plot.addLegend(offset=(8, -8))  # bottom left
        self.tabs = QTabWidget()
        self.tabs.addTab(self.metrics_view, "Metrics")
        self.tabs.addTab(self.trips_table, "Round trips")
        self.tabs.addTab(self.curve_plot, "Equity && drawdown")

        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 2)
        split.setSizes([420, 640])
        box = QVBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)
        box.addWidget(split)
        self.apply_theme(theme)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.curve_plot.setBackground(theme.chart_bg)
        for plot in (self.equity_plot, self.dd_plot):
            for name in ("left", "bottom"):
                plot.getAxis(name).setPen(theme.chart_fg)
                plot.getAxis(name).setTextPen(theme.chart_fg)
        self._draw_curves()

    # history (read on a worker thread: a run with many round trips takes a while) ---------
    def _reader(self) -> JournalReader | None:
        """The journal, None when there is none yet (JournalError when it cannot be read)."""
        from core.journal import JournalReader

        if self.journal_path is None or not Path(self.journal_path).exists():
            return None
        return JournalReader(self.journal_path)

    def _read_history(self) -> list[HistoryRow]:
        reader = self._reader()
        if reader is None:
            return []
        rows = []
        with reader:
            for info in reader.runs():
                metrics = reader.metrics(info.id) if info.has_result else None
                rows.append(
                    HistoryRow(
                        run_id=info.id,
                        mode=info.mode,
                        label=info.label,
                        started=info.ts_started,
                        events=info.events,
                        fills=info.fills,
                        canceled=info.canceled,
                        net_profit=""
                        if metrics is None
                        else money(metrics.net_profit.raw, metrics.currency),
                        total_return=""
                        if metrics is None or metrics.total_return is None
                        else f"{metrics.total_return * 100:.2f}%",
                    )
                )
        return rows

    def _read_runs(self, rows: list[HistoryRow]) -> list[LoadedRun]:
        reader = self._reader()
        if reader is None:
            return []
        loaded = []
        with reader:
            for row in rows:
                ts, raw = reader.equity(row.run_id)
                loaded.append(
                    LoadedRun(
                        row=row,
                        metrics=reader.metrics(row.run_id),
                        trips=[r.trip for r in reader.round_trips(row.run_id)],
                        equity_ts=ts,
                        equity=raw / 1e9,
                    )
                )
        return loaded

    def _off_thread(self, work: Callable[[], T]) -> asyncio.Future[T]:
        loop = asyncio.get_event_loop()
        return loop.run_in_executor(self.executor, work)  # type: ignore[arg-type]

    def reload_history(self, select: int | None = None) -> asyncio.Task[None]:
        """Read the run history again (and then select run ``select``)."""
        self._history_token += 1
        return self._spawn(self._reload_history(self._history_token, select))

    async def _reload_history(self, token: int, select: int | None) -> None:
        from core.journal import JournalError

        try:
            rows = await self._off_thread(self._read_history)
        except JournalError as exc:
            self.compare_hint.setText(f"The journal cannot be read: {exc}")
            return
        if token != self._history_token:
            return  # a newer reload is on its way
        keep = select if select is not None else self._selected_ids()
        self.history.set_rows(rows)
        wanted = [keep] if isinstance(keep, int) else keep
        for row in range(self.history_view.proxy.rowCount()):
            if self.history_view.proxy.source_row(row).run_id in wanted:
                self.history_view.selectRow(row)
                break

    def show_run(self, journal_run_id: int) -> asyncio.Task[None]:
        """Select a journaled run (the one that just ended) and show it."""
        return self.reload_history(select=journal_run_id)

    def _selected_ids(self) -> list[int]:
        return [row.run_id for row in self.selected_history()]

    def selected_history(self) -> list[HistoryRow]:
        rows = {i.row() for i in self.history_view.selectionModel().selectedRows()}
        return [self.history_view.proxy.source_row(r) for r in sorted(rows)]

    def _on_history_selection(self, *_: object) -> None:
        self.show_runs(self.selected_history()[:2])

    def show_runs(self, rows: list[HistoryRow]) -> asyncio.Task[None]:
        """Show one run, or compare two (metrics side by side, curves overlaid)."""
        self._runs_token += 1
        self.loading = True
        return self._spawn(self._show_runs(self._runs_token, rows))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return task

    def shutdown(self) -> None:
        """The window is closing: journal reads not yet done are dropped (their thread pool
        is shutting down)."""
        for task in list(self._pending):
            task.cancel()

    async def _show_runs(self, token: int, rows: list[HistoryRow]) -> None:
        from core.journal import JournalError

        try:
            loaded = await self._off_thread(lambda: self._read_runs(rows))
        except JournalError as exc:
            self.compare_hint.setText(f"The journal cannot be read: {exc}")
            return
        if token != self._runs_token:
            return
        self.shown = loaded
        self._fill_metrics()
        trips: list[RoundTrip] = []
        for run in loaded:
            trips.extend(run.trips)
        self.trips.set_rows(trips)
        self._draw_curves()
        compare = len(loaded) == 2
        self.metrics_view.setColumnHidden(2, not compare)
        if compare:
            a, b = loaded
            self.compare_hint.setText(
                f"Comparing run {a.row.run_id} (A) with run {b.row.run_id} (B)."
            )
        else:
            self.compare_hint.setText("Select one run, or two (Ctrl+click) to compare them.")
        self.loading = False

    def _fill_metrics(self) -> None:
        columns: list[list[tuple[str, str]]] = []
        for run in self.shown:
            if run.metrics is None:
                columns.append(
                    [("Result", "no metrics: a paper session, or a run that did not end")]
                )
            else:
                columns.append(metric_rows(run.metrics))
        if not columns:
            self.metrics.clear()
            return
        labels = [label for label, _ in max(columns, key=len)]
        lookup = [dict(c) for c in columns]
        rows = [
            MetricRow(
                label,
                lookup[0].get(label, ""),
                lookup[1].get(label, "") if len(lookup) > 1 else "",
            )
            for label in labels
        ]
        self.metrics.set_rows(rows)
        header = self.metrics.columns
        header[1] = Column(
            f"Run {self.shown[0].row.run_id}" + (" (A)" if len(self.shown) > 1 else ""),
            lambda m: m.a,
            numeric=True,
        )
        if len(self.shown) > 1:
            header[2] = Column(f"Run {self.shown[1].row.run_id} (B)", lambda m: m.b, numeric=True)
        self.metrics.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 2)

    def _draw_curves(self) -> None:
        self.equity_plot.clear()
        self.dd_plot.clear()
        self.legend.clear()
        colors = (self.theme.equity, self.theme.overlays[1])
        compare = len(self.shown) == 2
        for run, color, tag in zip(self.shown, colors, (" (A)", " (B)"), strict=False):
            if len(run.equity_ts) == 0:
                continue
            x = run.equity_ts / 1e9
            y = run.equity
            peak = np.maximum.accumulate(y)
            dd = np.where(peak > 0, (y / peak - 1.0) * 100.0, 0.0)
            name = f"run {run.row.run_id}{tag if compare else ''}"
            self.equity_plot.plot(x, y, pen=pg.mkPen(color, width=1.5), name=name)
            self.dd_plot.plot(
                x, dd, pen=pg.mkPen(color, width=1), fillLevel=0.0, brush=color + "40"
            )
        self.equity_plot.autoRange()
        self.dd_plot.autoRange()
