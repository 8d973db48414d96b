"""Synthetic market data: reproducible random bars and quotes for tests, demos and benchmarks.

Prices follow a geometric random walk (a martingale: log returns carry the -sigma^2/2 drift)
whose volatility switches between a calm and a volatile regime (a two-state Markov chain: calm
runs last 2000 steps on average, volatile runs 500, at three times the calm volatility, scaled so
that the long-run volatility is ``annual_vol``). A year is 365.25 days of continuous trading.

Bars are internally consistent: the open is the previous close, and the high and low are drawn
from the exact distribution of a Brownian bridge's extremes between open and close, then rounded
to the tick grid and widened to contain open and close. Every price is on the tick grid and at
least one tick; prices are capped near 4.6e9 so that raw values fit in int64.

Generation is vectorised numpy, run in blocks of rows written straight into preallocated int64
output columns, with the walk's state (last log-price, last close, last timestamp, regime chain)
carried from block to block: beyond its output it needs only a few MB, and a million bars take a
fraction of a second. The seed feeds a ``numpy.random.SeedSequence`` whose independent children
drive ``Generator(PCG64(...))`` streams for the regimes, the returns, the extremes, the sizes and
the quote intervals. Each block takes the next values of every stream, always in the same order
(per-row pairs interleaved; regime runs drawn in fixed-size batches), so the arrays do not depend
on the block size, and the same seed and arguments give identical arrays on every platform.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

from core.data.series import BarSeries, QuoteSeries
from core.values import SCALE, raw_from_str

START_NS: Final = 1_577_836_800_000_000_000
"""2020-01-01T00:00:00Z, the default start of synthetic data."""

_YEAR_NS: Final = 365.25 * 86_400e9
_CALM_TO_VOLATILE: Final = 1 / 2000
_VOLATILE_TO_CALM: Final = 1 / 500
_VOLATILE_RATIO: Final = 3.0
_MAX_RAW: Final = 2**62  # price cap (4.6e9): leaves int64 headroom for spreads and sums

_RUN_PAIRS: Final = 64  # regime runs drawn per batch: fixed, so the chain ignores the block size

_BLOCK_ROWS = 32_768
"""Rows generated at a time (bounds the scratch memory; the output never depends on it)."""

FloatArray = npt.NDArray[np.float64]
Int64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def generate_bars(
    n: int,
    *,
    seed: int,
    instrument_id: str = "SYN.SIM",
    start_price: str = "100",
    tick: str = "0.01",
    period_ns: int = 60_000_000_000,
    start_ns: int = START_NS,
    annual_vol: float = 0.2,
    regimes: bool = True,
) -> BarSeries:
    """``n`` contiguous bars; the first covers ``[start_ns, start_ns + period_ns)``."""
    tick_raw, start_ticks = _check_grid(n, start_price, tick, annual_vol)
    if period_ns <= 0:
        raise ValueError(f"period_ns must be positive, got {period_ns}")
    max_ticks = _MAX_RAW // tick_raw
    regime_rng, return_rng, extreme_rng, size_rng = _streams(seed, 4)
    chain = _RegimeChain(regime_rng, regimes)
    bar_sigma = annual_vol * math.sqrt(period_ns / _YEAR_NS)
    # about 1,000 units a minute, so a daily bar trades about 1.4 million
    minutes = max(1.0, period_ns / 60_000_000_000)
    log_activity = math.log(1000.0 * minutes)

    ts_event = np.arange(1, n + 1, dtype=np.int64)
    ts_event *= period_ns
    ts_event += start_ns
    open_, high, low, close, volume = (np.empty(n, dtype=np.int64) for _ in range(5))
    last_log = math.log(start_ticks)
    last_close = start_ticks
    for lo, hi in _blocks(n):
        sigma = chain.volatility_scale(hi - lo)
        sigma *= bar_sigma
        shocks = return_rng.standard_normal(hi - lo)
        variance = sigma * sigma
        step = sigma * shocks
        step -= 0.5 * variance
        log_open, log_close = _walk(last_log, step)
        last_log = float(log_close[-1])
        # Extremes of a Brownian bridge from 0 to `step` with variance sigma^2 (inverse-CDF
        # draws, one (up, down) pair per bar): up/down = (step +/- sqrt(step^2 - 2 s)) / 2.
        spread = extreme_rng.random((hi - lo, 2))
        np.negative(spread, out=spread)
        np.log1p(spread, out=spread)
        spread *= -2.0 * variance[:, np.newaxis]
        spread += (step * step)[:, np.newaxis]
        np.sqrt(spread, out=spread)
        up = step + spread[:, 0]
        down = step - spread[:, 1]
        del spread
        up *= 0.5
        up += log_open
        down *= 0.5
        down += log_open

        o, h, lw, c = open_[lo:hi], high[lo:hi], low[lo:hi], close[lo:hi]
        _ticks_into(log_close, max_ticks, c)
        o[0] = last_close
        o[1:] = c[:-1]
        last_close = int(c[-1])
        _ticks_into(up, max_ticks, h)
        np.maximum(h, o, out=h)
        np.maximum(h, c, out=h)
        _ticks_into(down, max_ticks, lw)
        np.minimum(lw, o, out=lw)
        np.minimum(lw, c, out=lw)
        for column in (o, h, lw, c):
            column *= tick_raw

        activity = size_rng.lognormal(mean=log_activity, sigma=0.6, size=hi - lo)
        np.abs(shocks, out=shocks)
        shocks += 0.5
        activity *= shocks
        np.rint(activity, out=activity)
        np.maximum(activity, 1.0, out=activity)
        v = volume[lo:hi]
        np.copyto(v, activity, casting="unsafe")
        v *= SCALE
    return BarSeries(
        instrument_id=instrument_id,
        period_ns=period_ns,
        ts_event=ts_event,
        open=open_,
        high=high,
        low=low,
        close=close,
        volume=volume,
    )


def generate_quotes(
    n: int,
    *,
    seed: int,
    instrument_id: str = "SYN.SIM",
    start_price: str = "100",
    tick: str = "0.01",
    mean_interval_ns: int = 100_000_000,
    start_ns: int = START_NS,
    annual_vol: float = 0.2,
    regimes: bool = True,
) -> QuoteSeries:
    """``n`` top-of-book quotes at exponential intervals (mean ``mean_interval_ns``, at least 1 ns).

    The mid follows the same regime-switching walk as ``generate_bars``; the spread is at least
    one tick (geometric, wider in the volatile regime); sizes are 100 to 5000 units in lots of 100.
    """
    tick_raw, start_ticks = _check_grid(n, start_price, tick, annual_vol)
    if mean_interval_ns <= 0:
        raise ValueError(f"mean_interval_ns must be positive, got {mean_interval_ns}")
    max_ticks = _MAX_RAW // tick_raw
    log_max = math.log(max_ticks)
    regime_rng, return_rng, spread_rng, size_rng, gap_rng = _streams(seed, 5)
    chain = _RegimeChain(regime_rng, regimes)
    sigma_per_root_ns = annual_vol / math.sqrt(_YEAR_NS)

    ts_event, bid, ask, bid_size, ask_size = (np.empty(n, dtype=np.int64) for _ in range(5))
    last_ts = start_ns
    last_log = math.log(start_ticks)
    for lo, hi in _blocks(n):
        gaps = gap_rng.exponential(mean_interval_ns, hi - lo)
        np.rint(gaps, out=gaps)
        np.maximum(gaps, 1.0, out=gaps)
        ts = ts_event[lo:hi]
        np.copyto(ts, gaps, casting="unsafe")
        ts[0] += last_ts
        np.cumsum(ts, out=ts)
        last_ts = int(ts[-1])

        volatile = chain.volatile_steps(hi - lo)
        sigma = np.sqrt(gaps, out=gaps)
        sigma *= sigma_per_root_ns
        sigma *= chain.volatility_scale_of(volatile)
        step = sigma * return_rng.standard_normal(hi - lo)
        sigma *= sigma
        sigma *= 0.5
        step -= sigma
        _, mid = _walk(last_log, step)
        last_log = float(mid[-1])
        np.minimum(mid, log_max, out=mid)
        np.exp(mid, out=mid)

        spread = spread_rng.geometric(0.6, hi - lo)
        np.multiply(spread, 2, out=spread, where=volatile)
        mid -= 0.5 * spread
        np.floor(mid, out=mid)
        np.clip(mid, 1.0, max_ticks, out=mid)
        b, a = bid[lo:hi], ask[lo:hi]
        np.copyto(b, mid, casting="unsafe")
        np.add(b, spread, out=a)
        b *= tick_raw
        a *= tick_raw

        sizes = size_rng.integers(1, 51, size=(hi - lo, 2), dtype=np.int64)
        sizes *= 100 * SCALE
        bid_size[lo:hi] = sizes[:, 0]
        ask_size[lo:hi] = sizes[:, 1]
    return QuoteSeries(
        instrument_id=instrument_id,
        ts_event=ts_event,
        bid=bid,
        ask=ask,
        bid_size=bid_size,
        ask_size=ask_size,
    )


def _check_grid(n: int, start_price: str, tick: str, annual_vol: float) -> tuple[int, int]:
    """The raw tick and the start price in ticks, after checking the common arguments."""
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    if not (math.isfinite(annual_vol) and annual_vol >= 0):
        raise ValueError(f"annual_vol must be a finite non-negative number, got {annual_vol}")
    tick_raw = raw_from_str(tick, "tick")
    start_raw = raw_from_str(start_price, "start price")
    if tick_raw <= 0:
        raise ValueError(f"tick must be positive, got {tick}")
    if start_raw <= 0 or start_raw % tick_raw:
        raise ValueError(f"start price {start_price} must be a positive multiple of tick {tick}")
    return tick_raw, start_raw // tick_raw


def _streams(seed: int, count: int) -> list[np.random.Generator]:
    """Independent streams; the first ``count`` children do not depend on ``count``."""
    children = np.random.SeedSequence(seed).spawn(count)
    return [np.random.Generator(np.random.PCG64(child)) for child in children]


def _blocks(n: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` row ranges of at most ``_BLOCK_ROWS`` rows covering ``range(n)``."""
    size = max(1, _BLOCK_ROWS)
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)]


def _walk(last_log: float, step: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Log-prices before and after each step, continuing from ``last_log``.

    The running sum starts from ``last_log`` itself (not added afterwards), so the rounding, and
    with it every price, is the same however the walk is split into blocks.
    """
    after = step.copy()
    after[0] += last_log
    np.cumsum(after, out=after)
    before = np.empty_like(after)
    before[0] = last_log
    before[1:] = after[:-1]
    return before, after


class _RegimeChain:
    """The volatility regime, step by step: a two-state Markov chain whose alternating run
    lengths (geometric: the chain's holding times) are drawn ``_RUN_PAIRS`` pairs at a time.

    Steps are taken in blocks of any size; the draws, and so the regimes, do not depend on them.
    """

    def __init__(self, rng: np.random.Generator, enabled: bool) -> None:
        self._rng = rng
        self._enabled = enabled
        self._position = 0  # steps handed out so far
        self._covered = 0  # steps covered by the runs drawn so far
        self._ends = np.zeros(0, dtype=np.int64)  # end step of each run not yet passed
        self._states = np.zeros(0, dtype=np.bool_)
        share = _CALM_TO_VOLATILE / (_CALM_TO_VOLATILE + _VOLATILE_TO_CALM)
        self._start_volatile = enabled and bool(rng.random() < share)
        self._pattern = np.tile(
            np.array([self._start_volatile, not self._start_volatile]), _RUN_PAIRS
        )
        # volatility multiples of the two regimes, scaled so the mean variance is 1
        self._calm = 1.0 / math.sqrt(1.0 - share + share * _VOLATILE_RATIO**2)
        self._volatile = self._calm * _VOLATILE_RATIO

    def volatile_steps(self, count: int) -> BoolArray:
        """Per step of the next ``count``, whether the chain is in its volatile regime."""
        if not self._enabled:
            return np.zeros(count, dtype=np.bool_)
        start, stop = self._position, self._position + count
        while self._covered < stop:
            self._draw_runs()
        first = int(np.searchsorted(self._ends, start, side="right"))
        last = int(np.searchsorted(self._ends, stop, side="left")) + 1
        lengths = np.diff(np.minimum(self._ends[first:last], stop), prepend=start)
        volatile: BoolArray = np.repeat(self._states[first:last], lengths)
        self._ends, self._states = self._ends[last - 1 :], self._states[last - 1 :]
        self._position = stop
        return volatile

    def volatility_scale_of(self, volatile: BoolArray) -> FloatArray:
        """Per step, the volatility multiple of its regime (1 without regimes)."""
        if not self._enabled:
            return np.ones(len(volatile))
        scale: FloatArray = np.where(volatile, self._volatile, self._calm)
        return scale

    def volatility_scale(self, count: int) -> FloatArray:
        """The volatility multiples of the next ``count`` steps."""
        return self.volatility_scale_of(self.volatile_steps(count))

    def _draw_runs(self) -> None:
        calm_runs = self._rng.geometric(_CALM_TO_VOLATILE, _RUN_PAIRS)
        volatile_runs = self._rng.geometric(_VOLATILE_TO_CALM, _RUN_PAIRS)
        firsts, seconds = (
            (volatile_runs, calm_runs) if self._start_volatile else (calm_runs, volatile_runs)
        )
        ends = np.column_stack((firsts, seconds)).ravel()
        ends[0] += self._covered
        np.cumsum(ends, out=ends)
        self._covered = int(ends[-1])
        self._ends = np.concatenate((self._ends, ends))
        self._states = np.concatenate((self._states, self._pattern))


def _ticks_into(log_ticks: FloatArray, max_ticks: int, out: Int64Array) -> None:
    """Prices in whole ticks from log-prices in ticks (overwritten as scratch) into ``out``:
    rounded, at least 1, capped for int64."""
    np.minimum(log_ticks, math.log(max_ticks), out=log_ticks)
    np.exp(log_ticks, out=log_ticks)
    np.rint(log_ticks, out=log_ticks)
    np.clip(log_ticks, 1.0, max_ticks, out=log_ticks)
    np.copyto(out, log_ticks, casting="unsafe")
