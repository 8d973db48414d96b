"""The chart panel: price with the strategy's overlays, fills and position shading; volume,
equity and drawdown panes below it on the same (bar) axis; crosshair with an OHLC readout.

It shows one run's ``ChartData`` and refreshes once per bridge frame, touching only what
changed. While a replay plays it follows the newest bar, until the trader pans or zooms.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.gui.charts.data import Bars, ChartData, Line
from app.gui.charts.items import (
    CandleItem,
    FillMarkers,
    GridLines,
    ShadingItem,
    TimeAxis,
    VolumeItem,
)
from app.gui.formatting import timestamp
from app.gui.theme import Theme

FOLLOW_BARS = 150  # bars in view while following a replay
_PAD = 0.06


def _drawdown(equity: np.ndarray) -> np.ndarray:
    if len(equity) == 0:
        return equity
    peak = np.maximum.accumulate(equity)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, (equity / peak - 1.0) * 100.0, 0.0)
    return dd


class _Positions:
    """Bar positions of a growing column of event times, mapped as it grows (a replay adds a
    few values a frame to columns that end up a million long)."""

    def __init__(self) -> None:
        self.x = np.empty(0)
        self._bars: Bars | None = None
        self._bars_version = -1

    def of(self, bars: Bars, ts: np.ndarray) -> np.ndarray:
        done = len(self.x)
        if bars is not self._bars or bars.version != self._bars_version or len(ts) < done:
            self._bars, self._bars_version = bars, bars.version
            self.x = bars.index_of(ts)
        elif len(ts) > done:
            self.x = np.concatenate((self.x, bars.index_of(ts[done:])))
        return self.x


def _steady_range(current: tuple[float, float], low: float, high: float) -> tuple[float, float]:
    """A y range for ``low .. high`` that moves only when it must: the data leaves it, or fills
    less than half of it (so the axes, slow to redraw, do not change on every frame)."""
    span = max(high - low, 1e-9)
    c_lo, c_hi = current
    if c_lo <= low and high <= c_hi and (c_hi - c_lo) <= 2.0 * span * (1 + 2 * _PAD):
        return current
    pad = span * _PAD
    return low - pad, high + pad


class ChartView(pg.GraphicsLayoutWidget):
    """The panes' view; says when it has painted (a frame's work is done then)."""

    painted = Signal()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self.painted.emit()


class ChartPanel(QWidget):
    """See the module docstring."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: ChartData | None = None
        self.instrument_id = ""
        self.follow = True
        self._theme = theme
        self._seen: dict[str, object] = {}
        self._overlays: dict[str, pg.PlotDataItem] = {}
        self._overlay_x: dict[str, _Positions] = {}
        self._overlay_shown: dict[str, tuple[int, int, int, int]] = {}
        self._fill_x = _Positions()
        self._step_x = _Positions()
        self._equity_x = _Positions()
        self._fills_shown: tuple[int, int] = (-1, -1)
        self._programmatic = False
        self.paints = 0
        self.repaint_pending = False
        self._starts_key: tuple[int, int] = (0, -1)
        self._starts = np.empty(0, dtype=np.int64)

        self.instrument_box = QComboBox()
        self.instrument_box.setToolTip("Instrument shown")
        self.instrument_box.currentTextChanged.connect(self._on_instrument_box_changed)
        self.readout = QLabel("Move the mouse over the chart for the bar's prices")
        self.readout.setProperty("role", "hint")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.follow_button = QPushButton("Follow")
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.setToolTip("Keep the newest bar in view while the replay plays")
        self.follow_button.toggled.connect(self.set_follow)
        fit = QPushButton("Show all")
        fit.setToolTip("Zoom out to every bar replayed so far")
        fit.clicked.connect(self.show_all)
        top = QHBoxLayout()
        top.setContentsMargins(4, 2, 4, 2)
        top.addWidget(self.instrument_box)
        top.addWidget(self.readout, 1)
        top.addWidget(self.follow_button)
        top.addWidget(fit)

        self.view = ChartView()
        self.view.painted.connect(self._on_view_painted)
        # the panel decides when to repaint (once per frame at most): left to itself the view
        # paints once for the range change and again for the items that changed
        self.view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.NoViewportUpdate)
        self.view.ci.setSpacing(0)
        axis = TimeAxis(self._bar_times)
        self.price = self.view.addPlot(row=0, col=0)
        self.volume = self.view.addPlot(row=1, col=0)
        self.equity = self.view.addPlot(row=2, col=0)
        self.drawdown = self.view.addPlot(row=3, col=0, axisItems={"bottom": axis})
        layout = self.view.ci.layout
        for row, stretch in enumerate((6, 1, 2, 2)):
            layout.setRowStretchFactor(row, stretch)
        self._plots = (self.price, self.volume, self.equity, self.drawdown)
        self.titles: dict[str, pg.LabelItem] = {}
        for plot, label in zip(
            self._plots, ("Price", "Volume", "Equity", "Drawdown %"), strict=True
        ):
            if plot is self.price:
                plot.setLabel("left", label)
            else:  # short panes: the name inside, top left (a rotated label would not fit)
                title = pg.LabelItem(label, size="8pt", parent=plot.getViewBox())
                title.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(6, 2))
                self.titles[label] = title
            plot.getAxis("left").setWidth(72)
            for side in ("left", "bottom"):  # the prefix check re-renders the label each frame
                plot.getAxis(side).enableAutoSIPrefix(False)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(x=True, y=False)
            if plot is not self.drawdown:
                plot.hideAxis("bottom")
                plot.setXLink(self.drawdown)
            # the plot passes these on to every curve added to it
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
        self.drawdown.setLabel("bottom", "Time (UTC)")
        self.grids = [GridLines(p.getAxis("left"), axis) for p in self._plots]
        for plot, grid in zip(self._plots, self.grids, strict=True):
            plot.addItem(grid, ignoreBounds=True)

        self.shading = ShadingItem()
        self.candles = CandleItem()
        self.price.addItem(self.shading)
        self.price.addItem(self.candles)
        self.volume_bars = VolumeItem()
        self.volume.addItem(self.volume_bars)
        self.markers = FillMarkers()
        self.price.addItem(self.markers)
        self.equity_curve = pg.PlotDataItem()
        self.equity.addItem(self.equity_curve)
        self.drawdown_curve = pg.PlotDataItem(fillLevel=0.0)
        self.drawdown.addItem(self.drawdown_curve)
        self.legend = self.price.addLegend(offset=(8, 4), labelTextSize="8pt")

        self.cross_v = [pg.InfiniteLine(angle=90, movable=False) for _ in self._plots]
        self.cross_h = pg.InfiniteLine(angle=0, movable=False)
        for plot, line in zip(self._plots, self.cross_v, strict=True):
            plot.addItem(line, ignoreBounds=True)
        self.price.addItem(self.cross_h, ignoreBounds=True)
        self._mouse = pg.SignalProxy(
            self.view.scene().sigMouseMoved, rateLimit=60, slot=self._on_mouse_moved
        )
        self.drawdown.getViewBox().sigXRangeChanged.connect(self._on_x_range_changed)

        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addLayout(top)
        box.addWidget(self.view, 1)
        self.apply_theme(theme)

    # theme ----------------------------------------------------------------------------------
    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.view.setBackground(theme.chart_bg)
        for plot in self._plots:
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(theme.chart_fg)
                axis.setTextPen(theme.chart_fg)
        for grid in self.grids:
            grid.set_color(theme.grid)
        for title in self.titles.values():
            title.setText(title.text, color=theme.chart_fg)
        self.candles.set_colors(theme.up, theme.down)
        self.volume_bars.set_colors(theme.volume_up, theme.volume_down)
        self.shading.set_colors(theme.long_shade, theme.short_shade)
        self.equity_curve.setPen(pg.mkPen(theme.equity, width=1.5))
        self.drawdown_curve.setPen(pg.mkPen(theme.drawdown, width=1))
        self.drawdown_curve.setBrush(pg.mkBrush(theme.drawdown + "55"))
        pen = pg.mkPen(theme.crosshair, style=Qt.PenStyle.DashLine)
        for line in (*self.cross_v, self.cross_h):
            line.setPen(pen)
        for i, item in enumerate(self._overlays.values()):
            item.setPen(pg.mkPen(theme.overlays[i % len(theme.overlays)], width=1.3))
        self.markers.set_colors(theme.buy, theme.sell, theme.chart_bg)
        self.repaint_chart()

    # data -------------------------------------------------------------------------------------
    def set_data(self, data: ChartData | None) -> None:
        """Show another run (None: nothing), following its newest bar."""
        self.data = data
        self.follow = True
        self.follow_button.setChecked(True)
        ids = data.instrument_ids if data is not None else []
        self.instrument_box.blockSignals(True)
        self.instrument_box.clear()
        self.instrument_box.addItems(ids)
        self.instrument_box.blockSignals(False)
        self._show_instrument(ids[0] if ids else "")

    def _on_instrument_box_changed(self, text: str) -> None:
        if text:
            self._show_instrument(text)

    def _show_instrument(self, instrument_id: str) -> None:
        self.instrument_id = instrument_id
        self._seen.clear()
        for item in self._overlays.values():
            self.price.removeItem(item)
            self.legend.removeItem(item)
        self._overlays.clear()
        self._overlay_x.clear()
        self._overlay_shown.clear()
        self._fill_x, self._step_x, self._equity_x = _Positions(), _Positions(), _Positions()
        self.markers.set_fills(np.empty(0), np.empty(0), np.empty(0, np.int8), [])
        self._fills_shown = (-1, -1)
        bars = self._bars()
        self.candles.set_bars(bars)
        self.volume_bars.set_bars(bars)
        self.shading.set_steps(np.empty(0), np.empty(0), bars)
        self.equity_curve.setData([], [])
        self.drawdown_curve.setData([], [])
        currency = "" if self.data is None or not self.data.currency else f" ({self.data.currency})"
        self.titles["Equity"].setText(f"Equity{currency}", color=self._theme.chart_fg)
        self.refresh(force=True)

    def _bars(self) -> Bars | None:
        if self.data is None:
            return None
        return self.data.bars.get(self.instrument_id)

    def _bar_times(self) -> np.ndarray:
        """When each bar began (bars carry their end time; charts label bars by their start)."""
        bars = self._bars()
        if bars is None:
            return np.empty(0, dtype=np.int64)
        key = (id(bars), bars.version)
        if self._starts_key != key:
            self._starts_key = key
            self._starts = bars.ts.view() - bars.period_ns
        return self._starts

    def refresh(self, force: bool = False, clock_ts: int | None = None) -> None:
        """Bring the items up to date with the data (called once per frame). ``clock_ts``:
        the replay's event time between bars, so a paced replay scrolls smoothly."""
        data = self.data
        bars = self._bars()
        if data is None or bars is None:
            return
        key = (bars.version, bars.revealed)
        changed = force or self._seen.get("bars") != key
        if changed:
            self._seen["bars"] = key
            self.candles.data_changed()
            self.volume_bars.data_changed()
        if self.follow and (changed or clock_ts is not None):
            self._follow_newest(bars, clock_ts)
        elif changed:
            self._fit_y()  # bars came into a view that stays put
        changed |= self._refresh_shading(data, bars)
        changed |= self._refresh_fills(data, bars)
        changed |= self._refresh_overlays(data, bars)
        changed |= self._refresh_equity(data.equity, bars, force)
        if changed or self.repaint_pending:
            # paint now, once: a posted update would be throttled by the window system
            # (about one frame in four lost at 40 frames a second)
            self.view.viewport().repaint()

    def repaint_chart(self) -> None:
        self.repaint_pending = True
        self.view.viewport().update()

    def _on_view_painted(self) -> None:
        self.paints += 1
        self.repaint_pending = False

    def _refresh_fills(self, data: ChartData, bars: Bars) -> bool:
        fills = data.fills.get(self.instrument_id)
        if fills is None:
            return False
        key = (fills.version, bars.version)
        if key == self._fills_shown:
            return False
        self._fills_shown = key
        x = self._fill_x.of(bars, fills.ts.view())
        self.markers.set_fills(x, fills.price.view(), fills.side.view(), fills.text)
        return True

    def _refresh_shading(self, data: ChartData, bars: Bars) -> bool:
        steps = data.positions.get(self.instrument_id)
        if steps is None:
            return False
        key = (steps.version, bars.version)
        if self._seen.get("steps") == key:
            return False
        self._seen["steps"] = key
        self.shading.set_steps(self._step_x.of(bars, steps.ts.view()), steps.value.view(), bars)
        return True

    def _refresh_overlays(self, data: ChartData, bars: Bars) -> bool:
        changed = False
        lines = data.plots.get(self.instrument_id, {})
        for name, line in lines.items():
            item = self._overlays.get(name)
            if item is None:
                color = self._theme.overlays[len(self._overlays) % len(self._theme.overlays)]
                item = pg.PlotDataItem(pen=pg.mkPen(color, width=1.3), name=name)
                self._overlays[name] = item
                self.price.addItem(item)
            changed |= self._update_overlay(name, item, line, bars)
        return changed

    def _update_overlay(self, name: str, item: pg.PlotDataItem, line: Line, bars: Bars) -> bool:
        """Give the curve only the samples in view (plus a view's width each side): setting a
        million points on every frame would cost more than drawing them."""
        mapper = self._overlay_x.setdefault(name, _Positions())
        x = mapper.of(bars, line.ts.view())
        left, right = self.drawdown.getViewBox().viewRange()[0]
        width = right - left
        lo = int(np.searchsorted(x, left - width, side="left"))
        hi = int(np.searchsorted(x, right + width, side="right"))
        key = (line.version, bars.version, lo, hi)
        if self._overlay_shown.get(name) == key:
            return False
        self._overlay_shown[name] = key
        item.setData(x[lo:hi], line.value.view()[lo:hi], connect="finite")
        return True

    def _refresh_equity(self, equity: Line, bars: Bars, force: bool) -> bool:
        key = (equity.version, bars.version)
        if not force and self._seen.get("equity") == key:
            return False
        self._seen["equity"] = key
        n = len(equity)
        if n == 0:
            self.equity_curve.setData([], [])
            self.drawdown_curve.setData([], [])
            return True
        x = self._equity_x.of(bars, equity.ts.view())
        y = equity.value.view()
        self.equity_curve.setData(x, y)
        self.drawdown_curve.setData(x, _drawdown(y))
        self._fit_y_panes()
        return True

    # view -------------------------------------------------------------------------------------
    def set_follow(self, on: bool) -> None:
        self.follow = on
        if self.follow_button.isChecked() != on:
            self.follow_button.setChecked(on)
        bars = self._bars()
        if on and bars is not None:
            self._follow_newest(bars)

    def _follow_newest(self, bars: Bars, clock_ts: int | None = None) -> None:
        """Keep the newest bar at the right edge; with ``clock_ts`` the edge moves with the
        replay's clock between bars (the bar itself shows once the engine has replayed it)."""
        newest = float(max(bars.revealed, 1))
        ts = bars.ts.view()
        if clock_ts is not None and len(ts) > 1:
            n = int(np.searchsorted(ts, clock_ts, side="right"))
            if 0 < n < len(ts):
                before, after = int(ts[n - 1]), int(ts[n])
                newest = max(newest, n + (clock_ts - before) / max(after - before, 1))
        self._set_x_range(newest - FOLLOW_BARS, newest + 3)

    def show_all(self) -> None:
        bars = self._bars()
        if bars is None:
            return
        self._set_x_range(-1, max(bars.revealed, 10) + 1)

    def show_span(self, first_ts: int, last_ts: int) -> None:
        """Bring event times ``first_ts`` .. ``last_ts`` into view (a selected round trip)."""
        bars = self._bars()
        if bars is None:
            return
        a, b = bars.index_of(np.array([first_ts, last_ts]))
        margin = max(10.0, (b - a) * 0.5)
        self.set_follow(False)
        self._set_x_range(a - margin, b + margin)

    def _set_x_range(self, left: float, right: float) -> None:
        self._programmatic = True
        try:
            self.drawdown.setXRange(left, right, padding=0)  # -> _on_x_range_changed
        finally:
            self._programmatic = False

    def _on_x_range_changed(self, *_: object) -> None:
        if not self._programmatic and self.follow:
            self.set_follow(False)  # the trader moved the view: stop following
        self._fit_y()
        data, bars = self.data, self._bars()
        if data is not None and bars is not None:
            self._refresh_overlays(data, bars)
        self.repaint_chart()

    def _fit_y(self) -> None:
        bars = self._bars()
        if bars is None or bars.revealed == 0:
            return
        left, right = self.drawdown.getViewBox().viewRange()[0]
        first = max(0, math.floor(left))
        last = min(bars.revealed, math.ceil(right) + 1)
        price = self.candles.y_range(first, last)
        if price is not None:
            self._set_y(self.price, *price)
        volume = self.volume_bars.y_range(first, last)
        if volume is not None:
            self._set_y(self.volume, 0.0, max(volume[1], 1e-9))
        self._fit_y_panes()

    @staticmethod
    def _set_y(plot: pg.PlotItem, low: float, high: float) -> None:
        current = tuple(plot.getViewBox().viewRange()[1])
        lo, hi = _steady_range((float(current[0]), float(current[1])), low, high)
        if (lo, hi) != current:
            plot.setYRange(lo, hi, padding=0)

    def _fit_y_panes(self) -> None:
        x, y = self.equity_curve.getData()
        if x is None or len(x) == 0:
            return
        left, right = self.drawdown.getViewBox().viewRange()[0]
        lo = int(np.searchsorted(x, left, side="left"))
        hi = int(np.searchsorted(x, right, side="right"))
        if hi <= lo:
            lo, hi = max(0, lo - 1), min(len(x), lo + 1)
        seen = y[lo:hi]
        _, dd = self.drawdown_curve.getData()
        if len(seen):
            e_lo, e_hi = float(seen.min()), float(seen.max())
            floor = abs(e_hi) * 1e-4  # a flat curve still gets a readable scale
            self._set_y(self.equity, e_lo - floor, e_hi + floor)
            d_lo = float(dd[lo:hi].min()) if dd is not None else 0.0
            self._set_y(self.drawdown, min(d_lo, -0.01), 0.0)

    # crosshair ---------------------------------------------------------------------------------
    def _on_mouse_moved(self, event: tuple[QPointF]) -> None:
        pos = event[0]
        bars = self._bars()
        if bars is None or bars.revealed == 0:
            return
        plot = next((p for p in self._plots if p.sceneBoundingRect().contains(pos)), None)
        if plot is None:
            return
        point = plot.getViewBox().mapSceneToView(pos)
        i = round(point.x())
        for line in self.cross_v:
            line.setPos(point.x())
        if plot is self.price:
            self.cross_h.setPos(point.y())
        self.repaint_chart()
        if not 0 <= i < bars.revealed:
            return
        o, h, lo, c, v = (
            col.view()[i] for col in (bars.open, bars.high, bars.low, bars.close, bars.volume)
        )
        change = (c / o - 1.0) * 100.0 if o else 0.0
        self.readout.setText(
            f"{self.instrument_id}  {timestamp(int(bars.ts.view()[i]) - bars.period_ns)}   "
            f"O {o:,.6g}  H {h:,.6g}  L {lo:,.6g}  C {c:,.6g}  ({change:+.2f}%)   V {v:,.0f}"
        )
