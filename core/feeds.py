"""Historical feeds: columnar series in, time-ordered chunks of plain-int columns out.

Several series are merged by event time; ties keep the order in which the series were given,
then file order, so a run is deterministic. Only one chunk of Python ints exists at a time.
A chunk never ends inside an L2 book update (its rows are applied together).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from core.data import BarSeries, BookSeries, QuoteSeries, TradeSeries
from core.replay import BARS, BOOK, QUOTES, TRADES, ColumnChunk

Series = BarSeries | QuoteSeries | TradeSeries | BookSeries
DEFAULT_CHUNK = 65_536


def _chunk(series: Series, start: int, stop: int) -> ColumnChunk:
    iid = series.instrument_id
    ts = series.ts_event[start:stop].tolist()
    if isinstance(series, BarSeries):
        return ColumnChunk(
            BARS,
            iid,
            ts,
            series.open[start:stop].tolist(),
            series.high[start:stop].tolist(),
            series.low[start:stop].tolist(),
            series.close[start:stop].tolist(),
            series.volume[start:stop].tolist(),
        )
    if isinstance(series, QuoteSeries):
        return ColumnChunk(
            QUOTES,
            iid,
            ts,
            series.bid[start:stop].tolist(),
            series.ask[start:stop].tolist(),
            series.bid_size[start:stop].tolist(),
            series.ask_size[start:stop].tolist(),
            [],
        )
    if isinstance(series, BookSeries):
        return ColumnChunk(
            BOOK,
            iid,
            ts,
            series.side[start:stop].tolist(),
            series.price[start:stop].tolist(),
            series.size[start:stop].tolist(),
            series.sequence[start:stop].tolist(),
            [],
        )
    return ColumnChunk(
        TRADES,
        iid,
        ts,
        series.price[start:stop].tolist(),
        series.size[start:stop].tolist(),
        series.aggressor[start:stop].astype(np.int64).tolist(),
        [],
        [],
    )


class HistoricalFeed:
    """Iterates ``(chunks, order)`` pairs: ``order`` is None when there is a single series
    (replay the one chunk straight through), else the chunk index of each event in time order."""

    def __init__(self, series: Sequence[Series], chunk_size: int = DEFAULT_CHUNK) -> None:
        if not series:
            raise ValueError("a backtest needs at least one data series")
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self.series = list(series)
        self.chunk_size = chunk_size

    def __len__(self) -> int:
        return sum(len(s) for s in self.series)

    @property
    def first_ts(self) -> int:
        return min(int(s.ts_event[0]) for s in self.series if len(s))

    @property
    def last_ts(self) -> int:
        return max(int(s.ts_event[-1]) for s in self.series if len(s))

    def __iter__(self) -> Iterator[tuple[list[ColumnChunk], list[int] | None]]:
        if len(self.series) == 1:
            only = self.series[0]
            inside = ~only.update_starts() if isinstance(only, BookSeries) else None
            for start, stop in _windows(len(only), self.chunk_size, inside):
                yield [_chunk(only, start, stop)], None
            return
        yield from self._merged()

    def _merged(self) -> Iterator[tuple[list[ColumnChunk], list[int] | None]]:
        lengths = [len(s) for s in self.series]
        all_ts = np.concatenate([s.ts_event for s in self.series])
        source = np.repeat(np.arange(len(self.series), dtype=np.int64), lengths)
        merge_order = np.argsort(all_ts, kind="stable")
        merged_source = source[merge_order]
        inside: np.ndarray | None = None  # rows that continue a book update
        if any(isinstance(s, BookSeries) for s in self.series):
            inside = np.concatenate(
                [
                    ~s.update_starts() if isinstance(s, BookSeries) else np.zeros(len(s), bool)
                    for s in self.series
                ]
            )[merge_order]
        position = [0] * len(self.series)
        for start, stop in _windows(len(merged_source), self.chunk_size, inside):
            window = merged_source[start:stop]
            counts = np.bincount(window, minlength=len(self.series))
            present = [k for k in range(len(self.series)) if counts[k] > 0]
            remap = np.full(len(self.series), -1, dtype=np.int64)
            chunks: list[ColumnChunk] = []
            for slot, k in enumerate(present):
                remap[k] = slot
                chunks.append(_chunk(self.series[k], position[k], position[k] + int(counts[k])))
                position[k] += int(counts[k])
            yield chunks, remap[window].tolist()


def _windows(n: int, size: int, inside: np.ndarray | None) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive windows of about ``size`` rows; a window is extended
    while the next row is ``inside`` a book update (continues the row before it)."""
    start = 0
    while start < n:
        stop = min(start + size, n)
        if inside is not None:
            while stop < n and inside[stop]:
                stop += 1
        yield start, stop
        start = stop
