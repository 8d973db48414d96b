"""Trade ticks into OHLCV bars, vectorised.

A bar covers the half-open interval ``[end - period, end)`` and is labelled by its END time,
like every bar in Tradebench (when the bar became known). Intervals are aligned to
``origin_ns`` (default the Unix epoch, so 1-minute bars end on whole minutes UTC): a trade
stamped exactly on a boundary opens the next bar. Periods without trades get no bar (no
flat filler bars); volume is the sum of trade sizes, prices are exact raw ints.
"""

from __future__ import annotations

import numpy as np

from core.data.display import format_period_ns
from core.data.series import BarSeries, TradeSeries


def resample_trades(trades: TradeSeries, period_ns: int, *, origin_ns: int = 0) -> BarSeries:
    """OHLCV bars of ``period_ns`` from trades in time order (as every loader returns them)."""
    if period_ns <= 0:
        raise ValueError(f"period must be positive, got {period_ns} ns")
    ts = trades.ts_event
    if len(ts) == 0:
        return BarSeries(
            instrument_id=trades.instrument_id,
            period_ns=period_ns,
            ts_event=[],
            open=[],
            high=[],
            low=[],
            close=[],
            volume=[],
        )
    if np.any(ts[1:] < ts[:-1]):
        first = int(np.flatnonzero(ts[1:] < ts[:-1])[0]) + 1
        raise ValueError(
            f"trades must be in time order to make {format_period_ns(period_ns)} bars; "
            f"trade {first + 1} is earlier than trade {first}"
        )
    bucket = (ts - origin_ns) // period_ns  # floor division: right for times before origin too
    starts = np.concatenate(([0], np.flatnonzero(bucket[1:] != bucket[:-1]) + 1))
    ends = np.concatenate((starts[1:], [len(ts)])) - 1
    price = trades.price
    return BarSeries(
        instrument_id=trades.instrument_id,
        period_ns=period_ns,
        ts_event=(bucket[starts] + 1) * period_ns + origin_ns,
        open=price[starts],
        high=np.maximum.reduceat(price, starts),
        low=np.minimum.reduceat(price, starts),
        close=price[ends],
        volume=np.add.reduceat(trades.size, starts),
    )
