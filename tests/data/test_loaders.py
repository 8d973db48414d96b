"""Loader behaviour on hand-made files: the consolidated book, Lean specifics, layout handling."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from core.data import (
    LAYOUTS,
    BarSeries,
    DataValidationError,
    QuoteSeries,
    TradeSeries,
    load_bars,
    load_quotes,
    load_series,
    load_trades,
)
from core.values import SCALE

# 2013-10-07 04:00 New York (EDT) is 08:00 UTC; 14_400_000 ms after midnight.
MIDNIGHT_NY_NS = 1_381_118_400 * 10**9


def _ms(ms: int) -> int:
    return MIDNIGHT_NY_NS + ms * 1_000_000


def _price(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * SCALE + int(frac.ljust(9, "0"))


def _lean_zip(folder: Path, name: str, member: str, text: str) -> Path:
    path = folder / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, text)
    return path


def test_consolidated_book_from_one_sided_rows(fixtures: Path) -> None:
    path = fixtures / "20131007_book_quote.csv"
    book = load_quotes(path, layout="lean_equity_tick_quote", instrument_id="IBM.SIM")
    # One quote per millisecond once both sides are known; crossed states dropped; locked kept.
    assert book.ts_event.tolist() == [_ms(ms) for ms in (14400001, 14400002, 14400003)] + [
        _ms(14400005),
        _ms(14400007),
    ]
    assert book.bid.tolist() == [_price(p) for p in ("99", "100.2", "100.3", "100", "100")]
    assert book.ask.tolist() == [_price(p) for p in ("100.1", "100.3", "100.3", "100.3", "100.1")]
    assert book.bid_size.tolist() == [n * SCALE for n in (200, 100, 100, 500, 500)]
    assert book.ask_size.tolist() == [n * SCALE for n in (300, 100, 100, 100, 100)]


def test_suspicious_quote_rows_can_be_kept(fixtures: Path) -> None:
    path = fixtures / "20131007_book_quote.csv"
    book = load_quotes(path, layout="lean_equity_tick_quote", keep_suspicious=True)
    # The suspicious ask at 99 crosses the book until a new ask replaces it at 14400007.
    assert book.ts_event.tolist() == [_ms(ms) for ms in (14400001, 14400002, 14400003, 14400007)]


def test_lean_intraday_file_needs_a_dated_name(tmp_path: Path) -> None:
    path = _lean_zip(tmp_path, "trade.zip", "spy_minute_trade.csv", "0,1,1,1,1,1")
    with pytest.raises(DataValidationError) as caught:
        load_bars(path, layout="lean_equity_minute_trade", instrument_id="SPY.SIM")
    assert str(caught.value) == (
        "trade.zip:spy_minute_trade.csv: no YYYYMMDD_ date at the start of the file name; "
        "a Lean intraday file takes its date from it"
    )


def test_lean_milliseconds_beyond_the_day(tmp_path: Path) -> None:
    text = "0,1000000,1000000,1000000,1000000,5\r\n86400000,1000000,1000000,1000000,1000000,5"
    path = _lean_zip(tmp_path, "20131007_trade.zip", "20131007_spy_minute_trade.csv", text)
    with pytest.raises(DataValidationError) as caught:
        load_bars(path, layout="lean_equity_minute_trade")
    assert str(caught.value) == (
        "20131007_trade.zip:20131007_spy_minute_trade.csv data row 2: "
        "milliseconds 86400000 is not within a day"
    )


def test_lean_hourly_rows_are_refused(tmp_path: Path) -> None:
    text = "20131007 00:00,1000000,1000000,1000000,1000000,5\n20131007 10:00,1,1,1,1,5"
    path = _lean_zip(tmp_path, "spy.zip", "spy.csv", text)
    with pytest.raises(DataValidationError) as caught:
        load_bars(path, layout="lean_equity_daily_trade")
    assert str(caught.value) == (
        "spy.zip:spy.csv data row 2: time is not 00:00: only daily bars are supported in this "
        "layout (Lean hour files are not)"
    )


def test_lean_daily_bar_ends_at_next_midnight_across_dst(tmp_path: Path) -> None:
    # 2013-03-10 (New York springs forward) is a 23-hour day.
    text = "20130308 00:00,1000000,1000000,1000000,1000000,5\n" + (
        "20130310 00:00,1000000,1000000,1000000,1000000,5"
    )
    (tmp_path / "equity").mkdir()
    bars = load_bars(_lean_zip(tmp_path / "equity", "spy.zip", "spy.csv", text))
    # 2013-03-09 00:00 EST = 05:00 UTC; 2013-03-11 00:00 EDT = 04:00 UTC.
    assert bars.ts_event.tolist() == [1_362_805_200 * 10**9, 1_362_974_400 * 10**9]
    assert bars.close[0] == 100 * SCALE  # deci-cents, found from the "equity" folder


def test_zip_must_hold_one_file(tmp_path: Path) -> None:
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "1")
        archive.writestr("b.csv", "2")
    with pytest.raises(DataValidationError) as caught:
        load_bars(path)
    assert (
        str(caught.value)
        == "two.zip: a zip must hold exactly one CSV file, this one holds a.csv, b.csv"
    )


def test_unknown_and_mismatched_layouts(fixtures: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown layout 'csv'; known: backtrader_daily"):
        load_bars(fixtures / "high_below_low.csv", layout="csv")
    with pytest.raises(
        ValueError, match=r"high_below_low.csv is backtrader_daily, which holds bars"
    ):
        load_trades(fixtures / "high_below_low.csv")
    assert set(LAYOUTS.values()) == {"bars", "quotes", "trades", "any"}


def test_undetectable_layout(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("when,price\n1,2\n")
    with pytest.raises(DataValidationError) as caught:
        load_bars(path)
    assert str(caught.value) == (
        "prices.csv line 1: cannot detect the layout from the header 'when,price': a "
        "backtrader file starts with Date (bars) or Datetime (ticks)"
    )


def test_instrument_id_needs_a_symbol_in_the_name(tmp_path: Path) -> None:
    path = tmp_path / "2006-day-001.txt"
    path.write_text("Date,Open,High,Low,Close,Volume,OpenInterest\n2006-01-02,1,1,1,1,0,0\n")
    with pytest.raises(ValueError, match=r"cannot derive an instrument id from the name"):
        load_bars(path)
    assert load_bars(path, instrument_id="SX5E.STOXX").instrument_id == "SX5E.STOXX"


def test_load_series_returns_the_file_kind(fixtures: Path) -> None:
    assert isinstance(load_series(fixtures / "ticks_shared_timestamp.csv"), TradeSeries)
    book = load_series(fixtures / "20131007_book_quote.csv", layout="lean_equity_tick_quote")
    assert isinstance(book, QuoteSeries)
    with pytest.raises(DataValidationError, match=r"high 101.5 < low 102"):
        load_series(fixtures / "high_below_low.csv")


def test_blank_line_inside_a_file_is_located(tmp_path: Path) -> None:
    path = tmp_path / "gappy.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Volume\n2020-01-02,1,1,1,1,1\n\n2020-01-03,1,1,1,1,1\n\n\n"
    )
    with pytest.raises(DataValidationError) as caught:
        load_bars(path)
    assert str(caught.value) == "gappy.csv data row 2 (line 3): Date is empty"


def test_windows_line_endings_and_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "abc.csv"
    path.write_bytes(
        b"\xef\xbb\xbfDate,Open,High,Low,Close,Volume\r\n2020-01-02,1.5,2,1,1.25,10\r\n"
    )
    bars = load_bars(path)
    assert isinstance(bars, BarSeries)
    assert (bars.open[0], bars.close[0], bars.volume[0]) == (
        1_500_000_000,
        1_250_000_000,
        10 * SCALE,
    )
