"""What a chart shows for one run, kept as growing numpy columns (never an object per bar).

The chart's x axis is the bar index of the instrument shown: weekends and nights take no room,
and the equity, drawdown and volume panes share that axis. Every other series (fills, indicator
samples, equity, position changes) is stamped in event time and mapped to bar positions with
``searchsorted``.
"""

from __future__ import annotations

import numpy as np

from core.data import BarSeries, QuoteSeries, TradeSeries
from core.values import SCALE

_FIRST_CAPACITY = 1024


class Column:
    """A numpy column that grows by doubling; ``view()`` is the filled part (no copy)."""

    def __init__(self, dtype: type | np.dtype, values: np.ndarray | None = None) -> None:
        if values is None:
            self._data = np.empty(_FIRST_CAPACITY, dtype=dtype)
            self._n = 0
        else:
            self._data = np.array(values, dtype=dtype)
            self._n = len(values)

    def __len__(self) -> int:
        return self._n

    def view(self) -> np.ndarray:
        return self._data[: self._n]

    def extend(self, values: np.ndarray | list[float] | list[int]) -> None:
        k = len(values)
        if k == 0:
            return
        need = self._n + k
        if need > len(self._data):
            grown = np.empty(max(need, 2 * len(self._data), _FIRST_CAPACITY), self._data.dtype)
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n : need] = values
        self._n = need

    def replace(self, values: np.ndarray) -> None:
        self._data = np.array(values, dtype=self._data.dtype)
        self._n = len(values)


class Bars:
    """OHLCV of one instrument as floats for drawing, plus the bar end times."""

    def __init__(self, instrument_id: str, period_ns: int) -> None:
        self.instrument_id = instrument_id
        self.period_ns = period_ns
        self.ts = Column(np.int64)
        self.open = Column(np.float64)
        self.high = Column(np.float64)
        self.low = Column(np.float64)
        self.close = Column(np.float64)
        self.volume = Column(np.float64)
        self.revealed = 0  # bars the replay has reached (the chart shows no future)
        self.version = 0  # bumped when bars are added, so views know to rebuild their caches

    def __len__(self) -> int:
        return len(self.ts)

    @staticmethod
    def from_series(series: BarSeries | QuoteSeries | TradeSeries) -> Bars:
        """Bars as they are; quotes (their mid) and trades (their price) as one-price bars."""
        if isinstance(series, BarSeries):
            bars = Bars(series.instrument_id, series.period_ns)
            columns = (series.open, series.high, series.low, series.close, series.volume)
        elif isinstance(series, QuoteSeries):
            bars = Bars(series.instrument_id, 0)
            mid = (series.bid + series.ask) // 2
            size = series.bid_size + series.ask_size
            columns = (mid, mid, mid, mid, size)
        else:
            bars = Bars(series.instrument_id, 0)
            columns = (series.price, series.price, series.price, series.price, series.size)
        bars.ts.replace(series.ts_event)
        for target, raw in zip(
            (bars.open, bars.high, bars.low, bars.close, bars.volume), columns, strict=True
        ):
            target.replace(raw.astype(np.float64) / SCALE)
        return bars

    def append(self, ts: int, o: int, h: int, lo: int, c: int, v: int) -> None:
        self.ts.extend([ts])
        for column, raw in zip(
            (self.open, self.high, self.low, self.close, self.volume), (o, h, lo, c, v), strict=True
        ):
            column.extend([raw / SCALE])
        self.revealed = len(self.ts)
        self.version += 1

    def reveal_until(self, ts: int) -> None:
        self.revealed = int(np.searchsorted(self.ts.view(), ts, side="right"))

    def index_of(self, ts: np.ndarray | int) -> np.ndarray:
        """Bar positions of event times: the bar whose period holds each time (bars carry
        their end time)."""
        return np.searchsorted(self.ts.view(), ts, side="left").astype(np.float64)


class Fills:
    """Our executions in one instrument."""

    def __init__(self) -> None:
        self.ts = Column(np.int64)
        self.price = Column(np.float64)
        self.side = Column(np.int8)
        self.text: list[str] = []  # the tooltip of each fill
        self.version = 0

    def __len__(self) -> int:
        return len(self.ts)

    def add(self, ts: list[int], price_raw: list[int], side: list[int], text: list[str]) -> None:
        """A batch of fills, in time order."""
        self.ts.extend(ts)
        self.price.extend(np.array(price_raw, dtype=np.float64) / SCALE)
        self.side.extend(side)
        self.text.extend(text)
        self.version += 1


class Steps:
    """A value that changes at event times (a position's signed quantity)."""

    def __init__(self) -> None:
        self.ts = Column(np.int64)
        self.value = Column(np.float64)
        self.version = 0

    def add(self, ts: list[int], values: list[float]) -> None:
        """A batch of changes, in time order."""
        self.ts.extend(ts)
        self.value.extend(values)
        self.version += 1


class Line:
    """Samples of a value over event time (an indicator, the equity)."""

    def __init__(self) -> None:
        self.ts = Column(np.int64)
        self.value = Column(np.float64)
        self.version = 0

    def __len__(self) -> int:
        return len(self.ts)

    def extend(self, ts: list[int] | np.ndarray, values: list[float] | np.ndarray) -> None:
        self.ts.extend(ts)
        self.value.extend(values)
        self.version += 1

    def replace(self, ts: np.ndarray, values: np.ndarray) -> None:
        self.ts.replace(ts)
        self.value.replace(values)
        self.version += 1


class ChartData:
    """Everything one run's chart shows, per instrument where it matters."""

    def __init__(self) -> None:
        self.bars: dict[str, Bars] = {}
        self.fills: dict[str, Fills] = {}
        self.positions: dict[str, Steps] = {}
        self.plots: dict[str, dict[str, Line]] = {}  # instrument -> line name -> samples
        self.equity = Line()
        self.currency = ""

    @property
    def instrument_ids(self) -> list[str]:
        return list(self.bars)

    def add_series(self, series: BarSeries | QuoteSeries | TradeSeries) -> None:
        self.bars[series.instrument_id] = Bars.from_series(series)

    def fills_of(self, instrument_id: str) -> Fills:
        return self.fills.setdefault(instrument_id, Fills())

    def position_of(self, instrument_id: str) -> Steps:
        return self.positions.setdefault(instrument_id, Steps())

    def line(self, instrument_id: str, name: str) -> Line:
        return self.plots.setdefault(instrument_id, {}).setdefault(name, Line())

    def reveal_until(self, ts: int) -> None:
        for bars in self.bars.values():
            bars.reveal_until(ts)
