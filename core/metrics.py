"""Performance report of a backtest or a paper/live session.

Money figures are exact: they are built from raw integer counts of 1e-9 currency units and held as
``Money``. Floats appear only in ratios. Where a figure has no meaning (no trades, one sample, no
volatility, no drawdown), it is ``None``, never NaN or infinity, so a report is always valid JSON.

Definitions used throughout:

- **Samples.** ``equity_ts[i]`` (ns UTC, non-decreasing) and ``equity_raw[i]`` (raw units) are one
  equity sample. ``starting_equity_raw`` (> 0) is the capital before the first sample. It counts as
  an extra sample placed at ``equity_ts[0]``, ahead of the real first sample.
- **Daily returns.** For every UTC calendar day that has samples, the *close* is the last sample of
  that day. Closes are preceded by the starting equity, and ``r_k = close_k / close_{k-1} - 1``. So
  there is one return per day with samples. A day without samples (a weekend, a holiday) is not a
  period. If a close is zero or negative, the next return is undefined. Then volatility, Sharpe
  and Sortino are ``None``.
- **Annualization.** ``rf = risk_free_rate / periods_per_year`` per period, and the excess return
  is ``x_k = r_k - rf``. With ``n`` returns (at least two are needed, otherwise ``None``):
  volatility ``= std(r, ddof=1) * sqrt(P)``; Sharpe ``= mean(x) / std(x, ddof=1) * sqrt(P)``;
  Sortino ``= mean(x) / sqrt(sum(min(x_k, 0)^2) / n) * sqrt(P)``. The downside deviation averages
  over all ``n`` periods, not only the losing ones. ``P`` is ``periods_per_year``. Sharpe is
  ``None`` when the standard deviation is zero (every return equal). Sortino is ``None`` when no
  period is below ``rf``. Sums use ``math.fsum``, so results do not depend on numpy's summation
  order.
- **Total return and CAGR.** The total return is ``final / start - 1``. CAGR is
  ``(final / start) ** (1 / years) - 1``, with ``years = (equity_ts[-1] - equity_ts[0]) /
  (365.25 days)``. CAGR is ``None`` for a zero span or when the result overflows a float (a very
  short span). It is ``-1.0`` when the final equity is zero or negative.
- **Drawdown.** The running peak is ``max(start, samples so far)``. The drawdown at a sample is
  ``(equity - peak) / peak`` (<= 0). The reported maximum drawdown is the deepest one, as a
  positive fraction and in money (``peak - trough``). It goes above 1 only if equity goes below
  zero. Its *peak* is the last sample at the running peak before the trough. Its *recovery* is the
  first later sample at or above that peak. Its duration is ``recovery_ts - peak_ts``, or
  ``last_ts - peak_ts`` if equity never recovered (then ``recovery_ts`` is ``None``). The longest
  drawdown is measured the same way, over every underwater stretch. If equity never falls below
  its peak, both durations are 0 and the timestamps are ``None``.
- **Calmar.** ``cagr / max_drawdown``. It is ``None`` when either one is missing or the drawdown
  is 0.
- **Round trips.** Round trips are classified by *net* PnL (after fees). A trade with ``net > 0``
  wins, one with ``net < 0`` loses, and one with ``net == 0`` is counted in neither group, but it
  is still a trade. Gross profit is the sum of winning nets. Gross loss is the sum of losing nets
  (<= 0). The profit factor is ``gross_profit / |gross_loss|``, and it is ``None`` when nothing
  lost: infinity is not valid JSON. The averages (win, loss, expectancy = mean net per trade,
  holding time) are integer means, rounded half to even at 1e-9 units (or 1 ns). This is the one
  rounding rule of ``core.values``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, TypeAlias

import numpy as np
import numpy.typing as npt

from core.portfolio import RoundTrip
from core.values import Money, div_round_half_even, format_raw

__all__ = [
    "NS_PER_DAY",
    "NS_PER_YEAR",
    "EquityCurve",
    "JsonScalar",
    "Metrics",
    "compute_metrics",
    "daily_returns",
    "drawdown_series",
    "equity_curve",
    "exact_text",
    "iso_utc",
    "round_significant",
]

NS_PER_SECOND: Final = 1_000_000_000
NS_PER_DAY: Final = 86_400 * NS_PER_SECOND
NS_PER_YEAR: Final = 31_557_600 * NS_PER_SECOND  # 365.25 days
SIGNIFICANT_DIGITS: Final = 10

Int64Array: TypeAlias = npt.NDArray[np.int64]
Float64Array: TypeAlias = npt.NDArray[np.float64]
JsonScalar: TypeAlias = str | int | float | None

_EPOCH: Final = datetime(1970, 1, 1)


# ---------------------------------------------------------------------------------------------
# Text forms shared by the JSON report and the table


def exact_text(raw: int) -> str:
    """Exact decimal text of a raw amount, without trailing zeros.

    For example, 1234.5 gives ``"1234.5"``, 100 gives ``"100"`` and -1e-9 gives
    ``"-0.000000001"``.
    """
    text = format_raw(raw)
    return text.rstrip("0").rstrip(".") if "." in text else text


def iso_utc(ts: int) -> str:
    """ISO-8601 UTC text of a ns timestamp.

    The fraction has 0, 3, 6 or 9 digits, the fewest that still show the time exactly. For example,
    ``"2024-01-02T00:00:00Z"`` or ``"2024-01-02T09:30:00.250Z"``.
    """
    seconds, ns = divmod(ts, NS_PER_SECOND)
    # timedelta from a naive epoch: works for any year and on every platform (unlike fromtimestamp)
    text = (_EPOCH + timedelta(seconds=seconds)).isoformat()
    if ns:
        frac = f"{ns:09d}"
        while frac.endswith("000"):
            frac = frac[:-3]
        text = f"{text}.{frac}"
    return text + "Z"


def round_significant(value: float) -> float:
    """``value`` rounded to 10 significant digits, so printed reports are byte-identical."""
    rounded = float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    return 0.0 if rounded == 0.0 else rounded  # no "-0.0" in reports


# ---------------------------------------------------------------------------------------------
# Series


def _as_int_series(values: npt.NDArray[np.int64], what: str) -> Int64Array:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{what} must hold raw integers, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _checked_series(
    equity_ts: npt.NDArray[np.int64], equity_raw: npt.NDArray[np.int64]
) -> tuple[Int64Array, Int64Array]:
    ts = _as_int_series(equity_ts, "equity_ts")
    eq = _as_int_series(equity_raw, "equity_raw")
    if ts.size != eq.size:
        raise ValueError(f"equity_ts has {ts.size} samples but equity_raw has {eq.size}")
    backwards = np.flatnonzero(np.diff(ts) < 0)
    if backwards.size:
        i = int(backwards[0]) + 1
        raise ValueError(
            f"equity_ts must be non-decreasing: sample {i} ({int(ts[i])}) is before "
            f"sample {i - 1} ({int(ts[i - 1])})"
        )
    return ts, eq


def _running_peak(eq: Int64Array, starting_equity_raw: int | None) -> Int64Array:
    first = int(eq[0]) if starting_equity_raw is None else starting_equity_raw
    if first <= 0:
        raise ValueError(f"drawdown needs a positive first peak, got {exact_text(first)}")
    peak: Int64Array = np.maximum.accumulate(eq)
    if starting_equity_raw is not None:
        peak = np.maximum(peak, np.int64(starting_equity_raw))
    return peak


def drawdown_series(
    equity_raw: npt.NDArray[np.int64], *, starting_equity_raw: int | None = None
) -> Float64Array:
    """Drawdown at each sample, ``(equity - peak) / peak`` (<= 0); as long as the input.

    The running peak starts at ``starting_equity_raw`` when one is given, and at the first sample
    otherwise. That first peak must be positive (a fraction of a non-positive peak means nothing).
    """
    eq = _as_int_series(equity_raw, "equity_raw")
    if eq.size == 0:
        return np.zeros(0, dtype=np.float64)
    peak = _running_peak(eq, starting_equity_raw)
    # int64 difference is exact; the only rounding is the final division
    return (eq - peak).astype(np.float64) / peak.astype(np.float64)


@dataclass(frozen=True, kw_only=True, eq=False)
class EquityCurve:
    """Equity and drawdown series for reports and charts (read-only arrays of equal length)."""

    currency: str
    ts: Int64Array
    equity_raw: Int64Array
    drawdown: Float64Array

    def __post_init__(self) -> None:
        if not self.ts.size == self.equity_raw.size == self.drawdown.size:
            raise ValueError("ts, equity_raw and drawdown must have the same length")

    def equity_float(self) -> Float64Array:
        """Equity in currency units as floats, for plotting only."""
        return self.equity_raw.astype(np.float64) / NS_PER_SECOND

    def to_dict(self) -> dict[str, object]:
        """JSON-safe columns: ns timestamps, exact equity text, drawdown to 10 digits."""
        return {
            "currency": self.currency,
            "ts": [int(t) for t in self.ts],
            "equity": [exact_text(int(e)) for e in self.equity_raw],
            "drawdown": [round_significant(float(d)) for d in self.drawdown],
        }


def equity_curve(
    *,
    equity_ts: npt.NDArray[np.int64],
    equity_raw: npt.NDArray[np.int64],
    currency: str,
    starting_equity_raw: int | None = None,
) -> EquityCurve:
    """Both series at once (drawdown as in `drawdown_series`), as read-only copies."""
    ts, eq = _checked_series(equity_ts, equity_raw)
    ts = ts.copy()
    eq = eq.copy()
    dd = drawdown_series(eq, starting_equity_raw=starting_equity_raw)
    for arr in (ts, eq, dd):
        arr.setflags(write=False)
    return EquityCurve(currency=currency, ts=ts, equity_raw=eq, drawdown=dd)


def _daily_closes(ts: Int64Array, eq: Int64Array) -> tuple[Int64Array, Int64Array]:
    """Timestamp and equity of the last sample of each UTC day that has samples."""
    if eq.size == 0:
        return ts, eq
    day = np.floor_divide(ts, NS_PER_DAY)
    last = np.append(np.flatnonzero(np.diff(day) != 0), eq.size - 1)
    return ts[last], eq[last]


def _returns_from_closes(closes: list[int]) -> list[float] | None:
    out: list[float] = []
    for prev, cur in itertools.pairwise(closes):
        if prev <= 0:
            return None
        out.append((cur - prev) / prev)  # int / int: correctly rounded, no float money
    return out


def daily_returns(
    *,
    equity_ts: npt.NDArray[np.int64],
    equity_raw: npt.NDArray[np.int64],
    starting_equity_raw: int,
) -> tuple[Int64Array, Float64Array]:
    """Daily returns, as defined in the module docstring.

    Returns the timestamp of each day's closing sample and the return that ends there. Raises
    ValueError if a close that is the base of a return is zero or negative.
    """
    ts, eq = _checked_series(equity_ts, equity_raw)
    close_ts, close_eq = _daily_closes(ts, eq)
    returns = _returns_from_closes([starting_equity_raw, *(int(c) for c in close_eq)])
    if returns is None:
        raise ValueError("a daily return is undefined after a zero or negative close")
    return close_ts.copy(), np.array(returns, dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# Metrics


@dataclass(frozen=True, kw_only=True)
class Metrics:
    """The performance figures of one run; see the module docstring for the definitions.

    The field order is the key order of `to_dict`. Money is exact. Ratios and fractions are floats.
    Drawdowns are positive fractions of the peak. Timestamps are ns UTC and durations are ns.
    """

    currency: str
    periods_per_year: int
    risk_free_rate: float
    start_ts: int | None
    end_ts: int | None
    sample_count: int
    return_periods: int
    starting_equity: Money
    final_equity: Money
    net_profit: Money
    total_return: float
    cagr: float | None
    annualized_volatility: float | None
    sharpe: float | None
    sortino: float | None
    calmar: float | None
    max_drawdown: float | None
    max_drawdown_money: Money | None
    max_drawdown_duration_ns: int | None
    max_drawdown_peak_ts: int | None
    max_drawdown_trough_ts: int | None
    max_drawdown_recovery_ts: int | None
    longest_drawdown_ns: int | None
    round_trip_count: int
    winning_count: int
    losing_count: int
    win_rate: float | None
    gross_profit: Money
    gross_loss: Money
    profit_factor: float | None
    average_win: Money | None
    average_loss: Money | None
    expectancy: Money | None
    largest_win: Money | None
    largest_loss: Money | None
    average_holding_ns: int | None
    fees: Money
    turnover: Money
    exposure: float

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{field.name} must be finite or None, got {value}")
            if isinstance(value, Money) and value.currency != self.currency:
                raise ValueError(f"{field.name} is in {value.currency}, not {self.currency}")
        if not 0.0 <= self.exposure <= 1.0:
            raise ValueError(f"exposure must be within 0..1, got {self.exposure}")
        if self.winning_count + self.losing_count > self.round_trip_count:
            raise ValueError("more winning and losing trades than round trips")

    def to_dict(self) -> dict[str, JsonScalar]:
        """JSON-safe, in a stable key order.

        Money is exact text (see `exact_text`) and floats are rounded to 10 significant digits.
        Each ``*_ts`` field is followed by a ``*_time`` key with its ISO-8601 UTC text. The result
        is byte-identical across runs for the same inputs, and ``json.dumps(...,
        allow_nan=False)`` accepts it.
        """
        out: dict[str, JsonScalar] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, Money):
                out[field.name] = exact_text(value.raw)
            elif isinstance(value, float):
                out[field.name] = round_significant(value)
            else:
                out[field.name] = value
            if field.name.endswith("_ts"):
                out[field.name[: -len("_ts")] + "_time"] = None if value is None else iso_utc(value)
        return out


@dataclass(frozen=True, kw_only=True)
class _Drawdown:
    depth: float
    depth_raw: int
    duration_ns: int
    peak_ts: int | None
    trough_ts: int | None
    recovery_ts: int | None
    longest_ns: int


def _drawdowns(ts: Int64Array, eq: Int64Array, starting_equity_raw: int) -> _Drawdown | None:
    if eq.size == 0:
        return None
    # the starting equity is a sample at the first timestamp, so a loss on day one counts
    e: Int64Array = np.concatenate((np.array([starting_equity_raw], dtype=np.int64), eq))
    t: Int64Array = np.concatenate((ts[:1], ts))
    peak: Int64Array = np.maximum.accumulate(e)
    under = e < peak
    if not under.any():
        return _Drawdown(
            depth=0.0,
            depth_raw=0,
            duration_ns=0,
            peak_ts=None,
            trough_ts=None,
            recovery_ts=None,
            longest_ns=0,
        )
    fraction = (e - peak).astype(np.float64) / peak.astype(np.float64)
    trough = int(np.argmin(fraction))
    peak_val = int(peak[trough])
    trough_val = int(e[trough])
    peak_idx = int(np.flatnonzero(e[: trough + 1] == peak_val)[-1])
    later = np.flatnonzero(e[trough + 1 :] >= peak_val)
    recovery_idx = trough + 1 + int(later[0]) if later.size else None
    end_idx = recovery_idx if recovery_idx is not None else e.size - 1

    # Underwater stretches: [first, past_last). The sample before each stretch is at its peak
    # (index 0 never is underwater), and `past_last` is its recovery unless it runs to the end.
    edges = np.diff(np.concatenate(([0], under.astype(np.int8), [0])))
    first = np.flatnonzero(edges == 1)
    past_last = np.flatnonzero(edges == -1)
    longest = int(np.max(t[np.minimum(past_last, e.size - 1)] - t[first - 1]))

    return _Drawdown(
        depth=(peak_val - trough_val) / peak_val,
        depth_raw=peak_val - trough_val,
        duration_ns=int(t[end_idx] - t[peak_idx]),
        peak_ts=int(t[peak_idx]),
        trough_ts=int(t[trough]),
        recovery_ts=None if recovery_idx is None else int(t[recovery_idx]),
        longest_ns=longest,
    )


def _sample_std(xs: list[float]) -> float:
    """Standard deviation with ddof=1. It is exactly 0 when all values are equal."""
    if max(xs) == min(xs):
        return 0.0  # the float mean of equal values can be off by an ulp; don't report that noise
    mean = math.fsum(xs) / len(xs)
    return math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (len(xs) - 1))


def _return_ratios(
    returns: list[float] | None, periods_per_year: int, risk_free_rate: float
) -> tuple[float | None, float | None, float | None]:
    """(annualized volatility, Sharpe, Sortino), as defined in the module docstring."""
    if returns is None or len(returns) < 2:
        return None, None, None
    n = len(returns)
    annualize = math.sqrt(periods_per_year)
    volatility = _sample_std(returns) * annualize
    rf_per_period = risk_free_rate / periods_per_year
    excess = [r - rf_per_period for r in returns]
    mean_excess = math.fsum(excess) / n
    std_excess = _sample_std(excess)
    sharpe = mean_excess / std_excess * annualize if std_excess > 0.0 else None
    downside = math.sqrt(math.fsum(min(x, 0.0) ** 2 for x in excess) / n)
    sortino = mean_excess / downside * annualize if downside > 0.0 else None
    return volatility, sharpe, sortino


def _cagr(starting_raw: int, final_raw: int, span_ns: int) -> float | None:
    if span_ns <= 0:
        return None
    if final_raw <= 0:
        return -1.0
    try:
        return float((final_raw / starting_raw) ** (NS_PER_YEAR / span_ns) - 1.0)
    except OverflowError:  # e.g. +10% over one minute: not a meaningful annual rate
        return None


@dataclass(frozen=True, kw_only=True)
class _TradeStats:
    count: int
    winning: int
    losing: int
    gross_profit_raw: int
    gross_loss_raw: int
    net_raw: int
    largest_win_raw: int | None
    largest_loss_raw: int | None
    holding_ns_total: int


def _trade_stats(round_trips: Sequence[RoundTrip], currency: str) -> _TradeStats:
    wins: list[int] = []
    losses: list[int] = []
    net_total = 0
    holding_total = 0
    for rt in round_trips:
        if rt.currency != currency:
            raise ValueError(f"round trip {rt!r} is in {rt.currency}, the report in {currency}")
        if rt.exit_ts < rt.entry_ts:
            raise ValueError(f"round trip {rt!r} exits before it enters")
        net = rt.net_pnl_raw
        net_total += net
        holding_total += rt.exit_ts - rt.entry_ts
        if net > 0:
            wins.append(net)
        elif net < 0:
            losses.append(net)
    return _TradeStats(
        count=len(round_trips),
        winning=len(wins),
        losing=len(losses),
        gross_profit_raw=sum(wins),
        gross_loss_raw=sum(losses),
        net_raw=net_total,
        largest_win_raw=max(wins) if wins else None,
        largest_loss_raw=min(losses) if losses else None,
        holding_ns_total=holding_total,
    )


def _mean_money(total_raw: int, count: int, currency: str) -> Money | None:
    return Money(div_round_half_even(total_raw, count), currency) if count else None


def _optional_money(raw: int | None, currency: str) -> Money | None:
    return None if raw is None else Money(raw, currency)


def compute_metrics(
    *,
    equity_ts: npt.NDArray[np.int64],
    equity_raw: npt.NDArray[np.int64],
    starting_equity_raw: int,
    round_trips: Sequence[RoundTrip],
    fees_raw: int,
    turnover_raw: int,
    exposure: float,
    currency: str,
    periods_per_year: int = 252,
    risk_free_rate: float = 0.0,
) -> Metrics:
    """The performance report of one run.

    ``exposure`` is the fraction of samples with an open position, computed by the caller.
    ``fees_raw`` and ``turnover_raw`` are the run's totals, including trades that are still open.
    Raises ValueError for broken inputs: mismatched or decreasing series, non-integer equity,
    starting equity <= 0, ``periods_per_year`` <= 0, exposure outside 0..1, negative turnover, or
    a round trip in another currency.
    """
    ts, eq = _checked_series(equity_ts, equity_raw)
    if starting_equity_raw <= 0:
        raise ValueError(f"starting equity must be positive, got {exact_text(starting_equity_raw)}")
    if periods_per_year <= 0:
        raise ValueError(f"periods_per_year must be positive, got {periods_per_year}")
    if not math.isfinite(risk_free_rate):
        raise ValueError(f"risk_free_rate must be finite, got {risk_free_rate}")
    if not 0.0 <= exposure <= 1.0:
        raise ValueError(f"exposure must be within 0..1, got {exposure}")
    if turnover_raw < 0:
        raise ValueError(f"turnover must not be negative, got {exact_text(turnover_raw)}")

    n = int(eq.size)
    final_raw = int(eq[-1]) if n else starting_equity_raw
    span_ns = int(ts[-1] - ts[0]) if n else 0
    cagr = _cagr(starting_equity_raw, final_raw, span_ns)

    _, closes = _daily_closes(ts, eq)
    returns = _returns_from_closes([starting_equity_raw, *(int(c) for c in closes)])
    volatility, sharpe, sortino = _return_ratios(returns, periods_per_year, risk_free_rate)

    dd = _drawdowns(ts, eq, starting_equity_raw)
    max_dd = None if dd is None else dd.depth
    calmar = cagr / max_dd if cagr is not None and max_dd else None

    trades = _trade_stats(round_trips, currency)
    ccy = currency
    return Metrics(
        currency=ccy,
        periods_per_year=periods_per_year,
        risk_free_rate=float(risk_free_rate),
        start_ts=int(ts[0]) if n else None,
        end_ts=int(ts[-1]) if n else None,
        sample_count=n,
        return_periods=0 if returns is None else len(returns),
        starting_equity=Money(starting_equity_raw, ccy),
        final_equity=Money(final_raw, ccy),
        net_profit=Money(final_raw - starting_equity_raw, ccy),
        total_return=(final_raw - starting_equity_raw) / starting_equity_raw,
        cagr=cagr,
        annualized_volatility=volatility,
        sharpe=sharpe,
        sortino=sortino,
        calmar=calmar,
        max_drawdown=max_dd,
        max_drawdown_money=None if dd is None else Money(dd.depth_raw, ccy),
        max_drawdown_duration_ns=None if dd is None else dd.duration_ns,
        max_drawdown_peak_ts=None if dd is None else dd.peak_ts,
        max_drawdown_trough_ts=None if dd is None else dd.trough_ts,
        max_drawdown_recovery_ts=None if dd is None else dd.recovery_ts,
        longest_drawdown_ns=None if dd is None else dd.longest_ns,
        round_trip_count=trades.count,
        winning_count=trades.winning,
        losing_count=trades.losing,
        win_rate=trades.winning / trades.count if trades.count else None,
        gross_profit=Money(trades.gross_profit_raw, ccy),
        gross_loss=Money(trades.gross_loss_raw, ccy),
        profit_factor=(
            trades.gross_profit_raw / -trades.gross_loss_raw if trades.gross_loss_raw else None
        ),
        average_win=_mean_money(trades.gross_profit_raw, trades.winning, ccy),
        average_loss=_mean_money(trades.gross_loss_raw, trades.losing, ccy),
        expectancy=_mean_money(trades.net_raw, trades.count, ccy),
        largest_win=_optional_money(trades.largest_win_raw, ccy),
        largest_loss=_optional_money(trades.largest_loss_raw, ccy),
        average_holding_ns=(
            div_round_half_even(trades.holding_ns_total, trades.count) if trades.count else None
        ),
        fees=Money(fees_raw, ccy),
        turnover=Money(turnover_raw, ccy),
        exposure=float(exposure),
    )


# ---------------------------------------------------------------------------------------------
# Report rows and the CLI table
