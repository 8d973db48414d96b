"""The backtrader sample files, checked against the facts in the shared data README (section 1)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from core.data import BarSeries, load_bars, load_trades
from core.data.layouts import detect_layout
from core.data.text_source import open_text_source
from core.values import SCALE

MINUTE_NS = 60 * 10**9
DAY_NS = 86_400 * 10**9


def _utc_ns(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> int:
    moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return int(moment.timestamp()) * 10**9


def _dates(bars: BarSeries) -> list[str]:
    """The calendar date of each daily bar (the day before its end-of-day timestamp, UTC)."""
    days = (bars.ts_event - 1) // DAY_NS
    return [str(day) for day in days.astype("datetime64[D]")]


@pytest.mark.parametrize(
    ("name", "rows", "first", "last"),
    [
        ("orcl_daily_1995-2014.csv", 5036, "1995-01-03", "2014-12-31"),
        ("yhoo_daily_1996-2015.csv", 4965, "1996-04-12", "2015-12-31"),
        ("nvda_daily_1999-2014.csv", 4012, "1999-01-22", "2014-12-31"),
        ("stoxx50_daily_2006.csv", 255, "2006-01-02", "2006-12-29"),
    ],
)
def test_daily_files(shared_data: Path, name: str, rows: int, first: str, last: str) -> None:
    bars = load_bars(shared_data / "backtrader" / name)
    dates = _dates(bars)
    assert (len(bars), dates[0], dates[-1]) == (rows, first, last)
    assert bars.period_ns == DAY_NS


def test_orcl_uses_raw_close_not_adjusted(shared_data: Path) -> None:
    bars = load_bars(shared_data / "backtrader" / "orcl_daily_1995-2014.csv")
    assert bars.instrument_id == "ORCL.SIM"
    # 1995-01-03: Close 2.117284 ("closes at 2.12"), Adj Close 1.883304 is ignored.
    assert bars.close[0] == 2_117_284_000
    assert bars.open[0] == 2_179_012_000
    assert bars.volume[0] == 36_301_200 * SCALE
    assert bars.ts_event[0] == _utc_ns(1995, 1, 4)  # the bar ends at midnight after its date
    assert (bars.volume > 0).all()


def test_market_closures_are_gaps(shared_data: Path) -> None:
    dates = _dates(load_bars(shared_data / "backtrader" / "orcl_daily_1995-2014.csv"))
    assert dates[dates.index("2001-09-10") + 1] == "2001-09-17"
    assert "2007-01-02" not in dates
    assert "2012-10-29" not in dates and "2012-10-30" not in dates


def test_yhoo_jump_on_microsoft_bid(shared_data: Path) -> None:
    bars = load_bars(shared_data / "backtrader" / "yhoo_daily_1996-2015.csv")
    i = _dates(bars).index("2008-02-01")
    assert 0.47 < bars.close[i] / bars.close[i - 1] - 1 < 0.49


def test_stoxx_last_close(shared_data: Path) -> None:
    bars = load_bars(shared_data / "backtrader" / "stoxx50_daily_2006.csv")
    assert bars.close[-1] == 4119_940_000_000
    assert (bars.volume == 0).all()


def test_stoxx_five_minute_bars(shared_data: Path) -> None:
    bars = load_bars(shared_data / "backtrader" / "stoxx50_5min_2006-01.csv")
    assert bars.period_ns == 5 * MINUTE_NS
    assert len(bars) == 2142
    assert bars.ts_event[0] == _utc_ns(2006, 1, 2, 9, 5)  # end-labelled, read in UTC by default
    assert bars.ts_event[-1] == _utc_ns(2006, 1, 30, 17, 30)
    days, counts = np.unique(bars.ts_event // DAY_NS, return_counts=True)
    assert len(days) == 21 and (counts == 102).all()


def test_five_minute_bars_aggregate_to_daily(shared_data: Path) -> None:
    intraday = load_bars(shared_data / "backtrader" / "stoxx50_5min_2006-01.csv")
    daily = load_bars(shared_data / "backtrader" / "stoxx50_daily_2006.csv")
    day_of_bar = intraday.ts_event // DAY_NS
    mismatches = []
    for day in np.unique(day_of_bar):
        bars = intraday.slice_time(int(day) * DAY_NS, int(day + 1) * DAY_NS)
        row = int(np.searchsorted(daily.ts_event, (day + 1) * DAY_NS))
        aggregate = (bars.open[0], bars.high.max(), bars.low.min(), bars.close[-1])
        reference = (daily.open[row], daily.high[row], daily.low[row], daily.close[row])
        for name, got, want in zip("OHLC", aggregate, reference, strict=True):
            if got != want:
                mismatches.append((str(np.datetime64(int(day), "D")), name, got, want))
    # The README's one exception: the 5-minute high of 2006-01-27 exceeds the daily high.
    assert mismatches == [("2006-01-27", "H", 3685_950_000_000, 3685_480_000_000)]


def test_fesx_minute_file_parsed_by_position(shared_data: Path) -> None:
    path = shared_data / "backtrader" / "fesx_1min_2006-01-02_2006-02-27.csv"
    assert detect_layout(open_text_source(path)) == "backtrader_intraday"
    bars = load_bars(path)
    assert len(bars) == 30889
    assert bars.period_ns == MINUTE_NS
    # First row: 2006-01-02,09:01:00,3602.00,3603.00,3597.00,3599.00,5699,0
    first = (bars.open[0], bars.high[0], bars.low[0], bars.close[0], bars.volume[0])
    assert first == (3602 * SCALE, 3603 * SCALE, 3597 * SCALE, 3599 * SCALE, 5699 * SCALE)
    assert bars.ts_event[0] == _utc_ns(2006, 1, 2, 9, 1)
    assert bars.ts_event[-1] == _utc_ns(2006, 2, 27, 22, 0)
    assert len(np.unique(bars.ts_event // DAY_NS)) == 41
    flat = (bars.open == bars.high) & (bars.high == bars.low) & (bars.low == bars.close)
    assert int(flat.sum()) == 5736
    steps = np.diff(bars.ts_event)[np.diff(bars.ts_event // DAY_NS) == 0]
    assert int((steps == 2 * MINUTE_NS).sum()) == 595
    assert int((steps == 3 * MINUTE_NS).sum()) == 85


def test_time_zone_of_naive_files(shared_data: Path) -> None:
    path = shared_data / "backtrader" / "fesx_1min_2006-01-02_2006-02-27.csv"
    bars = load_bars(path, tz="Europe/Berlin", instrument_id="FESX.EUREX")
    assert bars.instrument_id == "FESX.EUREX"
    assert bars.ts_event[0] == _utc_ns(2006, 1, 2, 8, 1)  # 09:01 CET


def test_explicit_period_must_match(shared_data: Path) -> None:
    path = shared_data / "backtrader" / "stoxx50_daily_2006.csv"
    with pytest.raises(ValueError, match=r"holds 1d bars, not the 1m asked for"):
        load_bars(path, period_ns=MINUTE_NS)


def test_fesx_ticks(shared_data: Path) -> None:
    trades = load_trades(shared_data / "backtrader" / "fesx_ticks_2015-09-23.csv")
    assert len(trades) == 135
    assert trades.ts_event[0] == _utc_ns(2015, 9, 23, 20, 57, 42) + 146_000_000
    assert trades.ts_event[-1] == _utc_ns(2015, 9, 23, 21, 0, 0) + 238_000_000
    assert int((np.diff(trades.ts_event) == 0).sum()) == 1  # the one legal duplicate
    # The README says 3066-3069; the file also holds one print at 3065.
    assert trades.price.min() == 3065 * SCALE and trades.price.max() == 3069 * SCALE
    assert trades.size[0] == 180 * SCALE
    assert (trades.aggressor == 0).all()


def test_tick_file_is_not_bars(shared_data: Path) -> None:
    with pytest.raises(ValueError, match=r"backtrader_ticks, which holds trades: use load_trades"):
        load_bars(shared_data / "backtrader" / "fesx_ticks_2015-09-23.csv")
