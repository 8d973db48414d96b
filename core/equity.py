"""The equity curve of a backtest, rebuilt after the run from the account ledgers and the data.

Equity after market event ``i`` is ``cash(i) + sum over instruments of qty(i) x mark(i) x
multiplier``; cash and quantities only change at fills (the ledger), marks only with the data
(close of a bar, mid of a quote, price of a print, the book's mid after an L2 update).
Rebuilding it with numpy at the end is exact (the same integer rounding as
``Position.market_value_raw``) and keeps the per-event loop free of sampling work. Values
beyond int64 fall back to exact Python ints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from core.data import BarSeries, BookSeries, QuoteSeries, TradeSeries
from core.portfolio import Ledger
from core.values import SCALE, div_round_half_even

Int64Array = npt.NDArray[np.int64]
Series = BarSeries | QuoteSeries | TradeSeries | BookSeries
_INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Timeline:
    """Every market event of a run in dispatch order: its time, instrument and mark."""

    ts: Int64Array
    instrument: npt.NDArray[np.intp]  # index into instrument_ids
    mark: Int64Array
    instrument_ids: list[str]

    def __len__(self) -> int:
        return len(self.ts)


def _marks(series: Series) -> Int64Array:
    if isinstance(series, BarSeries):
        return series.close
    if isinstance(series, QuoteSeries):
        return (series.bid + series.ask) // 2  # the kernel's mark: mid rounded down
    if isinstance(series, BookSeries):
        return series.mark
    return series.price


def timeline_of(series: Sequence[Series], events: int) -> Timeline:
    """The first ``events`` events of ``series`` merged as the historical feed merges them
    (by time; ties in the order the series were given, then file order)."""
    ids: list[str] = []
    index: list[int] = []
    for s in series:
        if s.instrument_id not in ids:
            ids.append(s.instrument_id)
        index.append(ids.index(s.instrument_id))
    if len(series) == 1:
        only = series[0]
        return Timeline(
            only.ts_event[:events],
            np.zeros(min(events, len(only)), dtype=np.intp),
            _marks(only)[:events],
            ids,
        )
    ts = np.concatenate([s.ts_event for s in series])
    order = np.argsort(ts, kind="stable")[:events]
    inst = np.repeat(np.array(index, dtype=np.intp), [len(s) for s in series])
    marks = np.concatenate([_marks(s) for s in series])
    return Timeline(ts[order], inst[order], marks[order], ids)


def sample_points(timeline: Timeline, every_ns: int) -> npt.NDArray[np.intp]:
    """Event indices to sample: all of them (``every_ns`` 0) or the last of each interval."""
    n = len(timeline)
    if every_ns <= 0 or n == 0:
        return np.arange(n, dtype=np.intp)
    bucket = timeline.ts // every_ns
    return np.flatnonzero(np.diff(bucket, append=bucket[-1] + 1)).astype(np.intp)


def rebuild_equity(
    timeline: Timeline,
    ledger: Ledger,
    multipliers: dict[str, int],
    points: npt.NDArray[np.intp],
) -> Int64Array | npt.NDArray[np.object_]:
    """The account's exact equity (raw units) after each event in ``points``."""
    event_number = points + 1  # ledger entries carry the 1-based number of their event
    seqs = np.asarray(ledger.seq.values, dtype=np.int64)
    cash_values = ledger.cash.values
    at = np.searchsorted(seqs, event_number, side="right") - 1
    equity = _pick(cash_values, at, ledger.opening_cash_raw)
    names = np.array(ledger.instrument_id, dtype=object)
    qty_all = np.asarray(ledger.qty.values, dtype=np.int64)
    px_all = np.asarray(ledger.px.values, dtype=np.int64)
    for instrument_id in sorted(set(ledger.instrument_id) - {""}):
        mine = np.flatnonzero(names == instrument_id)
        where = np.searchsorted(seqs[mine], event_number, side="right") - 1
        held = where >= 0
        qty = np.where(held, qty_all[mine][np.maximum(where, 0)], 0)
        fill_px = np.where(held, px_all[mine][np.maximum(where, 0)], 0)
        mark = _mark_at(timeline, instrument_id, points, fill_px)
        equity = equity + _market_value(qty, mark, multipliers[instrument_id])
    return equity


def _pick(
    values: Sequence[int], at: npt.NDArray[np.intp], before: int
) -> Int64Array | npt.NDArray[np.object_]:
    if len(values) == 0:
        return np.full(len(at), before, dtype=np.int64)
    big = max(abs(before), max(abs(v) for v in values)) > _INT64_MAX // 4
    column = np.array(values, dtype=object if big else np.int64)
    base = np.array(before, dtype=column.dtype)
    return np.where(at >= 0, column[np.maximum(at, 0)], base)


def _mark_at(
    timeline: Timeline, instrument_id: str, points: npt.NDArray[np.intp], fallback: Int64Array
) -> Int64Array:
    """The instrument's last mark at or before each point (the fill price before any data)."""
    if len(timeline.instrument_ids) == 1:
        return timeline.mark[points]
    j = timeline.instrument_ids.index(instrument_id)
    positions = np.arange(len(timeline), dtype=np.intp)
    last = np.maximum.accumulate(np.where(timeline.instrument == j, positions, -1))[points]
    return np.where(last >= 0, timeline.mark[np.maximum(last, 0)], fallback)


def _market_value(
    qty: Int64Array, mark: Int64Array, multiplier: int
) -> Int64Array | npt.NDArray[np.object_]:
    """``Position.market_value_raw`` for arrays: whole units exactly in int64 when it fits."""
    if not np.any(qty % SCALE):
        units = qty // SCALE
        bound = int(np.max(np.abs(units), initial=0)) * int(np.max(mark, initial=0)) * multiplier
        if bound <= _INT64_MAX // 4:
            return units * mark * multiplier
    out = np.empty(len(qty), dtype=object)
    for k, (q, m) in enumerate(zip(qty.tolist(), mark.tolist(), strict=True)):
        value = div_round_half_even(abs(q) * m * multiplier, SCALE)
        out[k] = value if q >= 0 else -value
    return out
