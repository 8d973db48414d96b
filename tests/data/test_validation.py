"""Every validation problem, each with a tiny hand-made bad file and its exact message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.data import (
    BarSeries,
    DataValidationError,
    QuoteSeries,
    TradeSeries,
    load_bars,
    load_quotes,
    load_trades,
    validate_bars,
    validate_quotes,
    validate_trades,
)


def _bars_error(path: Path) -> str:
    with pytest.raises(DataValidationError) as caught:
        load_bars(path)
    return str(caught.value)


def test_timestamps_going_backwards(fixtures: Path) -> None:
    assert _bars_error(fixtures / "unsorted_dates.csv") == (
        "unsorted_dates.csv data row 3 (line 4): end time 2020-01-02T00:00:00Z is before the "
        "previous row's 2020-01-04T00:00:00Z"
    )


def test_duplicated_bar_timestamp(fixtures: Path) -> None:
    assert _bars_error(fixtures / "duplicate_dates.csv") == (
        "duplicate_dates.csv data row 3 (line 4): duplicate end time 2020-01-04T00:00:00Z "
        "(same as the previous row)"
    )


def test_high_below_low(fixtures: Path) -> None:
    assert _bars_error(fixtures / "high_below_low.csv") == (
        "high_below_low.csv data row 2 (line 3): high 101.5 < low 102"
    )


def test_open_outside_low_high(fixtures: Path) -> None:
    assert _bars_error(fixtures / "open_outside_range.csv") == (
        "open_outside_range.csv data row 3 (line 4): open 103.25 is outside [low 100, high 102]"
    )


def test_close_outside_low_high(fixtures: Path) -> None:
    assert _bars_error(fixtures / "close_outside_range.csv") == (
        "close_outside_range.csv data row 1 (line 2): close 98.75 is outside [low 99, high 101]"
    )


def test_non_positive_price(fixtures: Path) -> None:
    assert _bars_error(fixtures / "zero_price.csv") == (
        "zero_price.csv data row 2 (line 3): low 0 is not positive"
    )


def test_nan_price(fixtures: Path) -> None:
    assert _bars_error(fixtures / "nan_price.csv") == (
        "nan_price.csv data row 2 (line 3): Close 'NaN' is not a decimal number"
    )


def test_unparseable_date(fixtures: Path) -> None:
    assert _bars_error(fixtures / "bad_date.csv") == (
        "bad_date.csv data row 2 (line 3): Date '2020-02-30' is not a valid date/time "
        "(expected YYYY-MM-DD)"
    )


def test_negative_volume(fixtures: Path) -> None:
    assert _bars_error(fixtures / "negative_volume.csv") == (
        "negative_volume.csv data row 2 (line 3): negative volume -1200"
    )


def test_missing_column(fixtures: Path) -> None:
    assert _bars_error(fixtures / "missing_close.csv") == (
        "missing_close.csv: missing column Close (header: Date,Open,High,Low,Adj Close,Volume)"
    )


def test_empty_file(fixtures: Path) -> None:
    assert _bars_error(fixtures / "empty.csv") == "empty.csv: empty file"


def test_header_without_rows(fixtures: Path) -> None:
    assert _bars_error(fixtures / "header_only.csv") == "header_only.csv: empty file (no data rows)"


def test_row_with_missing_field(fixtures: Path) -> None:
    assert _bars_error(fixtures / "short_row.csv") == (
        "short_row.csv data row 2 (line 3): expected 8 fields, found 7"
    )


def test_crossed_quote(fixtures: Path) -> None:
    with pytest.raises(DataValidationError) as caught:
        load_quotes(fixtures / "20140501_crossed_quote.csv", layout="lean_forex_tick_quote")
    assert str(caught.value) == (
        "20140501_crossed_quote.csv data row 3: crossed quote: bid 1.3869 > ask 1.3868"
    )


def test_tick_timestamps_going_backwards(fixtures: Path) -> None:
    with pytest.raises(DataValidationError) as caught:
        load_trades(fixtures / "ticks_unsorted.csv")
    assert str(caught.value) == (
        "ticks_unsorted.csv data row 2 (line 3): timestamp 2015-09-23T20:57:41.999Z is before "
        "the previous row's 2015-09-23T20:57:42.146Z"
    )


def test_ticks_may_share_a_timestamp(fixtures: Path) -> None:
    trades = load_trades(fixtures / "ticks_shared_timestamp.csv")
    assert len(trades) == 3
    assert trades.ts_event[0] == trades.ts_event[1]
    assert trades.price.tolist() == [3067 * 10**9, 3066 * 10**9, 3066 * 10**9]  # file order kept


def test_tick_row_with_several_prices(fixtures: Path) -> None:
    with pytest.raises(DataValidationError) as caught:
        load_trades(fixtures / "ticks_not_single_price.csv")
    assert str(caught.value) == (
        "ticks_not_single_price.csv data row 1 (line 2): Open/High/Low/Close differ "
        "(3067/3068/3067/3067); a tick row has one price"
    )


def test_unknown_suspicious_flag(fixtures: Path) -> None:
    with pytest.raises(DataValidationError) as caught:
        load_trades(fixtures / "20131007_bad_flag_trade.csv", layout="lean_equity_tick_trade")
    assert (
        str(caught.value)
        == "20131007_bad_flag_trade.csv data row 3: suspicious flag 2 is not 0 or 1"
    )


def test_earliest_problem_wins_across_checks() -> None:
    bars = BarSeries(
        instrument_id="X.SIM",
        period_ns=60,
        ts_event=np.array([1, 2, 3], dtype=np.int64),
        open=np.array([5, 5, 5], dtype=np.int64),
        high=np.array([6, 6, 6], dtype=np.int64),
        low=np.array([4, 7, 4], dtype=np.int64),  # row 2: high < low
        close=np.array([5, 5, 5], dtype=np.int64),
        volume=np.array([1, 1, -1], dtype=np.int64),  # row 3: negative volume, reported later
    )
    with pytest.raises(DataValidationError) as caught:
        validate_bars(bars)
    assert str(caught.value) == "X.SIM bars data row 2: high 0.000000006 < low 0.000000007"
    assert caught.value.row == 2


def test_in_memory_quotes_and_trades_are_checked() -> None:
    quotes = QuoteSeries(
        instrument_id="X.SIM",
        ts_event=np.array([1, 1], dtype=np.int64),
        bid=np.array([10, 0], dtype=np.int64),
        ask=np.array([11, 11], dtype=np.int64),
        bid_size=np.array([1, 1], dtype=np.int64),
        ask_size=np.array([1, 1], dtype=np.int64),
    )
    with pytest.raises(DataValidationError, match=r"^X.SIM quotes data row 2: bid 0 is not"):
        validate_quotes(quotes)
    trades = TradeSeries(
        instrument_id="X.SIM",
        ts_event=np.array([1, 2], dtype=np.int64),
        price=np.array([10, 10], dtype=np.int64),
        size=np.array([1, 1], dtype=np.int64),
        aggressor=np.array([1, 3], dtype=np.int8),
    )
    with pytest.raises(DataValidationError) as caught:
        validate_trades(trades)
    assert str(caught.value) == (
        "X.SIM trades data row 2: aggressor 3 is not 0 (unknown), 1 (buyer) or 2 (seller)"
    )
