"""core.metrics: every figure is checked against arithmetic written out by hand in the test."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.metrics import (
    NS_PER_DAY,
    NS_PER_YEAR,
    Metrics,
    compute_metrics,
    daily_returns,
    drawdown_series,
    equity_curve,
    exact_text,
    iso_utc,
    round_significant,
)
from core.portfolio import RoundTrip
from core.reports import format_table, round_trips_to_rows
from core.values import SCALE, Money

D0 = 1_704_067_200 * 10**9  # 2024-01-01T00:00:00Z, a Monday
HOUR = 3_600 * 10**9
CLOSE = 21 * HOUR  # samples at 21:00 UTC


def usd(units: float | int) -> Money:
    return Money(round(units * SCALE), "USD")


def raw(values: list[int]) -> np.ndarray:
    """Whole currency units -> raw int64 equity."""
    return np.array([v * SCALE for v in values], dtype=np.int64)


def day_ts(days: list[int], at: int = CLOSE) -> np.ndarray:
    return np.array([D0 + d * NS_PER_DAY + at for d in days], dtype=np.int64)


def metrics_for(
    values: list[int],
    days: list[int] | None = None,
    start: int = 100,
    trips: list[RoundTrip] | None = None,
    risk_free_rate: float = 0.0,
) -> Metrics:
    return compute_metrics(
        equity_ts=day_ts(days if days is not None else list(range(len(values)))),
        equity_raw=raw(values),
        starting_equity_raw=start * SCALE,
        round_trips=trips or [],
        fees_raw=0,
        turnover_raw=0,
        exposure=0.5,
        currency="USD",
        risk_free_rate=risk_free_rate,
    )


def trip(
    gross: float, fees: float, hold_ns: int, *, direction: int = 1, currency: str = "USD"
) -> RoundTrip:
    return RoundTrip(
        strategy_id="s1",
        instrument_id="SPY.ARCA",
        direction=direction,
        qty_raw=10 * SCALE,
        entry_ts=D0,
        exit_ts=D0 + hold_ns,
        entry_px_raw=100 * SCALE,
        exit_px_raw=101 * SCALE,
        gross_pnl_raw=round(gross * SCALE),
        fees_raw=round(fees * SCALE),
        currency=currency,
    )


# ---------------------------------------------------------------------------------------------
# The five-day path 100, 110, 99, 105, 120 (start 100, one sample per day at 21:00 UTC)


@pytest.fixture(scope="module")
def five_day() -> Metrics:
    return metrics_for([100, 110, 99, 105, 120])


def test_five_day_returns() -> None:
    # closes, preceded by the starting equity: 100 | 100, 110, 99, 105, 120
    # r = 100/100-1 = 0, 110/100-1 = 0.1, 99/110-1 = -0.1, 105/99-1 = 2/33, 120/105-1 = 1/7
    ts, r = daily_returns(
        equity_ts=day_ts([0, 1, 2, 3, 4]),
        equity_raw=raw([100, 110, 99, 105, 120]),
        starting_equity_raw=100 * SCALE,
    )
    assert ts.tolist() == day_ts([0, 1, 2, 3, 4]).tolist()
    assert r.tolist() == pytest.approx([0.0, 0.1, -0.1, 2 / 33, 1 / 7], rel=1e-15)


def test_five_day_totals(five_day: Metrics) -> None:
    m = five_day
    assert m.starting_equity == usd(100)
    assert m.final_equity == usd(120)
    assert m.net_profit == usd(20)  # 120 - 100
    assert m.total_return == pytest.approx(0.2)  # 20 / 100
    assert m.sample_count == 5
    assert m.return_periods == 5
    assert m.start_ts == D0 + CLOSE
    assert m.end_ts == D0 + 4 * NS_PER_DAY + CLOSE


def test_five_day_volatility_sharpe_sortino(five_day: Metrics) -> None:
    r = [0.0, 0.1, -0.1, 2 / 33, 1 / 7]
    # mean = (0 + 0.1 - 0.1 + 2/33 + 1/7) / 5 = (14/231 + 33/231) / 5 = 47/1155 ≈ 0.0406926
    mean = 47 / 1155
    # squared deviations: 0.0406926², 0.0593074², 0.1406926², 0.0199134², 0.1021645²
    # sum ≈ 0.0358018; sample variance = sum / (5 - 1) ≈ 0.0089505; std ≈ 0.0946068
    std = math.sqrt(sum((x - mean) ** 2 for x in r) / 4)
    assert std == pytest.approx(0.0946068216551928, rel=1e-12)
    # volatility = std * sqrt(252) ≈ 1.5018367
    assert five_day.annualized_volatility == pytest.approx(std * math.sqrt(252), rel=1e-12)
    assert five_day.annualized_volatility == pytest.approx(1.5018367345792816, rel=1e-12)
    # Sharpe (rf = 0) = mean / std * sqrt(252) ≈ 0.0406926 / 0.0946068 * 15.874508 ≈ 6.828003
    assert five_day.sharpe == pytest.approx(6.828002817109226, rel=1e-12)
    # downside: only -0.1 is below 0 -> sqrt((-0.1)² / 5) = sqrt(0.002) ≈ 0.0447214
    # Sortino = 0.0406926 / 0.0447214 * 15.874508 ≈ 14.444455
    assert five_day.sortino == pytest.approx(mean / math.sqrt(0.002) * math.sqrt(252), rel=1e-12)
    assert five_day.sortino == pytest.approx(14.444454535360101, rel=1e-12)


def test_five_day_risk_free_rate() -> None:
    # rf = 2.52% a year over 252 periods -> 0.0001 per period; excess x = r - 0.0001
    m = metrics_for([100, 110, 99, 105, 120], risk_free_rate=0.0252)
    r = [0.0, 0.1, -0.1, 2 / 33, 1 / 7]
    x = [v - 0.0001 for v in r]
    mean_x = 47 / 1155 - 0.0001
    std_x = math.sqrt(sum((v - mean_x) ** 2 for v in x) / 4)  # the same spread as r
    assert m.sharpe == pytest.approx(mean_x / std_x * math.sqrt(252), rel=1e-12)
    # the flat first day is now below rf as well: downside² = (0.0001² + 0.1001²) / 5
    downside = math.sqrt((0.0001**2 + 0.1001**2) / 5)
    assert m.sortino == pytest.approx(mean_x / downside * math.sqrt(252), rel=1e-12)
    # volatility ignores rf
    assert m.annualized_volatility == pytest.approx(1.5018367345792816, rel=1e-12)


def test_five_day_drawdown(five_day: Metrics) -> None:
    m = five_day
    # peak 110 (day 1) -> trough 99 (day 2): (110 - 99) / 110 = 11 / 110 = 10%
    assert m.max_drawdown == pytest.approx(0.1, rel=1e-15)
    assert m.max_drawdown_money == usd(11)
    assert m.max_drawdown_peak_ts == D0 + 1 * NS_PER_DAY + CLOSE
    assert m.max_drawdown_trough_ts == D0 + 2 * NS_PER_DAY + CLOSE
    # day 3 closes at 105 < 110; day 4 at 120 >= 110 recovers: day 4 - day 1 = 3 days
    assert m.max_drawdown_recovery_ts == D0 + 4 * NS_PER_DAY + CLOSE
    assert m.max_drawdown_duration_ns == 3 * NS_PER_DAY
    assert m.longest_drawdown_ns == 3 * NS_PER_DAY


def test_five_day_cagr_and_calmar(five_day: Metrics) -> None:
    # 4 days between the first and last sample = 4 / 365.25 years; growth 120 / 100 = 1.2
    # CAGR = 1.2 ** (365.25 / 4) - 1 ≈ 1.699e7 (a tiny span annualizes to a huge rate)
    cagr = 1.2 ** (365.25 / 4) - 1
    assert five_day.cagr == pytest.approx(cagr, rel=1e-9)
    assert five_day.calmar == pytest.approx(cagr / 0.1, rel=1e-9)  # CAGR / max drawdown


def test_cagr_over_two_years_and_calmar() -> None:
    # 100 -> 90 (one year) -> 121 (two years): CAGR = (121 / 100) ** (1 / 2) - 1 = 1.1 - 1 = 10%
    ts = np.array([D0, D0 + NS_PER_YEAR, D0 + 2 * NS_PER_YEAR], dtype=np.int64)
    m = compute_metrics(
        equity_ts=ts,
        equity_raw=raw([100, 90, 121]),
        starting_equity_raw=100 * SCALE,
        round_trips=[],
        fees_raw=0,
        turnover_raw=0,
        exposure=1.0,
        currency="USD",
    )
    assert m.cagr == pytest.approx(0.1, rel=1e-12)
    # max drawdown (100 - 90) / 100 = 10% -> Calmar = 0.1 / 0.1 = 1
    assert m.max_drawdown == pytest.approx(0.1, rel=1e-15)
    assert m.calmar == pytest.approx(1.0, rel=1e-12)
    # peak is the first sample (day 0), recovery at the 121 sample: 2 years
    assert m.max_drawdown_duration_ns == 2 * NS_PER_YEAR
    # returns are per calendar day with samples: 90/100-1 = -0.1, 121/90-1 = 31/90
    assert m.return_periods == 3


# ---------------------------------------------------------------------------------------------
# Returns: which sample closes a day


def test_last_sample_of_each_utc_day_closes_it() -> None:
    day0_late = D0 + NS_PER_DAY - 1  # 23:59:59.999999999 still belongs to day 0
    day1_midnight = D0 + NS_PER_DAY  # 00:00 is the next day
    ts = np.array([D0 + HOUR, D0 + 2 * HOUR, day0_late, day1_midnight, day1_midnight + HOUR])
    eq = raw([101, 150, 104, 90, 110])
    close_ts, r = daily_returns(equity_ts=ts, equity_raw=eq, starting_equity_raw=100 * SCALE)
    # day 0 closes at 104, day 1 at 110: returns 104/100-1 = 0.04 and 110/104-1 = 6/104
    assert close_ts.tolist() == [day0_late, day1_midnight + HOUR]
    assert r.tolist() == pytest.approx([0.04, 6 / 104], rel=1e-15)


def test_days_without_samples_are_not_periods() -> None:
    # Friday 5 Jan and Monday 8 Jan: one return across the weekend, 110/100-1 = 0.1
    _, r = daily_returns(
        equity_ts=day_ts([4, 7]), equity_raw=raw([100, 110]), starting_equity_raw=100 * SCALE
    )
    assert r.tolist() == pytest.approx([0.0, 0.1])


def test_returns_after_a_zero_close_are_undefined() -> None:
    # 100 -> 50 -> 0 -> 10: the return after the 0 close has no base
    m = metrics_for([50, 0, 10])
    assert m.annualized_volatility is None
    assert m.sharpe is None
    assert m.sortino is None
    assert m.return_periods == 0
    assert m.max_drawdown == pytest.approx(1.0)  # (100 - 0) / 100
    with pytest.raises(ValueError, match="undefined"):
        daily_returns(
            equity_ts=day_ts([0, 1, 2]),
            equity_raw=raw([50, 0, 10]),
            starting_equity_raw=100 * SCALE,
        )


# ---------------------------------------------------------------------------------------------
# Drawdown episodes


def test_deepest_and_longest_drawdowns_differ() -> None:
    # 100, 99, 99, 99, 100, 70, 100 (days 0..6)
    # episode 1: peak day 0, 1% deep, recovered day 4 -> 4 days (the longest)
    # episode 2: peak day 4, (100 - 70) / 100 = 30% deep, recovered day 6 -> 2 days (the deepest)
    m = metrics_for([100, 99, 99, 99, 100, 70, 100])
    assert m.max_drawdown == pytest.approx(0.3)
    assert m.max_drawdown_money == usd(30)
    assert m.max_drawdown_peak_ts == D0 + 4 * NS_PER_DAY + CLOSE
    assert m.max_drawdown_trough_ts == D0 + 5 * NS_PER_DAY + CLOSE
    assert m.max_drawdown_recovery_ts == D0 + 6 * NS_PER_DAY + CLOSE
    assert m.max_drawdown_duration_ns == 2 * NS_PER_DAY
    assert m.longest_drawdown_ns == 4 * NS_PER_DAY


def test_unrecovered_drawdown_runs_to_the_end() -> None:
    # 100, 120, 90, 100: peak 120 (day 1), trough 90 (day 2): 30 / 120 = 25%, never recovered
    m = metrics_for([100, 120, 90, 100])
    assert m.max_drawdown == pytest.approx(0.25)
    assert m.max_drawdown_money == usd(30)
    assert m.max_drawdown_recovery_ts is None
    assert m.max_drawdown_duration_ns == 2 * NS_PER_DAY  # day 3 (the end) - day 1
    assert m.longest_drawdown_ns == 2 * NS_PER_DAY


def test_starting_equity_is_the_first_peak() -> None:
    # start 100, first sample 90 (day 0), then 95 (day 1): 10% below the starting capital at once
    m = metrics_for([90, 95])
    assert m.max_drawdown == pytest.approx(0.1)
    assert m.max_drawdown_peak_ts == D0 + CLOSE  # the starting equity sits at the first timestamp
    assert m.max_drawdown_trough_ts == D0 + CLOSE
    assert m.max_drawdown_duration_ns == NS_PER_DAY  # to the end, never recovered


def test_drawdown_series() -> None:
    # peaks 100, 110, 110, 110, 120 -> 0, 0, (99-110)/110 = -0.1, (105-110)/110 = -1/22, 0
    dd = drawdown_series(raw([100, 110, 99, 105, 120]))
    assert dd.dtype == np.float64
    assert dd.tolist() == pytest.approx([0.0, 0.0, -0.1, -1 / 22, 0.0], rel=1e-15)
    # with a starting equity of 200, every sample is below it: 100/200 - 1 = -0.5, ...
    dd = drawdown_series(raw([100, 150]), starting_equity_raw=200 * SCALE)
    assert dd.tolist() == [-0.5, -0.25]
    assert drawdown_series(np.zeros(0, dtype=np.int64)).size == 0
    with pytest.raises(ValueError, match="positive first peak"):
        drawdown_series(raw([0, 10]))


def test_equity_curve_gives_both_series() -> None:
    curve = equity_curve(
        equity_ts=day_ts([0, 1, 2]),
        equity_raw=raw([100, 110, 99]),
        currency="USD",
        starting_equity_raw=100 * SCALE,
    )
    assert curve.equity_raw.tolist() == raw([100, 110, 99]).tolist()
    assert curve.drawdown.tolist() == pytest.approx([0.0, 0.0, -0.1])
    assert curve.equity_float().tolist() == [100.0, 110.0, 99.0]
    with pytest.raises(ValueError):
        curve.equity_raw[0] = 1  # read-only: a report cannot alter the run's record
    assert curve.to_dict() == {
        "currency": "USD",
        "ts": day_ts([0, 1, 2]).tolist(),
        "equity": ["100", "110", "99"],
        "drawdown": [0.0, 0.0, -0.1],
    }


# ---------------------------------------------------------------------------------------------
# Round trips


def test_round_trip_statistics() -> None:
    trips = [
        trip(31, 1, 2 * HOUR),  # net +30
        trip(-4, 1, 1 * HOUR, direction=-1),  # net -5
        trip(11, 1, 3 * HOUR),  # net +10
        trip(-14, 1, HOUR // 2, direction=-1),  # net -15
    ]
    m = metrics_for([100, 120], trips=trips)
    assert m.round_trip_count == 4
    assert (m.winning_count, m.losing_count) == (2, 2)
    assert m.win_rate == 0.5  # 2 / 4
    assert m.gross_profit == usd(40)  # 30 + 10
    assert m.gross_loss == usd(-20)  # -5 - 15
    assert m.profit_factor == 2.0  # 40 / |-20|
    assert m.average_win == usd(20)  # 40 / 2
    assert m.average_loss == usd(-10)  # -20 / 2
    assert m.expectancy == usd(5)  # (30 - 5 + 10 - 15) / 4 = 20 / 4
    assert m.largest_win == usd(30)
    assert m.largest_loss == usd(-15)
    # (2 h + 1 h + 3 h + 0.5 h) / 4 = 6.5 h / 4 = 1.625 h = 1 h 37 min 30 s
    assert m.average_holding_ns == (3_600 + 37 * 60 + 30) * 10**9


def test_trades_are_classified_by_net_pnl() -> None:
    # gross +1 - fees 1 = 0: neither a win nor a loss, but still a trade
    # gross +0.5 - fees 1 = -0.5: a loss although the price moved our way
    trips = [trip(10, 0, HOUR), trip(1, 1, HOUR), trip(0.5, 1, HOUR)]
    m = metrics_for([100, 120], trips=trips)
    assert (m.round_trip_count, m.winning_count, m.losing_count) == (3, 1, 1)
    assert m.win_rate == pytest.approx(1 / 3)
    assert m.gross_loss == usd(-0.5)
    assert m.profit_factor == 20.0  # 10 / 0.5
    # (10 + 0 - 0.5) / 3 = 3.1666666666(6) -> 3.166666667 at 1e-9 units
    assert m.expectancy == Money(3_166_666_667, "USD")


def test_money_averages_round_half_to_even() -> None:
    # wins of 1 and 4 raw units: 5 / 2 = 2.5 -> 2 (even); wins 1 and 2: 1.5 -> 2 (even)
    one, two, four = (
        RoundTrip(
            strategy_id="s",
            instrument_id="X.SIM",
            direction=1,
            qty_raw=1,
            entry_ts=0,
            exit_ts=1,
            entry_px_raw=1,
            exit_px_raw=1,
            gross_pnl_raw=g,
            fees_raw=0,
            currency="USD",
        )
        for g in (1, 2, 4)
    )
    assert metrics_for([100], trips=[one, four]).average_win == Money(2, "USD")
    assert metrics_for([100], trips=[one, two]).average_win == Money(2, "USD")
    # each trade is held 1 ns: (1 + 1) / 2 = 1 ns
    assert metrics_for([100], trips=[one, two]).average_holding_ns == 1


def test_profit_factor_without_losses_is_none() -> None:
    m = metrics_for([100, 110], trips=[trip(10, 0, HOUR)])
    assert m.profit_factor is None  # 10 / 0 has no finite value, and inf is not JSON
    assert m.average_loss is None
    assert m.largest_loss is None
    assert m.gross_loss == usd(0)
    # only losses: profit factor 0 / 5 = 0
    assert metrics_for([100, 90], trips=[trip(-5, 0, HOUR)]).profit_factor == 0.0


def test_round_trip_rows() -> None:
    rt = RoundTrip(
        strategy_id="sma",
        instrument_id="BTCUSDT.BINANCE",
        direction=-1,
        qty_raw=1_500_000_000,
        entry_ts=D0 + 250_000_000,
        exit_ts=D0 + HOUR,
        entry_px_raw=42_000_123_450_000,
        exit_px_raw=41_000 * SCALE,
        gross_pnl_raw=1_500_185_175_000,
        fees_raw=2_100_000_000,
        currency="USDT",
    )
    assert round_trips_to_rows([rt]) == [
        {
            "strategy": "sma",
            "instrument": "BTCUSDT.BINANCE",
            "side": "SHORT",
            "qty": "1.5",
            "entry_time": "2024-01-01T00:00:00.250Z",
            "entry_ts": D0 + 250_000_000,
            "entry_price": "42000.12345",
            "exit_time": "2024-01-01T01:00:00Z",
            "exit_ts": D0 + HOUR,
            "exit_price": "41000",
            "holding_ns": HOUR - 250_000_000,
            "gross": "1500.185175",
            "fees": "2.1",
            "net": "1498.085175",  # 1500.185175 - 2.1
            "currency": "USDT",
        }
    ]
    assert round_trips_to_rows([trip(1, 0, HOUR)])[0]["side"] == "LONG"
    json.dumps(round_trips_to_rows([rt]), allow_nan=False)


# ---------------------------------------------------------------------------------------------
# Degenerate cases: None, never NaN, inf or an exception


def test_no_trades() -> None:
    m = metrics_for([100, 110])
    assert m.round_trip_count == m.winning_count == m.losing_count == 0
    assert m.win_rate is None
    assert m.profit_factor is None
    assert m.average_win is None and m.average_loss is None
    assert m.expectancy is None
    assert m.largest_win is None and m.largest_loss is None
    assert m.average_holding_ns is None
    assert m.gross_profit == usd(0) and m.gross_loss == usd(0)


def test_one_sample() -> None:
    m = metrics_for([100])
    assert m.return_periods == 1  # 100 / 100 - 1 = 0: one return is not enough for a std
    assert m.annualized_volatility is None and m.sharpe is None and m.sortino is None
    assert m.cagr is None  # no time has passed
    assert m.calmar is None
    assert m.max_drawdown == 0.0
    assert m.max_drawdown_duration_ns == 0
    assert m.max_drawdown_peak_ts is None and m.max_drawdown_recovery_ts is None


def test_no_samples() -> None:
    m = compute_metrics(
        equity_ts=np.zeros(0, dtype=np.int64),
        equity_raw=np.zeros(0, dtype=np.int64),
        starting_equity_raw=100 * SCALE,
        round_trips=[],
        fees_raw=0,
        turnover_raw=0,
        exposure=0.0,
        currency="USD",
    )
    assert m.final_equity == usd(100)
    assert m.total_return == 0.0
    assert m.start_ts is None and m.end_ts is None
    assert m.max_drawdown is None and m.max_drawdown_money is None
    assert m.longest_drawdown_ns is None
    assert m.cagr is None and m.sharpe is None
    json.dumps(m.to_dict(), allow_nan=False)


def test_flat_equity_has_zero_volatility() -> None:
    m = metrics_for([100, 100, 100, 100])
    assert m.annualized_volatility == 0.0
    assert m.sharpe is None  # 0 / 0
    assert m.sortino is None  # no period below rf
    assert m.max_drawdown == 0.0
    assert m.calmar is None  # 0 / 0
    assert m.cagr == 0.0


def test_constant_nonzero_returns_have_zero_volatility() -> None:
    # 100 -> 110 -> 121 -> 133.1: +10% every day, so the spread of the returns is exactly 0
    eq = np.array([110 * SCALE, 121 * SCALE, 1331 * SCALE // 10], dtype=np.int64)
    m = compute_metrics(
        equity_ts=day_ts([0, 1, 2]),
        equity_raw=eq,
        starting_equity_raw=100 * SCALE,
        round_trips=[],
        fees_raw=0,
        turnover_raw=0,
        exposure=1.0,
        currency="USD",
        risk_free_rate=0.01,
    )
    assert m.annualized_volatility == 0.0
    assert m.sharpe is None  # 10% - rf every day: a positive mean over a zero spread
    assert m.sortino is None


def test_only_rising_days_have_no_sortino() -> None:
    m = metrics_for([100, 101, 103])
    assert m.sharpe is not None and m.sharpe > 0
    assert m.sortino is None  # no downside deviation
    assert m.calmar is None  # no drawdown


def test_total_loss_and_overflowing_cagr() -> None:
    assert metrics_for([50, 0]).cagr == -1.0  # final equity 0: lost everything
    # doubling within one minute: 2 ** (minutes in a year) overflows a float -> None
    m = compute_metrics(
        equity_ts=np.array([D0, D0 + 60 * 10**9]),
        equity_raw=raw([100, 200]),
        starting_equity_raw=100 * SCALE,
        round_trips=[],
        fees_raw=0,
        turnover_raw=0,
        exposure=1.0,
        currency="USD",
    )
    assert m.cagr is None
    assert m.calmar is None


# ---------------------------------------------------------------------------------------------
# Broken inputs fail fast


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"equity_ts": day_ts([0, 1])}, "samples"),
        ({"equity_ts": day_ts([0, 2, 1])}, "non-decreasing"),
        ({"equity_raw": np.array([100.0, 101.0, 102.0])}, "raw integers"),
        ({"starting_equity_raw": 0}, "starting equity"),
        ({"periods_per_year": 0}, "periods_per_year"),
        ({"exposure": 1.5}, "exposure"),
        ({"exposure": float("nan")}, "exposure"),
        ({"risk_free_rate": float("inf")}, "risk_free_rate"),
        ({"turnover_raw": -1}, "turnover"),
        ({"round_trips": [trip(1, 0, HOUR, currency="EUR")]}, "EUR"),
        ({"round_trips": [trip(1, 0, -HOUR)]}, "exits before"),
    ],
)
def test_broken_inputs_raise(change: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "equity_ts": day_ts([0, 1, 2]),
        "equity_raw": raw([100, 101, 102]),
        "starting_equity_raw": 100 * SCALE,
        "round_trips": [],
        "fees_raw": 0,
        "turnover_raw": 0,
        "exposure": 0.5,
        "currency": "USD",
    }
    args.update(change)
    with pytest.raises(ValueError, match=message):
        compute_metrics(**args)  # type: ignore[arg-type]


def test_round_trip_rows_reject_a_bad_direction() -> None:
    with pytest.raises(ValueError, match="direction"):
        round_trips_to_rows([trip(1, 0, HOUR, direction=0)])


# ---------------------------------------------------------------------------------------------
# The JSON report and the table


EXPECTED_KEYS = [
    "currency",
    "periods_per_year",
    "risk_free_rate",
    "start_ts",
    "start_time",
    "end_ts",
    "end_time",
    "sample_count",
    "return_periods",
    "starting_equity",
    "final_equity",
    "net_profit",
    "total_return",
    "cagr",
    "annualized_volatility",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "max_drawdown_money",
    "max_drawdown_duration_ns",
    "max_drawdown_peak_ts",
    "max_drawdown_peak_time",
    "max_drawdown_trough_ts",
    "max_drawdown_trough_time",
    "max_drawdown_recovery_ts",
    "max_drawdown_recovery_time",
    "longest_drawdown_ns",
    "round_trip_count",
    "winning_count",
    "losing_count",
    "win_rate",
    "gross_profit",
    "gross_loss",
    "profit_factor",
    "average_win",
    "average_loss",
    "expectancy",
    "largest_win",
    "largest_loss",
    "average_holding_ns",
    "fees",
    "turnover",
    "exposure",
]


def _report() -> Metrics:
    return compute_metrics(
        equity_ts=day_ts([0, 1, 2, 3, 4]),
        equity_raw=raw([100, 110, 99, 105, 120]),
        starting_equity_raw=100 * SCALE,
        round_trips=[trip(31, 1, 2 * HOUR), trip(-4, 1, HOUR), trip(10.5, 0.25, HOUR)],
        fees_raw=1_234_500_000_000,  # 1234.5
        turnover_raw=10_000 * SCALE,
        exposure=0.6,
        currency="USD",
    )


def test_to_dict_keys_values_and_byte_stability() -> None:
    d = _report().to_dict()
    assert list(d) == EXPECTED_KEYS
    assert d["currency"] == "USD"
    assert d["final_equity"] == "120"
    assert d["fees"] == "1234.5"
    assert d["net_profit"] == "20"
    assert d["gross_loss"] == "-5"
    assert d["average_win"] == "20.125"  # (30 + 10.25) / 2
    assert d["max_drawdown"] == 0.1
    assert d["max_drawdown_money"] == "11"
    assert d["max_drawdown_peak_ts"] == D0 + NS_PER_DAY + CLOSE
    assert d["max_drawdown_peak_time"] == "2024-01-02T21:00:00Z"
    assert d["sharpe"] == 6.828002817  # 10 significant digits
    assert d["win_rate"] == 0.6666666667  # 2 / 3
    assert d["profit_factor"] == 8.05  # 40.25 / 5
    assert d["exposure"] == 0.6
    first = json.dumps(_report().to_dict(), allow_nan=False)
    second = json.dumps(_report().to_dict(), allow_nan=False)
    assert first == second
    assert json.loads(first) == d


def test_to_dict_of_a_degenerate_report_is_valid_json() -> None:
    d = metrics_for([100]).to_dict()
    assert d["sharpe"] is None and d["max_drawdown_peak_time"] is None
    assert d["max_drawdown"] == 0.0
    json.dumps(d, allow_nan=False)


def test_text_helpers() -> None:
    assert exact_text(1_234_500_000_000) == "1234.5"
    assert exact_text(100 * SCALE) == "100"
    assert exact_text(-1) == "-0.000000001"
    assert exact_text(0) == "0"
    assert iso_utc(D0) == "2024-01-01T00:00:00Z"
    assert iso_utc(D0 + 1) == "2024-01-01T00:00:00.000000001Z"
    assert iso_utc(D0 + 1_500) == "2024-01-01T00:00:00.000001500Z"
    assert iso_utc(D0 + 1_000) == "2024-01-01T00:00:00.000001Z"
    assert iso_utc(-(10**9)) == "1969-12-31T23:59:59Z"
    assert round_significant(1 / 3) == 0.3333333333
    assert round_significant(-0.0) == 0.0
    assert str(round_significant(-1e-30)) == "-1e-30"
    assert str(round_significant(-0.0)) == "0.0"


def test_format_table() -> None:
    table = format_table(_report())
    lines = table.splitlines()
    assert len({len(line) for line in lines}) == 1  # a rectangle: two aligned columns
    # labels and values hold single spaces at most; the columns are 2+ spaces apart
    rows = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in lines[1:-1])
    assert rows["Final equity"] == "120.00 USD"
    assert rows["Fees"] == "1234.50 USD"
    assert rows["Total return"] == "20.00%"
    assert rows["Max drawdown"] == "10.00%"
    assert rows["Max drawdown (money)"] == "11.00 USD"
    assert rows["Max drawdown duration"] == "3d 00:00:00"
    assert rows["Win rate"] == "66.67%"
    assert rows["Sharpe ratio"] == "6.83"
    assert rows["Profit factor"] == "8.05"
    assert rows["Average win"] == "20.12 USD"  # 20.125 rounded half to even
    assert rows["Average holding time"] == "01:20:00"  # (2 h + 1 h + 1 h) / 3
    assert rows["Exposure"] == "60.00%"
    assert rows["Winning / losing"] == "2 / 1"
    empty = format_table(metrics_for([100]))
    assert "n/a" in empty


# ---------------------------------------------------------------------------------------------
# Properties

equity_values = st.lists(st.integers(min_value=0, max_value=10**15), min_size=1, max_size=40)


@given(start=st.integers(min_value=1, max_value=10**15), values=equity_values)
def test_max_drawdown_is_a_fraction_for_non_negative_equity(start: int, values: list[int]) -> None:
    eq = np.array(values, dtype=np.int64)
    ts = D0 + np.arange(eq.size, dtype=np.int64) * HOUR
    m = compute_metrics(
        equity_ts=ts,
        equity_raw=eq,
        starting_equity_raw=start,
        round_trips=[],
        fees_raw=0,
        turnover_raw=0,
        exposure=0.0,
        currency="USD",
    )
    assert m.max_drawdown is not None
    assert 0.0 <= m.max_drawdown <= 1.0
    dd = drawdown_series(eq, starting_equity_raw=start)
    assert np.all(dd <= 0.0) and np.all(dd >= -1.0)
    assert m.max_drawdown == pytest.approx(-float(dd.min()), rel=1e-12, abs=1e-300)
    json.dumps(m.to_dict(), allow_nan=False)


@given(start=st.integers(min_value=1, max_value=10**15), values=equity_values)
def test_max_drawdown_is_zero_for_a_non_decreasing_curve(start: int, values: list[int]) -> None:
    eq = np.array(sorted(v + start for v in values), dtype=np.int64)  # never below the start
    ts = D0 + np.arange(eq.size, dtype=np.int64) * NS_PER_DAY
    m = compute_metrics(
        equity_ts=ts,
        equity_raw=eq,
        starting_equity_raw=start,
        round_trips=[],
        fees_raw=0,
        turnover_raw=0,
        exposure=0.0,
        currency="USD",
    )
    assert m.max_drawdown == 0.0
    assert m.max_drawdown_duration_ns == 0 and m.longest_drawdown_ns == 0
    assert m.calmar is None
    assert not drawdown_series(eq, starting_equity_raw=start).any()
