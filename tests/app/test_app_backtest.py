"""``tradebench backtest``: every template on real files and on synthetic data, and a user's own
strategy file; each run prints the metrics table and writes a report that agrees with it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.data.display import format_ts_ns

BT = "{data}/backtrader"
LEAN = "{data}/lean"
TABLE_ROWS = (
    "Starting equity",
    "Final equity",
    "Net profit",
    "Sharpe ratio",
    "Max drawdown",
    "Round trips",
    "Win rate",
    "Fees",
    "Exposure",
)


@dataclass(frozen=True)
class Case:
    strategy: str
    data: tuple[str, ...]
    args: tuple[str, ...] = ()
    # every round-trip price must lie here (catches deci-cents not divided, shifted columns)
    prices: tuple[str, str] | None = None


CASES = {
    # sma_cross
    "sma-orcl-daily": Case("sma_cross", (f"{BT}/orcl_daily_1995-2014.csv",), prices=("1", "50")),
    "sma-spy-daily-decicents": Case(
        "sma_cross", (f"{LEAN}/equity/spy_daily_1998-2021.zip",), prices=("60", "420")
    ),
    "sma-fesx-1min-8col": Case(
        "sma_cross",
        (f"{BT}/fesx_1min_2006-01-02_2006-02-27.csv",),
        ("--param", "fast=20", "--param", "slow=60", "--multiplier", "10"),
        prices=("3400", "3950"),
    ),
    "sma-spy-minute-two-days": Case(
        "sma_cross",
        # given out of order on purpose: files of one instrument are merged by time
        (
            f"{LEAN}/equity/spy_minute/20131008_trade.zip",
            f"{LEAN}/equity/spy_minute/20131007_trade.zip",
        ),
        prices=("160", "175"),
    ),
    "sma-synthetic": Case("sma_cross", ("synthetic:1500:11",), ("--param", "allow_short=true")),
    # ema_cross: quotes (mid) and bars (close)
    "ema-eurusd-minute-quotes": Case(
        "ema_cross",
        (f"{LEAN}/forex/eurusd_oanda_minute/20140505_quote.zip",),
        ("--param", "qty=10000", "--fee", "none", "--slippage", "half-spread:1"),
        prices=("1.3", "1.45"),
    ),
    "ema-eurusd-tick-quotes": Case(
        "ema_cross",
        (f"{LEAN}/forex/eurusd_oanda_tick/20140505_quote.zip",),
        ("--param", "fast=50", "--param", "slow=200", "--param", "qty=10000"),
        prices=("1.3", "1.45"),
    ),
    "ema-nvda-daily": Case("ema_cross", (f"{BT}/nvda_daily_1999-2014.csv",), prices=("1", "40")),
    "ema-synthetic": Case("ema_cross", ("synthetic:1500:12",)),
    # rsi_reversion
    "rsi-yhoo-daily": Case(
        "rsi_reversion",
        (f"{BT}/yhoo_daily_1996-2015.csv",),
        ("--slippage", "bps:2", "--param", "allow_short=yes", "--param", "stop_loss_pct=5"),
    ),
    "rsi-stoxx50-5min": Case(
        "rsi_reversion", (f"{BT}/stoxx50_5min_2006-01.csv",), prices=("3400", "3900")
    ),
    "rsi-synthetic": Case("rsi_reversion", ("synthetic:2520:13",)),
    # bollinger_reversion
    "bollinger-spy-daily": Case(
        "bollinger_reversion",
        (f"{LEAN}/equity/spy_daily_1998-2021.zip",),
        ("--start", "2005-01-01", "--end", "2015-01-01", "--fee", "per-share:0.005:1"),
        prices=("60", "220"),
    ),
    "bollinger-orcl-daily": Case(
        "bollinger_reversion", (f"{BT}/orcl_daily_1995-2014.csv",), ("--fill", "same-close")
    ),
    "bollinger-synthetic": Case("bollinger_reversion", ("synthetic:2520:14",)),
    # donchian_breakout
    "donchian-fesx-1min-range": Case(
        "donchian_breakout",
        (f"{BT}/fesx_1min_2006-01-02_2006-02-27.csv",),
        ("--start", "2006-01-02", "--end", "2006-01-21", "--slippage", "vol:0.5:20"),
        prices=("3500", "3800"),
    ),
    "donchian-stoxx50-daily": Case(
        "donchian_breakout",
        (f"{BT}/stoxx50_daily_2006.csv",),
        ("--param", "period=10", "--param", "exit_period=5"),
        prices=("3400", "4200"),
    ),
    "donchian-synthetic": Case("donchian_breakout", ("synthetic:2520:15",)),
    # pairs_zscore: two instruments
    "pairs-orcl-nvda": Case(
        "pairs_zscore",
        (f"{BT}/orcl_daily_1995-2014.csv", f"{BT}/nvda_daily_1999-2014.csv"),
        prices=("1", "50"),
    ),
    "pairs-synthetic": Case(
        "pairs_zscore",
        ("synthetic:2520:16@AAA.SIM", "synthetic:2520:17@BBB.SIM"),
        ("--param", "hedge_ratio=0", "--param", "window=40"),
    ),
    # market_maker: L2 book data on the order-book venue
    "mm-binance-btcusdt": Case(
        "market_maker",
        (
            "binance:{data}/hftbacktest/binance_spot_btcusdt_20240808_stream.gz,"
            "{data}/hftbacktest/binance_spot_btcusdt_20240809_stream.gz",
        ),
        ("--venue", "book", "--lot", "0.00001", "--param", "qty=0.001")
        + ("--param", "max_position=0.005", "--fee", "maker-taker:-0.1:1"),
        prices=("61000", "62500"),
    ),
    "mm-synthetic-book": Case(
        "market_maker", ("synthetic-book:1800:3",), ("--venue", "book", "--latency-ms", "1")
    ),
}


def _resolve(item: str, data: Path) -> str:
    return item.replace("{data}", str(data))


@pytest.fixture
def run_backtest(
    run_cli: Callable[..., Any], shared_data_or_none: Path | None, tmp_path: Path
) -> Callable[[Case], tuple[Any, dict[str, Any]]]:
    def run(case: Case) -> tuple[Any, dict[str, Any]]:
        if any("{data}" in d for d in case.data) and shared_data_or_none is None:
            pytest.skip("shared market data not found (set TRADEBENCH_SHARED_DATA)")
        argv = ["backtest", case.strategy]
        for item in case.data:
            argv += ["--data", _resolve(item, shared_data_or_none or Path())]
        report = tmp_path / "report.json"
        result = run_cli(*argv, *case.args, "--report", str(report))
        assert (result.code, result.err) == (0, ""), result.err
        return result, json.loads(report.read_text(encoding="utf-8"))

    return run


@pytest.fixture
def shared_data_or_none(request: pytest.FixtureRequest) -> Path | None:
    try:
        path: Path = request.getfixturevalue("shared_data")
    except pytest.skip.Exception:
        return None
    return path


def _check_report_matches_table(result: Any, report: dict[str, Any], case: Case) -> None:
    for row in TABLE_ROWS:
        assert f"\n{row} " in result.out, f"{row!r} missing from the table"
    for key in ("metrics", "round_trips", "equity", "data", "settings", "parameters"):
        assert key in report
    trips = report["round_trips"]
    assert report["metrics"]["round_trip_count"] == len(trips) == result.round_trips_in_table()
    assert len(trips) > 0, "the strategy never traded: the case no longer tests anything"
    assert report["faults"] == []
    # the report's last equity sample is the final equity of the metrics, to the last digit
    assert report["equity"][-1][1] == report["metrics"]["final_equity"]
    assert report["equity"][-1][0] == report["metrics"]["end_time"]
    times = [t for t, _ in report["equity"]]
    assert times == sorted(times)
    assert report["fills"] >= len(trips)  # a fill closes at most one round trip
    for trip in trips:
        assert trip["strategy"] == report["strategy"]
        assert trip["entry_ts"] <= trip["exit_ts"]
        assert Decimal(trip["net"]) == Decimal(trip["gross"]) - Decimal(trip["fees"])
    if case.prices is not None:
        low, high = (Decimal(p) for p in case.prices)
        for trip in trips:
            for price in (trip["entry_price"], trip["exit_price"]):
                assert low <= Decimal(price) <= high, trip
    assert result.out.rstrip().splitlines()[-1].startswith("report written to ")


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_backtest_runs_and_reports(
    case: Case, run_backtest: Callable[[Case], tuple[Any, dict[str, Any]]]
) -> None:
    result, report = run_backtest(case)
    assert result.out.startswith("tradebench ")
    assert f"backtest {case.strategy} on " in result.out
    assert report["strategy"] == case.strategy
    # one entry per series: a Binance recording gives two (its book and its trades)
    assert len({d["source"] for d in report["data"]}) == len(case.data)
    _check_report_matches_table(result, report, case)


def test_every_listed_template_is_covered(run_cli: Callable[..., Any]) -> None:
    result = run_cli("templates")
    assert result.code == 0
    listed = [line.split()[0] for line in result.out.splitlines() if line.strip()]
    assert listed == [
        "sma_cross",
        "ema_cross",
        "rsi_reversion",
        "bollinger_reversion",
        "donchian_breakout",
        "pairs_zscore",
        "market_maker",
    ]
    covered = {case.strategy for case in CASES.values()}
    assert set(listed) <= covered
    # each template runs on at least one real file and on synthetic data
    for name in listed:
        kinds = {
            "real" if "{data}" in case.data[0] else "synthetic"
            for case in CASES.values()
            if case.strategy == name
        }
        assert kinds == {"real", "synthetic"}, name


@pytest.mark.parametrize(
    "data", ["{data}/backtrader/yhoo_daily_1996-2015.csv", "synthetic:2520:21"], ids=["yhoo", "syn"]
)
def test_user_strategy_file_by_path(
    data: str,
    user_strategy_file: Path,
    run_backtest: Callable[[Case], tuple[Any, dict[str, Any]]],
) -> None:
    case = Case(str(user_strategy_file), (data,), ("--param", "lookback=30", "--param", "qty=25"))
    result, report = run_backtest(case)
    assert "backtest CloseBreakout on " in result.out
    assert report["strategy"] == "CloseBreakout"
    assert report["parameters"]["lookback"] == "30"
    assert report["parameters"]["qty"] == "25"
    _check_report_matches_table(result, report, case)
    assert {t["qty"] for t in report["round_trips"]} == {"25"}


def test_start_and_end_select_bars_by_their_session_date(
    run_backtest: Callable[[Case], tuple[Any, dict[str, Any]]],
) -> None:
    """Daily bars carry their END time (the 2004-12-31 bar ends 2005-01-01T00:00Z); ``--start
    2005-01-01 --end 2005-03-01`` must still mean the sessions of January and February."""
    case = Case(
        "sma_cross",
        ("{data}/backtrader/orcl_daily_1995-2014.csv",),
        ("--start", "2005-01-01", "--end", "2005-03-01", "--param", "fast=2", "--param", "slow=5"),
    )
    _, report = run_backtest(case)
    (data,) = report["data"]
    assert data["rows"] == 20 + 19  # trading days of January and February 2005
    assert format_ts_ns(data["first_ts"]) == "2005-01-04T00:00:00Z"  # the 2005-01-03 session
    assert format_ts_ns(data["last_ts"]) == "2005-03-01T00:00:00Z"  # the 2005-02-28 session


def test_default_data_is_the_synthetic_demo_series(run_cli: Callable[..., Any]) -> None:
    result = run_cli("backtest", "sma_cross")
    assert result.code == 0, result.err
    assert "backtest sma_cross on synthetic:2520:42" in result.out
    assert "2,520 events" in result.out
