"""Chart items that draw only what is visible, at most about one bucket per pixel.

``OhlcPyramid`` keeps the bars aggregated by 4, 16, 64, ... so a view over a million bars draws
from the level whose buckets are about a pixel wide: a redraw costs the same whether the view
shows a hundred bars or all of them. Candles, wicks and volume are drawn as a few painter paths
built from numpy arrays (``pg.arrayToQPath``), not as one object per bar.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QTransform

from app.gui.charts.data import Bars
from app.gui.theme import color

_FACTOR = 4
_MINUTE_NS = 60_000_000_000
_HOUR_NS = 60 * _MINUTE_NS
_DAY_NS = 24 * _HOUR_NS


class OhlcPyramid:
    """The bars of ``Bars`` aggregated in buckets of 4**k (level 0: the bars themselves)."""

    def __init__(self, bars: Bars) -> None:
        self.bars = bars
        self.version = bars.version
        o, h, lo, c, v = (
            bars.open.view(),
            bars.high.view(),
            bars.low.view(),
            bars.close.view(),
            bars.volume.view(),
        )
        self.levels: list[tuple[np.ndarray, ...]] = [(o, h, lo, c, v)]
        while len(self.levels[-1][0]) > 1:
            po, ph, pl, pc, pv = self.levels[-1]
            starts = np.arange(0, len(po), _FACTOR)
            ends = np.minimum(starts + _FACTOR, len(po)) - 1
            self.levels.append(
                (
                    po[starts],
                    np.maximum.reduceat(ph, starts),
                    np.minimum.reduceat(pl, starts),
                    pc[ends],
                    np.add.reduceat(pv, starts),
                )
            )

    def level_for(self, span: float, pixels: float) -> int:
        """The coarsest level whose buckets are at most about a pixel wide."""
        if pixels <= 0 or span <= pixels:
            return 0
        k = math.floor(math.log(span / pixels, _FACTOR))
        return max(0, min(k, len(self.levels) - 1))

    def buckets(
        self, level: int, first: int, last: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """x (bucket centre in bar units), o, h, l, c, v of the buckets covering bars
        ``first`` .. ``last - 1``; a bucket cut by ``last`` is aggregated from the bars."""
        size = _FACTOR**level
        j0 = first // size
        j1 = -(-last // size)
        o, h, lo, c, v = (col[j0:j1].copy() for col in self.levels[level])
        if len(o) and last % size:  # the last bucket holds bars beyond ``last``: redo it
            start = (j1 - 1) * size
            raw = self.levels[0]
            o[-1] = raw[0][start]
            h[-1] = raw[1][start:last].max()
            lo[-1] = raw[2][start:last].min()
            c[-1] = raw[3][last - 1]
            v[-1] = raw[4][start:last].sum()
        x = np.arange(j0, j0 + len(o), dtype=np.float64) * size + (size - 1) / 2
        return x, o, h, lo, c, v


def pyramid_of(bars: Bars, cached: OhlcPyramid | None) -> OhlcPyramid:
    if cached is not None and cached.bars is bars and cached.version == bars.version:
        return cached
    return OhlcPyramid(bars)


def view_rect(item: pg.GraphicsObject) -> QRectF | None:
    """The view's range in data coordinates (items here live in plain view coordinates);
    read from the view box itself, which is current as soon as a range is set."""
    vb = item.getViewBox()
    if vb is None:
        return None
    (left, right), (bottom, top) = vb.viewRange()
    return QRectF(left, bottom, right - left, top - bottom)


def _visible_bars(item: pg.GraphicsObject, revealed: int) -> tuple[int, int, float]:
    """First and last (exclusive) revealed bar in view, and the view's width in pixels."""
    rect = view_rect(item)
    vb = item.getViewBox()
    if rect is None or vb is None or revealed == 0:
        return 0, 0, 0.0
    first = max(0, math.floor(rect.left()))
    last = min(revealed, math.ceil(rect.right()) + 1)
    return first, max(first, last), float(vb.width())


def _pairs(x: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> QPainterPath:
    """Vertical segments (x, y0) - (x, y1) as one path."""
    xs = np.repeat(x, 2)
    ys = np.empty(2 * len(x))
    ys[0::2] = y0
    ys[1::2] = y1
    return pg.arrayToQPath(xs, ys, connect="pairs", finiteCheck=False)


class _BarsItem(pg.GraphicsObject):
    """Shared plumbing of the candle and volume items."""

    def __init__(self) -> None:
        super().__init__()
        self.bars: Bars | None = None
        self._pyramid: OhlcPyramid | None = None
        self._bounds = QRectF()
        self.up = QColor("#26a69a")
        self.down = QColor("#ef5350")

    def set_bars(self, bars: Bars | None) -> None:
        self.bars = bars
        self.data_changed()

    def set_colors(self, up: str, down: str) -> None:
        self.up = color(up)
        self.down = color(down)
        self.update()

    def data_changed(self) -> None:
        self.prepareGeometryChange()
        self._bounds = self._compute_bounds()
        self.update()

    def pyramid(self) -> OhlcPyramid | None:
        if self.bars is None or len(self.bars) == 0:
            return None
        self._pyramid = pyramid_of(self.bars, self._pyramid)
        return self._pyramid

    def boundingRect(self) -> QRectF:
        return self._bounds

    def _compute_bounds(self) -> QRectF:
        raise NotImplementedError

    def visible(self) -> tuple[np.ndarray, ...] | None:
        bars = self.bars
        pyramid = self.pyramid()
        if bars is None or pyramid is None:
            return None
        first, last, pixels = _visible_bars(self, bars.revealed)
        if last <= first:
            return None
        level = pyramid.level_for(last - first, pixels)
        return (*pyramid.buckets(level, first, last), np.float64(_FACTOR**level))

    def y_range(self, first: int, last: int) -> tuple[float, float] | None:
        """Low and high of bars ``first .. last - 1`` (through the pyramid: fast at any zoom)."""
        pyramid = self.pyramid()
        if pyramid is None or last <= first:
            return None
        level = pyramid.level_for(last - first, 2000)
        _, _, h, lo, _, v = pyramid.buckets(level, first, last)
        return self._range_of(h, lo, v)

    def _range_of(
        self, high: np.ndarray, low: np.ndarray, volume: np.ndarray
    ) -> tuple[float, float]:
        raise NotImplementedError


class CandleItem(_BarsItem):
    """Candlesticks (bodies wider than 2 px) or high-low bars, up and down coloured."""

    def _compute_bounds(self) -> QRectF:
        bars = self.bars
        if bars is None or len(bars) == 0:
            return QRectF()
        low = float(bars.low.view().min())
        high = float(bars.high.view().max())
        return QRectF(-0.5, low, len(bars), max(high - low, 1e-9))

    def _range_of(
        self, high: np.ndarray, low: np.ndarray, volume: np.ndarray
    ) -> tuple[float, float]:
        return float(low.min()), float(high.max())

    def paint(self, painter: QPainter, *args: object) -> None:
        shown = self.visible()
        if shown is None:
            return
        x, o, h, lo, c, _, size = shown
        transform = painter.deviceTransform()
        px_x = abs(transform.m11()) or 1.0
        px_y = abs(transform.m22()) or 1.0
        body_px = 0.7 * float(size) * px_x
        up = c >= o
        for mask, tint in ((up, self.up), (~up, self.down)):
            if not mask.any():
                continue
            pen = QPen(tint)
            pen.setCosmetic(True)
            pen.setWidthF(1.0)
            painter.setPen(pen)
            painter.drawPath(_pairs(x[mask], lo[mask], h[mask]))
            if body_px >= 2.0:
                bo, bc = o[mask], c[mask].copy()
                flat = np.abs(bc - bo) < 1.0 / px_y  # a doji still shows a one-pixel body
                bc[flat] = bo[flat] + 1.0 / px_y
                pen.setWidthF(body_px)
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
                painter.setPen(pen)
                painter.drawPath(_pairs(x[mask], bo, bc))


class VolumeItem(_BarsItem):
    """Volume bars (summed per bucket when zoomed out), coloured by the bucket's direction."""

    def _compute_bounds(self) -> QRectF:
        bars = self.bars
        if bars is None or len(bars) == 0:
            return QRectF()
        top = float(bars.volume.view().max())
        return QRectF(-0.5, 0.0, len(bars), max(top, 1e-9))

    def _range_of(
        self, high: np.ndarray, low: np.ndarray, volume: np.ndarray
    ) -> tuple[float, float]:
        return 0.0, float(volume.max())

    def paint(self, painter: QPainter, *args: object) -> None:
        shown = self.visible()
        if shown is None:
            return
        x, o, _, _, c, v, size = shown
        px_x = abs(painter.deviceTransform().m11()) or 1.0
        width = max(1.0, 0.7 * float(size) * px_x)
        up = c >= o
        zero = np.zeros(len(x))
        for mask, tint in ((up, self.up), (~up, self.down)):
            if not mask.any():
                continue
            pen = QPen(tint)
            pen.setCosmetic(True)
            pen.setWidthF(width)
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            painter.setPen(pen)
            painter.drawPath(_pairs(x[mask], zero[mask], v[mask]))


class ShadingItem(pg.GraphicsObject):
    """Shades the bars where a position is held: long in one colour, short in another."""

    def __init__(self) -> None:
        super().__init__()
        self.bars: Bars | None = None
        self._index = np.empty(0)
        self._value = np.empty(0)
        self.long = QColor("#26a69a26")
        self.short = QColor("#ef535026")
        self.setZValue(-10)

    def set_steps(self, index: np.ndarray, value: np.ndarray, bars: Bars | None) -> None:
        """The position changes: at bar positions ``index``, the signed quantity ``value``."""
        self._index, self._value, self.bars = index, value, bars
        self.update()

    def set_colors(self, long: str, short: str) -> None:
        self.long = color(long)
        self.short = color(short)
        self.update()

    def boundingRect(self) -> QRectF:
        bars = self.bars
        if bars is None or len(bars) == 0:
            return QRectF()
        return QRectF(-0.5, -1e12, len(bars), 2e12)

    def paint(self, painter: QPainter, *args: object) -> None:
        bars = self.bars
        if bars is None or len(self._index) == 0:
            return
        rect = view_rect(self)
        if rect is None:
            return
        first = max(0.0, math.floor(rect.left()))
        last = min(float(bars.revealed), math.ceil(rect.right()) + 1.0)
        vb = self.getViewBox()
        pixels = max(1.0, float(vb.width()) if vb is not None else 1000.0)
        if last <= first:
            return
        # the position at each pixel-wide bucket's start, runs of equal sign drawn as one rect
        step = max(1.0, (last - first) / pixels)
        starts = np.arange(first, last, step)
        at = np.searchsorted(self._index, starts, side="right") - 1
        sign = np.where(at >= 0, np.sign(self._value[np.maximum(at, 0)]), 0.0)
        change = np.flatnonzero(np.diff(sign)) + 1
        run_starts = np.concatenate(([0], change))
        run_ends = np.concatenate((change, [len(sign)]))
        painter.setPen(Qt.PenStyle.NoPen)
        top, height = rect.top(), rect.height()
        for a, b in zip(run_starts.tolist(), run_ends.tolist(), strict=True):
            s = sign[a]
            if s == 0:
                continue
            left = starts[a] - 0.5
            right = (starts[b] if b < len(starts) else last) - 0.5
            painter.setBrush(self.long if s > 0 else self.short)
            painter.drawRect(QRectF(left, top, right - left, height))


class TimeAxis(pg.AxisItem):
    """An x axis in bar positions that reads as dates and times (UTC)."""

    def __init__(self, times: Callable[[], np.ndarray], **kwargs: object) -> None:
        super().__init__("bottom", **kwargs)
        self._times = times

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        """Dates, or times of day, by how far apart the ticks are in time; the first tick of
        a view showing times also says which day."""
        ts = self._times()
        n = len(ts)
        if n == 0:
            return ["" for _ in values]
        stamps = [int(ts[min(max(round(v), 0), n - 1)]) for v in values]
        gaps = sorted(b - a for a, b in itertools.pairwise(stamps) if b > a)
        gap = gaps[len(gaps) // 2] if gaps else 0
        if gap >= _DAY_NS or all(s % _DAY_NS == 0 for s in stamps):
            fmt = "%Y-%m-%d"
        elif gap >= _HOUR_NS:
            fmt = "%m-%d %H:%M"
        else:
            fmt = "%H:%M" if gap >= _MINUTE_NS else "%H:%M:%S"
        out = []
        for i, (v, s) in enumerate(zip(values, stamps, strict=True)):
            if not -0.5 <= v <= n - 0.5:
                out.append("")
                continue
            moment = datetime.fromtimestamp(s / 1e9, UTC)
            text = moment.strftime(fmt)
            if i == 0 and fmt.startswith("%H"):
                text = moment.strftime("%m-%d ") + text
            out.append(text)
        return out


class GridLines(pg.GraphicsObject):
    """Opaque, unantialiased grid lines at the axes' major ticks (pyqtgraph's own grid blends
    every line over the whole plot: 10-15 ms a frame without a GPU; this costs almost none)."""

    def __init__(self, left: pg.AxisItem, bottom: pg.AxisItem) -> None:
        super().__init__()
        self._left = left
        self._bottom = bottom
        self.color = QColor("#2a2f37")
        self.setZValue(-20)

    def set_color(self, color_text: str) -> None:
        self.color = QColor(color_text)
        self.update()

    def boundingRect(self) -> QRectF:
        rect = view_rect(self)
        return QRectF() if rect is None else rect

    def viewRangeChanged(self) -> None:
        self.prepareGeometryChange()
        self.update()

    def paint(self, painter: QPainter, *args: object) -> None:
        rect = view_rect(self)
        vb = self.getViewBox()
        if rect is None or vb is None:
            return
        pen = QPen(self.color)
        pen.setCosmetic(True)
        pen.setWidth(1)
        painter.setPen(pen)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        ys = _major_ticks(self._left, rect.top(), rect.bottom(), vb.height())
        xs = _major_ticks(self._bottom, rect.left(), rect.right(), vb.width())
        if ys:
            n = len(ys)
            path = pg.arrayToQPath(
                np.tile([rect.left(), rect.right()], n), np.repeat(ys, 2), connect="pairs"
            )
            painter.drawPath(path)
        if xs:
            n = len(xs)
            path = pg.arrayToQPath(
                np.repeat(xs, 2), np.tile([rect.top(), rect.bottom()], n), connect="pairs"
            )
            painter.drawPath(path)


_TICKS: dict[tuple[int, float, float, float], list[float]] = {}


def _major_ticks(axis: pg.AxisItem, low: float, high: float, pixels: float) -> list[float]:
    """The axis's major tick values for a range (remembered: four panes ask every frame)."""
    lo, hi = min(low, high), max(low, high)
    if not axis.isVisible() or hi <= lo or pixels <= 0:
        return []
    key = (id(axis), lo, hi, pixels)
    ticks = _TICKS.get(key)
    if ticks is None:
        if len(_TICKS) > 256:
            _TICKS.clear()
        levels = axis.tickValues(lo, hi, pixels)
        ticks = [float(v) for v in levels[0][1]] if levels else []
        _TICKS[key] = ticks
    return ticks


class FillMarkers(pg.GraphicsObject):
    """Our fills as triangles at their prices (buys up, sells down), with a tooltip when the
    mouse is over one. Drawn from numpy columns, only in view, at most one buy and one sell
    marker per pixel column when zoomed out (a scatter item per fill would not scale)."""

    SIZE_PX = 11.0

    def __init__(self) -> None:
        super().__init__()
        self.x = np.empty(0)
        self.y = np.empty(0)
        self.side = np.empty(0, dtype=np.int8)
        self.text: list[str] = []
        self.buy = QColor("#3fb950")
        self.sell = QColor("#ff7b72")
        self.outline = QColor("#121519")
        self.setAcceptHoverEvents(True)
        self.setZValue(10)

    def set_colors(self, buy: str, sell: str, outline: str) -> None:
        self.buy, self.sell, self.outline = QColor(buy), QColor(sell), QColor(outline)
        self.update()

    def set_fills(self, x: np.ndarray, y: np.ndarray, side: np.ndarray, text: list[str]) -> None:
        self.prepareGeometryChange()
        self.x, self.y, self.side, self.text = x, y, side, text
        self.update()

    def boundingRect(self) -> QRectF:
        if len(self.x) == 0:
            return QRectF()
        return QRectF(
            float(self.x.min()) - 1,
            float(self.y.min()),
            float(self.x.max() - self.x.min()) + 2,
            max(float(self.y.max() - self.y.min()), 1e-9),
        )

    def _in_view(self) -> np.ndarray:
        rect = view_rect(self)
        if rect is None or len(self.x) == 0:
            return np.empty(0, dtype=np.int64)
        lo = int(np.searchsorted(self.x, rect.left(), side="left"))
        hi = int(np.searchsorted(self.x, rect.right(), side="right"))
        return np.arange(lo, hi)

    def paint(self, painter: QPainter, *args: object) -> None:
        shown = self._in_view()
        if len(shown) == 0:
            return
        transform = painter.deviceTransform()
        sx, sy = abs(transform.m11()), abs(transform.m22())
        if sx == 0 or sy == 0:
            return
        half_x = self.SIZE_PX / 2 / sx  # half a marker, in data units
        half_y = self.SIZE_PX / 2 / sy
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(self.outline)
        pen.setCosmetic(True)
        pen.setWidthF(0.8)
        painter.setPen(pen)
        x, y, side = self.x[shown], self.y[shown], self.side[shown]
        for is_buy, fill in ((True, self.buy), (False, self.sell)):
            mask = (side > 0) == is_buy
            if not mask.any():
                continue
            mx, my = x[mask], y[mask]
            # one marker per pixel column is enough to see where fills happened
            _, first = np.unique(np.round(mx * sx), return_index=True)
            sign = 1.0 if is_buy else -1.0  # buys point up: the apex above the price
            path = QPainterPath()
            for cx, cy in zip(mx[first].tolist(), my[first].tolist(), strict=True):
                path.moveTo(cx, cy + sign * half_y)
                path.lineTo(cx + half_x, cy - sign * half_y)
                path.lineTo(cx - half_x, cy - sign * half_y)
                path.closeSubpath()
            painter.setBrush(fill)
            painter.drawPath(path)

    def nearest(self, scene_x: float, scene_y: float, max_px: float = 8.0) -> int | None:
        """The fill under the mouse (within ``max_px`` scene pixels), if any."""
        shown = self._in_view()
        if len(shown) == 0:
            return None
        px = _to_pixels(self.sceneTransform(), self.x[shown], self.y[shown])
        if px is None:
            return None
        d = np.hypot(px[:, 0] - scene_x, px[:, 1] - scene_y)
        k = int(d.argmin())
        return int(shown[k]) if d[k] <= max_px else None

    def hoverEvent(self, event: object) -> None:
        vb = self.getViewBox()
        if vb is None or getattr(event, "isExit", lambda: True)():
            if vb is not None:
                vb.setToolTip("")
            return
        pos = event.scenePos()  # type: ignore[attr-defined]
        found = self.nearest(pos.x(), pos.y())
        vb.setToolTip("" if found is None else self.text[found])


def _to_pixels(transform: QTransform, x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """Points through an axis-aligned transform (what views of a chart use), vectorized."""
    sx, sy = transform.m11(), transform.m22()
    if sx == 0 or sy == 0:
        return None
    return np.column_stack((x * sx + transform.dx(), y * sy + transform.dy()))
