"""Trade ticks into OHLCV bars."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.data import load_trades
from core.data.binance import BinanceStream, load_binance_trades
from core.data.resample import resample_trades
from core.data.series import TradeSeries
from core.data.validation import validate_bars

S = 1_000_000_000
MINUTE = 60 * S


def _trades(rows: list[tuple[int, int, int]]) -> TradeSeries:
    return TradeSeries(
        instrument_id="T.SIM",
        ts_event=[r[0] for r in rows],
        price=[r[1] for r in rows],
        size=[r[2] for r in rows],
        aggressor=[0] * len(rows),
    )


def test_bars_are_labelled_by_end_time_and_skip_empty_periods() -> None:
    trades = _trades(
        [
            (0, 10, 1),  # bar [0, 10)
            (3, 12, 2),
            (9, 8, 1),
            (10, 11, 5),  # exactly on the boundary: opens bar [10, 20)
            (35, 9, 4),  # [20, 30) is empty: no bar; this is bar [30, 40)
            (39, 9, 1),
        ]
    )
    bars = resample_trades(trades, 10)
    assert bars.period_ns == 10 and bars.instrument_id == "T.SIM"
    assert bars.ts_event.tolist() == [10, 20, 40]
    assert bars.open.tolist() == [10, 11, 9]
    assert bars.high.tolist() == [12, 11, 9]
    assert bars.low.tolist() == [8, 11, 9]
    assert bars.close.tolist() == [8, 11, 9]
    assert bars.volume.tolist() == [4, 5, 5]
    validate_bars(bars)


def test_origin_shifts_the_grid_and_negative_times_floor() -> None:
    trades = _trades([(-5, 1, 1), (4, 2, 1), (6, 3, 1)])
    assert resample_trades(trades, 10).ts_event.tolist() == [0, 10]
    shifted = resample_trades(trades, 10, origin_ns=5)
    assert shifted.ts_event.tolist() == [5, 15]
    assert shifted.close.tolist() == [2, 3]


def test_edge_cases() -> None:
    empty = resample_trades(_trades([]), MINUTE)
    assert len(empty) == 0 and empty.period_ns == MINUTE
    single = resample_trades(_trades([(MINUTE, 7, 3)]), MINUTE)
    assert single.ts_event.tolist() == [2 * MINUTE] and single.volume.tolist() == [3]
    with pytest.raises(ValueError, match="positive"):
        resample_trades(_trades([(0, 1, 1)]), 0)
    with pytest.raises(ValueError, match="trade 2 is earlier than trade 1"):
        resample_trades(_trades([(5, 1, 1), (4, 1, 1)]), 10)


def test_fesx_ticks_into_minute_bars(shared_data: Path) -> None:
    trades = load_trades(shared_data / "backtrader/fesx_ticks_2015-09-23.csv")
    bars = resample_trades(trades, MINUTE)
    validate_bars(bars)
    assert len(trades) == 135
    # 20:57:42.146 .. 21:00:00.238 UTC: bars ending 20:58, 20:59, 21:00, 21:01
    end = np.datetime64("2015-09-23T21:00:00", "ns").astype(np.int64)
    assert bars.ts_event.tolist() == [int(end) + k * MINUTE for k in (-2, -1, 0, 1)]
    # hand-checked in the CSV: the 87 prints of 20:59:00.222 .. 20:59:59.547 make the bar
    # ending 21:00: open 3068 (20:59:00.222), high 3069, low 3067, close 3068 (20:59:59.547),
    # volume 1383; the print at 21:00:00.238 (3069 x 1) is alone in the next bar
    i = 2
    assert (bars.open[i], bars.high[i], bars.low[i], bars.close[i]) == (
        3068 * S,
        3069 * S,
        3067 * S,
        3068 * S,
    )
    assert bars.volume[i] == 1383 * S
    assert (bars.open[3], bars.close[3], bars.volume[3]) == (3069 * S, 3069 * S, 1 * S)
    assert bars.volume.tolist() == [186 * S, 1029 * S, 1383 * S, 1 * S]
    assert int(bars.volume.sum()) == int(trades.size.sum())


def test_binance_trades_into_minute_bars(binance_stream: BinanceStream) -> None:
    trades = load_binance_trades(binance_stream)
    bars = resample_trades(trades, MINUTE)
    validate_bars(bars)
    # 23:54:14 .. 00:05:04 local time: every minute from 23:55 to 00:06 has trades
    assert len(bars) == 12
    assert np.all(np.diff(bars.ts_event) == MINUTE)
    assert int(bars.volume.sum()) == int(trades.size.sum())
    assert bars.open[0] == trades.price[0] and bars.close[-1] == trades.price[-1]
