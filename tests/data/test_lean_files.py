"""The Lean sample files, checked against the facts in the shared data README (section 2)."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from core.data import (
    BarSeries,
    DataValidationError,
    QuoteSeries,
    adjust_bars,
    load_bars,
    load_factor_file,
    load_quotes,
    load_trades,
)
from core.data.layouts import detect_layout
from core.data.text_source import open_text_source
from core.values import SCALE

NEW_YORK = ZoneInfo("America/New_York")
MINUTE_NS = 60 * 10**9
CENT = SCALE // 100
SPY_DAYS = ["20131004", "20131007", "20131008", "20131009", "20131010", "20131011"]


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * 10**9 + moment.microsecond * 1000


def _ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return _ns(datetime(year, month, day, hour, minute, second, tzinfo=NEW_YORK))


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return _ns(datetime(year, month, day, hour, minute, tzinfo=UTC))


def _ny_date(ts_ns: int) -> str:
    """Calendar date in New York of the instant just before ``ts_ns`` (a bar's date)."""
    moment = datetime.fromtimestamp((ts_ns - 1) // 10**9, NEW_YORK)
    return moment.date().isoformat()


def _day_bar(daily: BarSeries, date: str) -> int:
    return [_ny_date(int(ts)) for ts in daily.ts_event].index(date)


@pytest.fixture(scope="module")
def spy_daily(shared_data: Path) -> BarSeries:
    return load_bars(shared_data / "lean" / "equity" / "spy_daily_1998-2021.zip")


def test_layout_detection(shared_data: Path) -> None:
    expected = {
        "equity/spy_daily_1998-2021.zip": "lean_equity_daily_trade",
        "equity/spy_minute/20131007_trade.zip": "lean_equity_minute_trade",
        "equity/spy_minute/20131007_quote.zip": "lean_equity_minute_quote",
        "equity/spy_tick/20131007_trade.zip": "lean_equity_tick_trade",
        "equity/ibm_tick/20131007_trade.zip": "lean_equity_tick_trade",
        "equity/ibm_tick/20131007_quote.zip": "lean_equity_tick_quote",
        "forex/eurusd_oanda_daily_2007-2018_bidask.zip": "lean_forex_daily_quote",
        "forex/eurusd_oanda_minute/20140501_quote.zip": "lean_forex_minute_quote",
        "forex/eurusd_oanda_tick/20140501_quote.zip": "lean_forex_tick_quote",
        "crypto/btcusd_coinbase_minute/20170903_trade.zip": "lean_crypto_minute_trade",
        "crypto/btcusd_coinbase_minute/20170903_quote.zip": "lean_crypto_minute_quote",
    }
    found = {
        name: detect_layout(open_text_source(shared_data / "lean" / name)) for name in expected
    }
    assert found == expected


def test_spy_daily(spy_daily: BarSeries) -> None:
    assert spy_daily.instrument_id == "SPY.SIM"
    assert len(spy_daily) == 5849
    assert spy_daily.open[0] == 97_310_000_000  # 973100 deci-cents
    assert spy_daily.ts_event[0] == _ny(1998, 1, 3)  # ends at the New York midnight after 01-02
    assert _ny_date(int(spy_daily.ts_event[-1])) == "2021-03-31"
    assert (spy_daily.volume > 0).all()
    prices = np.concatenate([spy_daily.open, spy_daily.high, spy_daily.low, spy_daily.close])
    assert 393_029_900_000 in prices  # 3930299 is 393.0299
    sub_penny = np.zeros(len(spy_daily), dtype=bool)
    for column in (spy_daily.open, spy_daily.high, spy_daily.low, spy_daily.close):
        sub_penny |= column % CENT != 0
    assert int(sub_penny.sum()) == 43


def test_spy_minute_rows_per_day(shared_data: Path) -> None:
    folder = shared_data / "lean" / "equity" / "spy_minute"
    trade_rows = [len(load_bars(folder / f"{day}_trade.zip")) for day in SPY_DAYS]
    quote_rows = [len(load_quotes(folder / f"{day}_quote.zip")) for day in SPY_DAYS]
    assert trade_rows == [711, 828, 828, 813, 883, 776]
    assert quote_rows == [855, 908, 910, 902, 941, 896]


def test_minute_bars_are_end_labelled(shared_data: Path) -> None:
    bars = load_bars(shared_data / "lean" / "equity" / "spy_minute" / "20131007_trade.zip")
    # First row: 14400000 ms = the 04:00 New York bar, which ends at 04:01.
    assert bars.ts_event[0] == _ny(2013, 10, 7, 4, 1)
    assert bars.open[0] == 167_410_000_000 and bars.volume[0] == 3197 * SCALE
    assert bars.period_ns == MINUTE_NS


def test_minute_files_load_as_one_series_in_time_order(shared_data: Path) -> None:
    folder = shared_data / "lean" / "equity" / "spy_minute"
    paths = [folder / f"{day}_trade.zip" for day in reversed(SPY_DAYS)]
    bars = load_bars(paths)
    assert len(bars) == 711 + 828 + 828 + 813 + 883 + 776
    assert (np.diff(bars.ts_event) > 0).all()
    with pytest.raises(DataValidationError, match=r"the files overlap") as caught:
        load_bars([paths[0], folder / "20131007_trade.zip", folder / "20131007_trade.zip"])
    assert str(caught.value) == (
        "20131007_trade.zip: starts at 2013-10-07T08:01:00Z, at or before the end of "
        "20131007_trade.zip (2013-10-08T00:00:00Z); the files overlap"
    )


def test_regular_session_aggregates_to_the_daily_bar(
    shared_data: Path, spy_daily: BarSeries
) -> None:
    folder = shared_data / "lean" / "equity" / "spy_minute"
    minutes = load_bars([folder / f"{day}_trade.zip" for day in SPY_DAYS])
    mismatches = []
    for day in SPY_DAYS:
        year, month, date = int(day[:4]), int(day[4:6]), int(day[6:])
        # Regular-session bars start 09:30..15:59, so they end in (09:30, 16:00].
        session = minutes.slice_time(_ny(year, month, date, 9, 31), _ny(year, month, date, 16, 1))
        assert len(session) == 390
        i = _day_bar(spy_daily, f"{day[:4]}-{day[4:6]}-{day[6:]}")
        aggregate = {
            "open": session.open[0],
            "high": session.high.max(),
            "low": session.low.min(),
            "close": session.close[-1],
            "volume": session.volume.sum(),
        }
        for name, value in aggregate.items():
            if value != getattr(spy_daily, name)[i]:
                mismatches.append((day, name, int(value), int(getattr(spy_daily, name)[i])))
    # The README's one exception: 2013-10-08's daily low is 165.37, the minute low 165.36.
    assert mismatches == [("20131008", "low", 165_360_000_000, 165_370_000_000)]


def test_aapl_splits_disappear_with_the_factor_file(shared_data: Path) -> None:
    raw = load_bars(shared_data / "lean" / "equity" / "aapl_daily_1998-2021_unadjusted.zip")
    factors = load_factor_file(shared_data / "lean" / "equity" / "aapl_factor_file.csv")
    assert len(factors) == 41
    adjusted = adjust_bars(raw, factors)
    dates = [_ny_date(int(ts)) for ts in raw.ts_event]

    def move(bars: BarSeries, date: str) -> float:
        i = dates.index(date)
        return float(bars.close[i] / bars.close[i - 1] - 1)

    splits = {"2000-06-21": 2, "2005-02-28": 2, "2014-06-09": 7, "2020-08-31": 4}
    for date, ratio in splits.items():
        assert move(raw, date) < 1 / ratio - 0.05  # the raw series shows the split as a crash
        assert abs(move(adjusted, date)) < 0.15  # 2000-06-21 really rose 10 %
    assert move(raw, "2014-06-09") == pytest.approx(-0.855, abs=0.001)
    assert move(adjusted, "2000-09-29") == pytest.approx(-0.516, abs=0.001)  # a real crash stays
    # The latest bars are after every factor row but the sentinel: only a tiny dividend factor.
    assert adjusted.close[-1] == raw.close[-1]
    # 1998-01-02: 16.25 x 0.8613657 x 0.00892857, and volume x 112 (the product of the splits).
    assert adjusted.close[0] == round(16.25 * 0.8613657 * 0.00892857 * SCALE)
    assert adjusted.volume[0] == pytest.approx(raw.volume[0] / 0.00892857, rel=1e-12)


def test_spy_factor_file(shared_data: Path, spy_daily: BarSeries) -> None:
    factors = load_factor_file(shared_data / "lean" / "equity" / "spy_factor_file.csv")
    assert len(factors) == 96
    assert factors.days[-1] == (datetime(2050, 12, 31) - datetime(1970, 1, 1)).days  # sentinel
    adjusted = adjust_bars(spy_daily, factors)
    assert (adjusted.close <= spy_daily.close).all()  # dividends only lower past prices
    assert (adjusted.volume == spy_daily.volume).all()  # no split


@pytest.mark.parametrize(
    ("day", "rows", "kept"),
    [
        ("20131007", 250_601, 250_601),
        ("20131008", 451_545, 451_545),
        ("20131009", 439_677, 439_677),
        ("20131010", 460_032, 460_022),  # 10 suspicious after-hours prints dropped
        ("20131011", 285_605, 285_605),
    ],
)
def test_spy_trade_ticks(shared_data: Path, day: str, rows: int, kept: int) -> None:
    path = shared_data / "lean" / "equity" / "spy_tick" / f"{day}_trade.zip"
    trades = load_trades(path)
    assert len(trades) == kept
    assert len(load_trades(path, keep_suspicious=True)) == rows
    shared = np.zeros(len(trades), dtype=bool)
    same = np.diff(trades.ts_event) == 0
    shared[1:] |= same
    shared[:-1] |= same
    assert shared.mean() > 0.5  # more than half share a millisecond; file order is kept
    assert (trades.ts_event % 1_000_000 == 0).all()


def test_suspicious_prints_are_large_after_hours_prints(shared_data: Path) -> None:
    path = shared_data / "lean" / "equity" / "spy_tick" / "20131010_trade.zip"
    after_hours = _ny(2013, 10, 10, 16, 0)
    everything = load_trades(path, keep_suspicious=True).slice_time(after_hours, None)
    kept = load_trades(path).slice_time(after_hours, None)
    prints = set(
        zip(
            everything.ts_event.tolist(),
            everything.price.tolist(),
            everything.size.tolist(),
            strict=True,
        )
    )
    prints -= set(zip(kept.ts_event.tolist(), kept.price.tolist(), kept.size.tolist(), strict=True))
    assert len(prints) == 10
    assert {price for _, price, _ in prints} == {165_590_000_000}  # the market was near 169
    assert min(size for _, _, size in prints) >= 250_000 * SCALE


def test_ibm_trade_ticks(shared_data: Path) -> None:
    folder = shared_data / "lean" / "equity" / "ibm_tick"
    days = ["20131007", "20131008", "20131009", "20131010", "20131011"]
    rows = [len(load_trades(folder / f"{day}_trade.zip")) for day in days]
    assert rows == [24_293, 33_381, 27_042, 22_415, 19_264]
    late = load_trades(folder / "20131008_trade.zip")
    assert late.ts_event[0] == _ny(2013, 10, 8, 8, 47, 49) + 457_000_000


def _reference_book(path: Path) -> tuple[list[tuple[int, int, int, int, int]], int]:
    """Straightforward per-row replay of a Lean equity quote file, for comparison.

    Returns the emitted (ts, bid, ask, bid_size, ask_size) quotes and the number of crossed
    states dropped.
    """
    with zipfile.ZipFile(path) as archive:
        text = archive.read(archive.namelist()[0]).decode()
    rows = [line.split(",") for line in text.splitlines()]
    kept = [row for row in rows if row[7] == "0"]
    day = datetime.strptime(path.name[:8], "%Y%m%d").replace(tzinfo=NEW_YORK)
    midnight_ns = _ns(day)
    bid: tuple[int, int] | None = None
    ask: tuple[int, int] | None = None
    quotes = []
    crossed = 0
    for i, row in enumerate(kept):
        if int(row[1]) > 0:
            bid = (int(row[1]) * 10**5, int(row[2]) * SCALE)
        if int(row[3]) > 0:
            ask = (int(row[3]) * 10**5, int(row[4]) * SCALE)
        last_of_ms = i + 1 == len(kept) or kept[i + 1][0] != row[0]
        if last_of_ms and bid is not None and ask is not None:
            if bid[0] > ask[0]:
                crossed += 1
                continue
            ts = midnight_ns + int(row[0]) * 1_000_000
            quotes.append((ts, bid[0], ask[0], bid[1], ask[1]))
    return quotes, crossed


@pytest.mark.parametrize("day", ["20131007", "20131010"])
def test_ibm_consolidated_quotes_match_a_row_by_row_replay(shared_data: Path, day: str) -> None:
    path = shared_data / "lean" / "equity" / "ibm_tick" / f"{day}_quote.zip"
    quotes = load_quotes(path)
    expected, crossed = _reference_book(path)
    got = list(
        zip(
            quotes.ts_event.tolist(),
            quotes.bid.tolist(),
            quotes.ask.tolist(),
            quotes.bid_size.tolist(),
            quotes.ask_size.tolist(),
            strict=True,
        )
    )
    assert got == expected
    assert 0 < crossed < 30  # a handful of crossed consolidated states are dropped per day


def test_ibm_book_never_crossed_but_sometimes_locked(shared_data: Path) -> None:
    folder = shared_data / "lean" / "equity" / "ibm_tick"
    days = ["20131007", "20131008", "20131009", "20131010", "20131011"]
    books = [load_quotes(folder / f"{day}_quote.zip") for day in days]
    for book in books:
        assert (book.bid <= book.ask).all()
        assert (book.bid == book.ask).any()
        assert (book.bid_size > 0).all() and (book.ask_size > 0).all()


def test_ibm_quote_rows_are_one_sided_bid_ask_pairs(shared_data: Path) -> None:
    """Why the book is built from the latest rows, not per exchange (see core.data.lean_ticks)."""
    path = shared_data / "lean" / "equity" / "ibm_tick" / "20131007_quote.zip"
    with zipfile.ZipFile(path) as archive:
        rows = [line.split(",") for line in archive.read(archive.namelist()[0]).decode().split()]
    is_bid = np.array([int(row[1]) > 0 for row in rows])
    is_ask = np.array([int(row[3]) > 0 for row in rows])
    assert (is_bid ^ is_ask).all()  # one-sided
    # After one leading ask, rows come in (bid, ask) pairs sharing a millisecond.
    assert (is_bid[1::2]).all() and (is_ask[2::2]).all()
    assert all(rows[i][0] == rows[i + 1][0] for i in range(1, len(rows) - 1, 2))


def test_forex_daily_quotes(shared_data: Path) -> None:
    quotes = load_quotes(shared_data / "lean" / "forex" / "eurusd_oanda_daily_2007-2018_bidask.zip")
    assert len(quotes) == 3738
    assert quotes.ts_event[0] == _utc(2007, 1, 2)  # the 2007-01-01 bar's close
    assert quotes.bid[0] == 1_320_950_000 and quotes.ask[0] == 1_321_950_000
    assert (quotes.bid_size == 0).all() and (quotes.ask_size == 0).all()
    weekdays = [
        (datetime(1970, 1, 1) + timedelta(days=int(d))).weekday()
        for d in (quotes.ts_event - 1) // (86_400 * 10**9)
    ]
    assert weekdays.count(6) == 620 and weekdays.count(5) == 0  # Sundays, never Saturdays
    spread_pips = (quotes.ask - quotes.bid) / 100_000
    assert spread_pips.min() >= 0.8 and spread_pips.max() <= 20
    assert np.median(spread_pips) == pytest.approx(1.5)


def test_forex_minute_quotes(shared_data: Path) -> None:
    folder = shared_data / "lean" / "forex" / "eurusd_oanda_minute"
    days = ["20140501", "20140502", "20140504", "20140505"]
    days += ["20140506", "20140507", "20140508", "20140509"]
    rows = [len(load_quotes(folder / f"{day}_quote.zip")) for day in days]
    assert rows == [1363, 1222, 157, 1350, 1389, 1406, 1419, 1246]
    friday = load_quotes(folder / "20140502_quote.zip")
    sunday = load_quotes(folder / "20140504_quote.zip")
    assert friday.ts_event[-1] == _utc(2014, 5, 2, 21, 0)  # the 20:59 bar ends at 21:00
    assert sunday.ts_event[0] == _utc(2014, 5, 4, 21, 1)  # the 21:00 bar ends at 21:01
    week = load_quotes([folder / f"{day}_quote.zip" for day in days])
    assert len(week) == sum(rows)


def test_forex_quote_ticks(shared_data: Path) -> None:
    folder = shared_data / "lean" / "forex" / "eurusd_oanda_tick"
    days = ["20140501", "20140502", "20140504", "20140505"]
    days += ["20140506", "20140507", "20140508", "20140509"]
    books = [load_quotes(folder / f"{day}_quote.zip") for day in days]
    rows = [len(book) for book in books]
    assert rows == [24_179, 49_341, 1164, 25_177, 44_864, 41_367, 87_833, 47_634]
    for book in books:
        assert (book.bid < book.ask).all()  # neither crossed nor locked
        duplicates = int((np.diff(book.ts_event) == 0).sum())
        assert 13 <= duplicates <= 1562
    first = books[0]
    assert first.ts_event[0] == _utc(2014, 5, 1) + 292_000_000
    assert (first.bid[0], first.ask[0]) == (1_386_760_000, 1_386_860_000)


def test_crypto_minute_bars_and_quotes(shared_data: Path) -> None:
    folder = shared_data / "lean" / "crypto" / "btcusd_coinbase_minute"
    bars = load_bars([folder / "20170903_trade.zip", folder / "20170904_trade.zip"])
    assert bars.instrument_id == "BTCUSD.SIM"
    assert len(bars) == 2 * 1440
    assert bars.close[0] == 4_652_690_000_000  # 4652.69, exact
    assert bars.volume[0] == 6_634_878_030  # 6.63487803 BTC, exact
    assert bars.ts_event[0] == _utc(2017, 9, 3, 0, 1)
    for day in ("20170903", "20170904"):
        quotes: QuoteSeries = load_quotes(folder / f"{day}_quote.zip")
        assert len(quotes) == 1438
        last_start = datetime.fromtimestamp(int(quotes.ts_event[-1]) // 10**9 - 60, UTC)
        assert last_start.strftime("%H:%M") == "23:58"
    # Sizes written with binary-float noise are rounded half to even at 1e-9.
    noisy = load_quotes(folder / "20170903_quote.zip")
    assert noisy.ask_size[3] == 9_342_381_490  # '9.342381490000001' in the file


def test_quote_bar_file_is_not_bars(shared_data: Path) -> None:
    path = shared_data / "lean" / "equity" / "spy_minute" / "20131007_quote.zip"
    with pytest.raises(ValueError, match=r"lean_equity_minute_quote, which holds quotes"):
        load_bars(path)
