"""Ticks inside bars (``core.data.tickgen``): OHLC and volume honoured exactly, arrivals inside
the bars and sorted, quotes consistent with the prints, the spread widening with volatility,
seeds reproducible; and the "every tick" feed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.data import (
    BarSeries,
    QuoteSeries,
    TradeSeries,
    generate_bars,
    load_series,
    validate_quotes,
    validate_trades,
)
from core.data.tickgen import every_tick, ticks_from_bars
from core.values import SCALE

CENT = SCALE // 100
MINUTE = 60 * SCALE


def _check_ticks(
    bars: BarSeries, quotes: QuoteSeries, trades: TradeSeries, tick: int, lot: int
) -> None:
    """Every property the module promises, bar by bar (vectorised)."""
    validate_quotes(quotes)
    validate_trades(trades)
    assert np.array_equal(quotes.ts_event, trades.ts_event)
    ts = trades.ts_event
    end = bars.ts_event
    start = np.concatenate(
        ([end[0] - bars.period_ns], np.maximum(end[1:] - bars.period_ns, end[:-1]))
    )
    # the bar of each tick: the first bar ending after it
    bar = np.searchsorted(end, ts, side="right")
    assert np.all(np.diff(ts) >= 0)
    assert np.all(ts >= start[bar]) and np.all(ts < end[bar])
    first = np.searchsorted(bar, np.arange(len(bars)), side="left")
    last = np.searchsorted(bar, np.arange(len(bars)), side="right") - 1
    assert np.all(last >= first), "every bar has at least one print"
    price = trades.price
    assert np.array_equal(price[first], bars.open)
    assert np.array_equal(price[last], bars.close)
    assert np.array_equal(np.maximum.reduceat(price, first), bars.high)
    assert np.array_equal(np.minimum.reduceat(price, first), bars.low)
    assert np.array_equal(np.add.reduceat(trades.size, first), bars.volume)
    for column in (price, quotes.bid, quotes.ask):
        assert np.all(column % tick == 0)
    # whole lots, except the odd remainder a volume that is not whole lots leaves on the last
    odd = np.zeros(len(ts), dtype=np.int64)
    odd[last] = bars.volume % lot
    assert np.all((trades.size - odd) % lot == 0)
    assert np.all(quotes.bid_size % lot == 0) and np.all(quotes.ask_size % lot == 0)
    assert np.all(quotes.bid < quotes.ask)
    buy = trades.aggressor == 1
    assert np.all((trades.aggressor == 1) | (trades.aggressor == 2))
    assert np.array_equal(price[buy], quotes.ask[buy])
    assert np.array_equal(price[~buy], quotes.bid[~buy])
    shown = np.where(buy, quotes.ask_size, quotes.bid_size)
    assert np.all(trades.size - odd <= shown)


@st.composite
def random_bars(draw: st.DrawFn) -> tuple[BarSeries, int]:
    """Consistent bars on a cent grid: any mix of flat bars, gaps, volume 0, volumes too small
    for the path and volumes that are not whole lots."""
    n = draw(st.integers(1, 40))
    lot = draw(st.sampled_from([1, 100])) * SCALE
    opens = draw(st.lists(st.integers(1, 500), min_size=n, max_size=n))
    closes = draw(st.lists(st.integers(1, 500), min_size=n, max_size=n))
    ups = draw(st.lists(st.integers(0, 50), min_size=n, max_size=n))
    downs = draw(st.lists(st.integers(0, 50), min_size=n, max_size=n))
    volumes = draw(
        st.lists(
            st.one_of(st.just(0), st.integers(1, 5), st.integers(1, 1_000_000)),
            min_size=n,
            max_size=n,
        )
    )
    steps = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    o, c = np.array(opens), np.array(closes)
    h = np.maximum(o, c) + np.array(ups)
    low = np.maximum(np.minimum(o, c) - np.array(downs), 1)
    period = draw(st.sampled_from([1_000, MINUTE]))  # 1 us bars squeeze many ticks together
    bars = BarSeries(
        instrument_id="HYP.SIM",
        period_ns=period,
        ts_event=10**18 + np.cumsum(steps) * period,
        open=o * CENT,
        high=h * CENT,
        low=low * CENT,
        close=c * CENT,
        volume=np.array(volumes, dtype=np.int64) * (lot // 2 if lot > SCALE else lot),
    )
    return bars, lot


@settings(max_examples=150, deadline=None)
@given(random_bars(), st.integers(0, 2**32))
def test_ticks_honour_random_bars_exactly(case: tuple[BarSeries, int], seed: int) -> None:
    bars, lot = case
    quotes, trades = ticks_from_bars(bars, tick_raw=CENT, lot_raw=lot, seed=seed, trades_per_bar=8)
    _check_ticks(bars, quotes, trades, CENT, lot)


@pytest.mark.parametrize(
    "name",
    [
        "backtrader/orcl_daily_1995-2014.csv",  # daily, large volumes
        "backtrader/fesx_1min_2006-01-02_2006-02-27.csv",  # one minute holds 2 lots, 3 prices
        "backtrader/stoxx50_5min_2006-01.csv",  # volume 0 (unknown) on every bar
        "lean/equity/spy_minute/20131007_trade.zip",  # gaps between minutes
    ],
)
def test_ticks_honour_real_bars_exactly(shared_data: Path, name: str) -> None:
    bars = load_series(shared_data / name)
    assert isinstance(bars, BarSeries)
    tick = int(np.gcd.reduce(np.concatenate((bars.open, bars.high, bars.low, bars.close))))
    quotes, trades = ticks_from_bars(bars, tick_raw=tick, lot_raw=SCALE, seed=11)
    _check_ticks(bars, quotes, trades, tick, SCALE)
    assert len(trades) > 20 * len(bars)


def test_a_day_shorter_than_the_period_keeps_the_ticks_in_order() -> None:
    """Daily bars end at local midnight: across a daylight-saving change a day lasts 23 hours,
    so ``end - period`` falls before the previous bar's end; the ticks start after it."""
    day = 86_400 * SCALE
    ends = 10**18 + np.array([day, 2 * day, 3 * day - 3_600 * SCALE, 4 * day - 3_600 * SCALE])
    prices = np.array([100, 101, 102, 103]) * SCALE
    bars = BarSeries(
        instrument_id="DST.SIM",
        period_ns=day,
        ts_event=ends,
        open=prices,
        high=prices + SCALE,
        low=prices - SCALE,
        close=prices,
        volume=np.full(4, 10_000 * SCALE),
    )
    quotes, trades = ticks_from_bars(bars, tick_raw=CENT, lot_raw=SCALE, seed=2)
    _check_ticks(bars, quotes, trades, CENT, SCALE)
    third = (trades.ts_event > ends[1]) & (trades.ts_event < ends[2])
    assert trades.ts_event[third].min() >= ends[1]


def test_same_seed_same_ticks_other_seed_other_ticks() -> None:
    bars = generate_bars(3_000, seed=4)

    def columns(seed: int) -> list[np.ndarray]:
        q, t = ticks_from_bars(bars, tick_raw=CENT, lot_raw=SCALE, seed=seed)
        return [q.ts_event, q.bid, q.ask, q.bid_size, q.ask_size, t.price, t.size, t.aggressor]

    first, again, other = columns(21), columns(21), columns(22)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(first, again, strict=True))
    assert all(not np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_spread_widens_with_the_bar_range() -> None:
    """Bars whose range is large against the trailing average quote clearly wider spreads."""
    bars = generate_bars(4_000, seed=9)
    quotes, _ = ticks_from_bars(bars, tick_raw=CENT, lot_raw=SCALE, seed=5, spread_bps=20)
    relative_range = (bars.high - bars.low) / (0.5 * (bars.high + bars.low))
    trailing = np.convolve(relative_range, np.ones(20), "full")[: len(bars)] / np.minimum(
        np.arange(1, len(bars) + 1), 20
    )
    ratio = relative_range / trailing
    bar = np.searchsorted(bars.ts_event, quotes.ts_event, side="right")
    spread = (quotes.ask - quotes.bid) / (0.5 * (quotes.ask + quotes.bid))
    mean_spread = np.bincount(bar, spread, len(bars)) / np.bincount(bar, minlength=len(bars))
    wide = mean_spread[ratio > np.quantile(ratio, 0.75)].mean()
    narrow = mean_spread[ratio < np.quantile(ratio, 0.25)].mean()
    assert wide > 2.5 * narrow, (wide, narrow)
    assert np.corrcoef(ratio, mean_spread)[0, 1] > 0.6


def test_bars_off_the_tick_grid_are_refused() -> None:
    bars = generate_bars(10, seed=1, tick="0.01")
    with pytest.raises(ValueError, match="not on the 100000000 raw tick grid"):
        ticks_from_bars(bars, tick_raw=10 * CENT, lot_raw=SCALE, seed=1)


def test_every_tick_puts_each_bar_after_its_ticks() -> None:
    bars = generate_bars(500, seed=3, instrument_id="A.SIM")
    other = generate_bars(10, seed=3, instrument_id="B.SIM")
    series = every_tick([bars, other], {"A.SIM": (CENT, SCALE), "B.SIM": (CENT, SCALE)}, seed=8)
    assert [type(s).__name__ for s in series] == [
        "QuoteSeries",
        "TradeSeries",
        "BarSeries",
        "QuoteSeries",
        "TradeSeries",
        "BarSeries",
    ]
    quotes, trades, same_bars = series[0], series[1], series[2]
    assert same_bars is bars
    bar = np.searchsorted(bars.ts_event, trades.ts_event, side="right")
    assert np.all(trades.ts_event < bars.ts_event[bar])
    assert np.all(quotes.ts_event == trades.ts_event)
    with pytest.raises(ValueError, match=r"no tick/lot grid given for A\.SIM"):
        every_tick([bars], {}, seed=1)
