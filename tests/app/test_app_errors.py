"""Bad input: one line on stderr (``tradebench: error: ...``), exit status 2, nothing on stdout,
and nothing lost: a report written by an earlier run is left exactly as it was.

A strategy that raises is not bad input: the run completes, exit status 1, and stderr says
which strategy faulted, when and why, followed by its traceback.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

TEMPLATES = (
    "sma_cross, ema_cross, rsi_reversion, bollinger_reversion, donchian_breakout, pairs_zscore, "
    "market_maker"
)
HEADER = "Date,Open,High,Low,Close,Adj Close,Volume\n"
GOOD_ROW = "2020-01-02,100.0,101.0,99.0,100.5,100.5,1000\n"


@pytest.fixture
def expect_error(run_cli: Callable[..., Any]) -> Callable[..., None]:
    def check(argv: list[str], message: str) -> None:
        result = run_cli(*argv)
        assert result.err == f"tradebench: error: {message}\n"
        assert result.code == 2
        assert result.out == ""

    return check


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["backtest", "nope"],
            f"unknown strategy template 'nope'; known: {TEMPLATES}",
        ),
        (
            ["backtest", "sma_cross", "--param", "bogus=1"],
            "unknown parameter 'bogus' for sma_cross; known: fast, slow, qty, allow_short",
        ),
        (
            ["backtest", "sma_cross", "--param", "fast=0"],
            "parameter 'fast' of sma_cross must be between 1 and 10000, got 0",
        ),
        (
            ["backtest", "rsi_reversion", "--param", "oversold=101"],
            "parameter 'oversold' of rsi_reversion must be between 0.0 and 100.0, got 101.0",
        ),
        (
            ["backtest", "sma_cross", "--param", "fast"],
            "a parameter must look like name=value, got 'fast'",
        ),
        (
            ["backtest", "sma_cross", "--param", "=5"],
            "a parameter must look like name=value, got '=5'",
        ),
        (
            ["backtest", "sma_cross", "--param", "fast=abc"],
            "parameter 'fast' of sma_cross must be an integer, got 'abc'",
        ),
        (
            ["backtest", "sma_cross", "--param", "allow_short=maybe"],
            "parameter 'allow_short' of sma_cross must be true or false, got 'maybe'",
        ),
        (
            ["backtest", "sma_cross", "--param", "fast=3", "--param", "fast=4"],
            "parameter 'fast' is given twice",
        ),
        (
            ["backtest", "sma_cross", "--param", "fast=30", "--param", "slow=10"],
            "sma_cross: fast must be less than slow, got fast=30 slow=10",
        ),
        (
            ["backtest", "sma_cross", "--param", "instrument_id=X.SIM"],
            "instrument_id of sma_cross is given as an instrument, not a parameter",
        ),
        (
            ["backtest", "pairs_zscore", "--data", "synthetic:100:1"],
            "pairs_zscore needs 2 instrument(s) (instrument_a, instrument_b), got 1",
        ),
        (
            ["backtest", "sma_cross", "--fee", "bogus"],
            "fee 'bogus' not understood; use none | bps:B | per-share:PER_UNIT[:MINIMUM] | "
            "maker-taker:MAKER_BPS:TAKER_BPS",
        ),
        (["backtest", "sma_cross", "--fee", "bps:x"], "fee bps: 'x' is not a number"),
        (["backtest", "sma_cross", "--fee", "bps:nan"], "fee bps: 'nan' is not a finite number"),
        (
            ["backtest", "sma_cross", "--fee", "maker-taker:1"],
            "fee 'maker-taker:1' not understood; use none | bps:B | per-share:PER_UNIT[:MINIMUM] "
            "| maker-taker:MAKER_BPS:TAKER_BPS",
        ),
        (
            ["backtest", "sma_cross", "--slippage", "what"],
            "slippage 'what' not understood; use none | bps:B | half-spread:SPREAD_BPS | "
            "vol:MULTIPLIER[:WINDOW]",
        ),
        (
            ["backtest", "sma_cross", "--slippage", "half-spread:wide"],
            "spread bps: 'wide' is not a number",
        ),
        (
            ["backtest", "sma_cross", "--fill", "mid"],
            "fill convention 'mid' not understood; use next-open (default: decided on bar t, "
            "filled from bar t+1) | same-close (look-ahead)",
        ),
        (["backtest", "sma_cross", "--cash", "-5"], "--cash must be a positive amount, got -5"),
        (["backtest", "sma_cross", "--cash", "lots"], "--cash 'lots' is not a number"),
        (
            ["backtest", "sma_cross", "--participation", "2"],
            "participation must be in (0, 1], got 2.0",
        ),
        (
            ["backtest", "sma_cross", "--start", "yesterday"],
            "--start: 'yesterday' is not a date like 2012-03-31",
        ),
        (
            ["backtest", "sma_cross", "--end", "1990-01-01"],
            "synthetic:2520:42: no data between the start and 1990-01-01",
        ),
        (
            ["backtest", "sma_cross", "--data", "synthetic:many"],
            "synthetic data 'synthetic:many': use synthetic:BARS[:SEED][@SYMBOL.VENUE]",
        ),
        (
            ["backtest", "sma_cross", "--data", "synthetic:100:1", "--data", "synthetic:100:2"],
            "synthetic:100:2 and synthetic:100:1 overlap: both hold SYN.SIM bars at "
            "2020-01-02T00:00:00Z; give each period once (or use FILE@SYMBOL.VENUE)",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None,
)
def test_input_errors_are_one_line(
    argv: list[str], message: str, expect_error: Callable[..., None]
) -> None:
    expect_error(argv, message)


# data files --------------------------------------------------------------------------------------
BAD_CSV = {
    "nan_price": (
        HEADER + GOOD_ROW + "2020-01-03,100.5,102.0,100.0,NaN,101.0,1200\n",
        "nan_price.csv data row 2 (line 3): Close 'NaN' is not a decimal number",
    ),
    "infinite_price": (
        HEADER + GOOD_ROW + "2020-01-03,100.5,inf,100.0,101.0,101.0,1200\n",
        "infinite_price.csv data row 2 (line 3): High 'inf' is not a decimal number",
    ),
    "out_of_order": (
        HEADER
        + GOOD_ROW
        + "2020-01-03,100.5,102.0,100.0,101.0,101.0,1200\n"
        + "2020-01-01,101.0,101.5,100.5,101.2,101.2,900\n",
        "out_of_order.csv data row 3 (line 4): end time 2020-01-02T00:00:00Z is before the "
        "previous row's 2020-01-04T00:00:00Z",
    ),
    "duplicate_date": (
        HEADER + GOOD_ROW + GOOD_ROW,
        "duplicate_date.csv data row 2 (line 3): duplicate end time 2020-01-03T00:00:00Z "
        "(same as the previous row)",
    ),
    "high_below_low": (
        HEADER + GOOD_ROW + "2020-01-03,101.8,101.5,102.0,101.9,101.9,1200\n",
        "high_below_low.csv data row 2 (line 3): high 101.5 < low 102",
    ),
    "negative_price": (
        HEADER + GOOD_ROW + "2020-01-03,100.5,102.0,100.0,-101.0,101.0,1200\n",
        "negative_price.csv data row 2 (line 3): close -101 is not positive",
    ),
    "missing_column": (
        "Date,Open,High,Low,Adj Close,Volume\n2020-01-02,100.0,101.0,99.0,100.5,1000\n",
        "missing_column.csv: missing column Close (header: Date,Open,High,Low,Adj Close,Volume)",
    ),
    "short_row": (
        HEADER + GOOD_ROW + "2020-01-03,100.5,102.0\n",
        "short_row.csv data row 2 (line 3): expected 7 fields, found 3",
    ),
    "empty": ("", "empty.csv: empty file"),
    "header_only": (HEADER, "header_only.csv: empty file (no data rows)"),
    "intraday_out_of_order": (
        "Date,Time,Open,High,Low,Close,Volume,OpenInterest\n"
        "2006-01-02,09:05:00,3578.73,3587.88,3578.73,3582.99,0,0\n"
        "2006-01-02,09:10:00,3583.01,3588.40,3583.01,3588.03,0,0\n"
        "2006-01-02,09:00:00,3583.01,3588.40,3583.01,3588.03,0,0\n",
        "intraday_out_of_order.csv data row 3 (line 4): end time 2006-01-02T09:00:00Z is before "
        "the previous row's 2006-01-02T09:10:00Z",
    ),
}


@pytest.mark.parametrize("name", list(BAD_CSV))
def test_malformed_csv_names_file_and_row(
    name: str, write_file: Callable[[str, str], Path], expect_error: Callable[..., None]
) -> None:
    text, message = BAD_CSV[name]
    path = write_file(f"{name}.csv", text)
    expect_error(["backtest", "sma_cross", "--data", str(path)], message)


def test_bad_second_file_is_the_one_named(
    write_file: Callable[[str, str], Path], expect_error: Callable[..., None]
) -> None:
    good = write_file("good.csv", HEADER + GOOD_ROW)
    bad = write_file("bad.csv", HEADER + GOOD_ROW + "2020-01-03,1,2,1,NaN,1,5\n")
    expect_error(
        ["backtest", "pairs_zscore", "--data", str(good), "--data", f"{bad}@B.SIM"],
        "bad.csv data row 2 (line 3): Close 'NaN' is not a decimal number",
    )


def test_malformed_lean_zip_names_zip_inner_file_and_row(
    tmp_path: Path, expect_error: Callable[..., None]
) -> None:
    """Lean equity zips hold deci-cents; a NaN there is named like in a CSV."""
    path = tmp_path / "spy.zip"
    rows = [
        "20200102 00:00,3000000,3010000,2990000,3005000,1000",
        "20200103 00:00,3005000,3020000,3000000,nan,1200",
    ]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("spy.csv", "\n".join(rows))
    expect_error(
        ["backtest", "sma_cross", "--data", str(path)],
        "spy.zip:spy.csv data row 2: close 'nan' is not a decimal number",
    )


def test_reversed_two_bar_intraday_file_names_the_out_of_order_row(
    write_file: Callable[[str, str], Path], run_cli: Callable[..., Any]
) -> None:
    path = write_file(
        "reversed.csv",
        "Date,Time,Open,High,Low,Close,Volume,OpenInterest\n"
        "2006-01-02,09:05:00,3578.73,3587.88,3578.73,3582.99,0,0\n"
        "2006-01-02,09:00:00,3583.01,3588.40,3583.01,3588.03,0,0\n",
    )
    result = run_cli("backtest", "sma_cross", "--data", str(path))
    assert result.code == 2
    assert result.err.startswith("tradebench: error: reversed.csv data row 2 (line 3): ")
    assert "before the previous row" in result.err


def test_missing_data_file(tmp_path: Path, expect_error: Callable[..., None]) -> None:
    missing = tmp_path / "nowhere.csv"
    expect_error(
        ["backtest", "sma_cross", "--data", str(missing)], f"data file not found: {missing}"
    )


def test_file_of_unknown_layout(
    write_file: Callable[[str, str], Path], expect_error: Callable[..., None]
) -> None:
    path = write_file("notes.csv", "hello,world\n1,2\n")
    expect_error(
        ["backtest", "sma_cross", "--data", str(path)],
        "notes.csv line 1: cannot detect the layout from the header 'hello,world': a "
        "backtrader file starts with Date (bars) or Datetime (ticks)",
    )


def test_start_after_the_data(shared_data: Path, expect_error: Callable[..., None]) -> None:
    path = shared_data / "backtrader" / "orcl_daily_1995-2014.csv"
    expect_error(
        ["backtest", "sma_cross", "--data", str(path), "--start", "2020-01-01"],
        f"{path}: no data between 2020-01-01 and the end",
    )


def test_bar_strategy_on_quote_file(shared_data: Path, expect_error: Callable[..., None]) -> None:
    """Before: sma_cross ran on quotes without a single trade and exit status 0."""
    path = shared_data / "lean" / "forex" / "eurusd_oanda_minute" / "20140505_quote.zip"
    expect_error(
        ["backtest", "sma_cross", "--data", str(path)],
        "sma_cross needs bars, but 20140505_quote.zip holds quotes",
    )


def test_bar_strategy_on_trade_ticks(shared_data: Path, expect_error: Callable[..., None]) -> None:
    path = shared_data / "backtrader" / "fesx_ticks_2015-09-23.csv"
    expect_error(
        ["backtest", "donchian_breakout", "--data", str(path)],
        "donchian_breakout needs bars, but fesx_ticks_2015-09-23.csv holds trade ticks",
    )


def test_same_file_twice_is_refused(shared_data: Path, expect_error: Callable[..., None]) -> None:
    """Before: every bar was traded twice (two series of one instrument, merged)."""
    path = shared_data / "lean" / "equity" / "spy_minute" / "20131007_trade.zip"
    expect_error(
        ["backtest", "sma_cross", "--data", str(path), "--data", str(path)],
        "20131007_trade.zip and 20131007_trade.zip overlap: both hold SPY.SIM bars at "
        "2013-10-07T08:01:00Z; give each period once (or use FILE@SYMBOL.VENUE)",
    )


# strategy files ----------------------------------------------------------------------------------
def test_missing_strategy_file(tmp_path: Path, expect_error: Callable[..., None]) -> None:
    path = tmp_path / "mine.py"
    expect_error(["backtest", str(path)], f"strategy file not found: {path}")


def test_strategy_file_with_syntax_error(
    write_file: Callable[[str, str], Path], expect_error: Callable[..., None]
) -> None:
    path = write_file("broken.py", "x = (\n")
    expect_error(["backtest", str(path)], f"{path}:1: syntax error: '(' was never closed")


def test_strategy_file_without_strategy(
    write_file: Callable[[str, str], Path], expect_error: Callable[..., None]
) -> None:
    path = write_file("empty_strategy.py", "X = 1\n")
    expect_error(["backtest", str(path)], f"{path}: no Strategy subclass is defined in this file")


# reports -----------------------------------------------------------------------------------------
def test_report_into_missing_folder_fails_before_the_run(
    tmp_path: Path, expect_error: Callable[..., None]
) -> None:
    """Before: the whole backtest ran, then died on an OSError ('[Errno 2] ...')."""
    report = tmp_path / "no" / "such" / "report.json"
    expect_error(
        ["backtest", "sma_cross", "--report", str(report)],
        f"--report {report}: folder {report.parent} does not exist",
    )


@pytest.mark.parametrize(
    "bad",
    [
        ["--param", "fast=0"],
        ["--fee", "bogus"],
        ["--data", "synthetic:1"],
        ["--data", "{tmp}/bad.csv"],
        ["--start", "2100-01-01"],
    ],
    ids=["param", "fee", "synthetic", "csv", "start"],
)
def test_failed_run_leaves_earlier_report_untouched(
    bad: list[str],
    run_cli: Callable[..., Any],
    write_file: Callable[[str, str], Path],
    tmp_path: Path,
) -> None:
    write_file("bad.csv", HEADER + GOOD_ROW + "2020-01-01,1,2,1,1.5,1,5\n")
    report = tmp_path / "report.json"
    first = run_cli("backtest", "sma_cross", "--report", str(report))
    assert first.code == 0
    before = report.read_bytes()
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in bad]
    failed = run_cli("backtest", "sma_cross", *argv, "--report", str(report))
    assert failed.code == 2
    assert failed.err.startswith("tradebench: error: ")
    assert failed.err.count("\n") == 1
    assert report.read_bytes() == before


# a strategy that raises ------------------------------------------------------------------------
RAISING_STRATEGY = '''
from __future__ import annotations

from dataclasses import dataclass, field

from core.enums import OrderSide, OrderType
from core.market import Bar
from core.strategy import Strategy

DATA_KIND = "bars"


@dataclass(frozen=True, kw_only=True)
class BrokenConfig:
    instrument_id: str
    after: int = field(default=50, metadata={"min": 5})


class Broken(Strategy):
    """Buys 10 at bar 3, rests a limit far below at bar after - 1, raises at bar after."""

    def __init__(self, config: BrokenConfig, strategy_id: str = "broken") -> None:
        super().__init__(strategy_id=strategy_id, instrument_ids=(config.instrument_id,))
        self.config = config
        self.count = 0

    def on_bar(self, bar: Bar) -> None:
        self.count += 1
        iid = self.config.instrument_id
        instrument = self.ctx.instrument(iid)
        if self.count == 3:
            self.ctx.submit_order(iid, OrderSide.BUY, instrument.make_qty(10))
        if self.count == self.config.after - 1:
            self.ctx.submit_order(
                iid,
                OrderSide.BUY,
                instrument.make_qty(5),
                order_type=OrderType.LIMIT,
                price=instrument.round_price(bar.close_raw // 2),
            )
        if self.count == self.config.after:
            self.compute()

    def compute(self) -> float:
        return 1 / 0
'''


def test_strategy_that_raises_is_reported_and_its_run_kept(
    run_cli: Callable[..., Any], write_file: Callable[[str, str], Path], tmp_path: Path
) -> None:
    path = write_file("broken_strategy.py", RAISING_STRATEGY)
    report = tmp_path / "report.json"
    result = run_cli(
        "backtest", str(path), "--data", "synthetic:200:3", "--param", "after=50",
        "--report", str(report),
    )  # fmt: skip
    assert result.code == 1
    lines = result.err.splitlines()
    # synthetic daily bars: the first ends 2020-01-02, bar 50 ends 2020-02-20
    assert lines[0] == (
        "tradebench: strategy Broken faulted at 2020-02-20T00:00:00Z and was halted (its orders "
        "canceled, its positions kept): ZeroDivisionError: division by zero"
    )
    assert lines[1] == "Traceback (most recent call last):"
    assert f'File "{path}"' in result.err
    assert "in compute" in result.err
    assert lines[-1] == "ZeroDivisionError: division by zero"
    # the run itself completed: table printed, report written
    assert "Round trips" in result.out
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["faults"] == [
        {
            "strategy": "Broken",
            "time": "2020-02-20T00:00:00Z",
            "error": "ZeroDivisionError: division by zero",
        }
    ]
    # two orders (the market buy, filled; the limit, canceled by the fault), one fill
    assert (data["orders"], data["fills"]) == (2, 1)
    # the position was kept: equity keeps moving with the market after the fault
    after_fault = {e for t, e in data["equity"] if t > "2020-02-20T00:00:00Z"}
    assert len(after_fault) > 10
