"""Synthetic bars and quotes: determinism, block-size independence, consistency, the volatility
model, memory and speed."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.data import (
    BarSeries,
    QuoteSeries,
    generate_bars,
    generate_quotes,
    synthetic,
    validate_bars,
    validate_quotes,
)
from core.values import SCALE

BAR_COLUMNS = ("ts_event", "open", "high", "low", "close", "volume")
QUOTE_COLUMNS = ("ts_event", "bid", "ask", "bid_size", "ask_size")


def _identical(a: BarSeries | QuoteSeries, b: BarSeries | QuoteSeries) -> bool:
    names = BAR_COLUMNS if isinstance(a, BarSeries) else QUOTE_COLUMNS
    return all(np.array_equal(getattr(a, name), getattr(b, name)) for name in names)


def _nbytes(series: BarSeries | QuoteSeries) -> int:
    names = BAR_COLUMNS if isinstance(series, BarSeries) else QUOTE_COLUMNS
    return sum(getattr(series, name).nbytes for name in names)


def test_same_seed_same_arrays() -> None:
    assert _identical(generate_bars(50_000, seed=7), generate_bars(50_000, seed=7))
    assert not _identical(generate_bars(50_000, seed=7), generate_bars(50_000, seed=8))
    assert _identical(generate_quotes(50_000, seed=7), generate_quotes(50_000, seed=7))
    assert not _identical(generate_quotes(50_000, seed=7), generate_quotes(50_000, seed=8))


@pytest.mark.parametrize("regimes", [True, False])
def test_output_does_not_depend_on_the_block_size(
    monkeypatch: pytest.MonkeyPatch, regimes: bool
) -> None:
    # 200,000 rows span more than one batch of regime runs and many blocks of 997 rows
    def both(n: int, block_rows: int) -> tuple[BarSeries, QuoteSeries]:
        monkeypatch.setattr(synthetic, "_BLOCK_ROWS", block_rows)
        return (
            generate_bars(n, seed=11, regimes=regimes),
            generate_quotes(n, seed=11, regimes=regimes),
        )

    for n, block_sizes in ((300, (1, 7, 300)), (200_000, (997, 65_536, 1_000_000))):
        reference = both(n, synthetic._BLOCK_ROWS)
        for block_rows in block_sizes:
            bars, quotes = both(n, block_rows)
            assert _identical(bars, reference[0]), (n, block_rows)
            assert _identical(quotes, reference[1]), (n, block_rows)
        monkeypatch.undo()


def test_scratch_memory_stays_small() -> None:
    """Beyond its output columns, generation needs a few blocks' worth of scratch (numpy reports
    its allocations to tracemalloc); materialising whole float64 columns would need far more."""
    generate_bars(10, seed=1)  # first-use allocations
    generate_quotes(10, seed=1)
    for generate in (generate_bars, generate_quotes):
        tracemalloc.start()
        try:
            series = generate(500_000, seed=1)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak - _nbytes(series) < 8_000_000, generate.__name__


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    n=st.integers(min_value=0, max_value=3000),
    tick=st.sampled_from(["0.01", "0.25", "1", "0.00001"]),
    annual_vol=st.floats(min_value=0.0, max_value=3.0),
    regimes=st.booleans(),
)
def test_bars_are_consistent(
    seed: int, n: int, tick: str, annual_vol: float, regimes: bool
) -> None:
    tick_raw = {"0.01": SCALE // 100, "0.25": SCALE // 4, "1": SCALE, "0.00001": 10_000}[tick]
    bars = generate_bars(n, seed=seed, tick=tick, annual_vol=annual_vol, regimes=regimes)
    assert len(bars) == n
    validate_bars(bars)  # time order, positive prices, low <= open/close <= high, volume >= 0
    assert (bars.high >= np.maximum(bars.open, bars.close)).all()
    assert (bars.low <= np.minimum(bars.open, bars.close)).all()
    assert (bars.low > 0).all() and (bars.volume > 0).all()
    for name in ("open", "high", "low", "close"):
        assert (getattr(bars, name) % tick_raw == 0).all()
    assert (bars.open[1:] == bars.close[:-1]).all()
    if n:
        assert bars.open[0] == 100 * SCALE


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), n=st.integers(min_value=0, max_value=3000))
def test_quotes_are_consistent(seed: int, n: int) -> None:
    quotes = generate_quotes(n, seed=seed)
    assert len(quotes) == n
    validate_quotes(quotes)
    assert (quotes.ts_event > synthetic.START_NS).all()
    assert (np.diff(quotes.ts_event) > 0).all()
    assert (quotes.ask - quotes.bid >= SCALE // 100).all()  # at least one tick
    assert (quotes.bid % (SCALE // 100) == 0).all()
    assert (quotes.bid_size > 0).all() and (quotes.ask_size % (100 * SCALE) == 0).all()


def test_long_run_volatility_matches_the_request() -> None:
    bars = generate_bars(1_000_000, seed=1, tick="0.0001")
    minutes_per_year = 365.25 * 24 * 60
    realised = np.diff(np.log(bars.close.astype(np.float64))).std() * np.sqrt(minutes_per_year)
    assert realised == pytest.approx(0.2, rel=0.05)


def test_regimes_switch_volatility() -> None:
    def block_vol_spread(regimes: bool) -> float:
        bars = generate_bars(200_000, seed=4, tick="0.0001", regimes=regimes)
        returns = np.diff(np.log(bars.close.astype(np.float64)))
        block_vols = returns[: len(returns) // 500 * 500].reshape(-1, 500).std(axis=1)
        return float(np.percentile(block_vols, 95) / np.percentile(block_vols, 5))

    assert block_vol_spread(True) > 2.5
    assert block_vol_spread(False) < 1.3


def test_bar_timestamps_are_end_times() -> None:
    bars = generate_bars(3, seed=1, period_ns=5, start_ns=100)
    assert bars.ts_event.tolist() == [105, 110, 115]
    assert bars.period_ns == 5


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match=r"must be a positive multiple of tick 0.25"):
        generate_bars(10, seed=1, start_price="100.1", tick="0.25")
    with pytest.raises(ValueError, match=r"n must not be negative"):
        generate_quotes(-1, seed=1)
    with pytest.raises(ValueError, match=r"annual_vol"):
        generate_bars(10, seed=1, annual_vol=float("nan"))


def test_a_million_bars_well_under_a_second() -> None:
    generate_bars(1000, seed=0)
    best = min(_timed(lambda: generate_bars(1_000_000, seed=9)) for _ in range(3))
    assert best < 0.6


def test_two_million_quotes_quickly() -> None:
    best = min(_timed(lambda: generate_quotes(2_000_000, seed=9)) for _ in range(2))
    assert best < 1.0


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start
