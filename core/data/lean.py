"""Readers for Lean (QuantConnect) bar files, and the Lean conventions shared with its tick files.

Every Lean file is a zip holding one headerless CSV (CRLF or LF, no trailing newline needed).
Conventions, per asset class (``LeanMarket``):

- US equity prices are integer deci-cents (price x 10 000: ``973100`` is 97.31); forex and crypto
  prices are plain decimals. Both are converted exactly.
- Time zone of the wall-clock times: America/New_York for US equity, UTC for forex and crypto
  (Lean's market-hours database); ``tz=`` overrides it.
- Daily files (``spy.csv`` inside ``spy.zip``) hold every date, first column ``YYYYMMDD 00:00``.
  Intraday files hold one day; the date is only in the file name (``20131007_trade.zip``, or
  the inner ``20131007_spy_minute_trade.csv``) and the first column is milliseconds since
  midnight.
- Lean labels a bar by its START time. Tradebench bars carry their END time, so a minute bar's
  ``ts_event`` is its start (converted to UTC) plus one minute, and a daily bar dated D ends at
  the midnight starting D+1 in the data time zone (a calendar day, 23 or 25 hours long on
  daylight-saving changes).

Quote-bar files (bid and ask OHLC plus last sizes) become quotes, not bars: each bar gives the
quote in force at its end, ``(bid_close, last_bid_size, ask_close, last_ask_size)`` at the bar's
end time. A mid-price OHLC would be a fiction (the mid's high is not the mean of the highs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from core.data.layouts import ReadRequest
from core.data.series import BarSeries, QuoteSeries
from core.data.text_columns import NumberColumn, parse_datetimes, parse_numbers
from core.data.text_source import TextSource
from core.data.timezones import DAY_NS, local_to_utc_ns
from core.data.validation import DataValidationError, RowLocator, validate_bars, validate_quotes

if TYPE_CHECKING:
    import pyarrow as pa

MINUTE_NS: Final = 60_000_000_000
_MS_PER_DAY: Final = 86_400_000
_FILE_DATE: Final = re.compile(r"(\d{8})_")

_TRADE_BAR_FIELDS: Final = ("time", "open", "high", "low", "close", "volume")
_QUOTE_BAR_FIELDS: Final = (
    "time",
    "bid_open",
    "bid_high",
    "bid_low",
    "bid_close",
    "bid_size",
    "ask_open",
    "ask_high",
    "ask_low",
    "ask_close",
    "ask_size",
)


@dataclass(frozen=True, kw_only=True)
class LeanMarket:
    """How one Lean asset class writes prices and which time zone its times are in."""

    asset: str
    price_exponent: int  # text value x 10**price_exponent = raw price
    tz: str


EQUITY: Final = LeanMarket(asset="equity", price_exponent=5, tz="America/New_York")
FOREX: Final = LeanMarket(asset="forex", price_exponent=9, tz="UTC")
CRYPTO: Final = LeanMarket(asset="crypto", price_exponent=9, tz="UTC")


def read_trade_bars(
    source: TextSource, request: ReadRequest, market: LeanMarket, *, daily: bool
) -> BarSeries:
    table, locator = source.read_columns(
        _TRADE_BAR_FIELDS, header_lines=0, include=_TRADE_BAR_FIELDS
    )
    prices = [
        NumberColumn(name=name, label=name, exponent=market.price_exponent)
        for name in ("open", "high", "low", "close")
    ]
    values = parse_numbers(
        table, [*prices, NumberColumn(name="volume", label="volume", exponent=9)], locator
    )
    tz = request.tz or market.tz
    series = BarSeries(
        instrument_id=request.instrument_id,
        period_ns=DAY_NS if daily else MINUTE_NS,
        ts_event=_bar_end_times(source, table, locator, tz, daily=daily),
        **values,
    )
    validate_bars(series, locator)
    return series


def read_quote_bars(
    source: TextSource, request: ReadRequest, market: LeanMarket, *, daily: bool
) -> QuoteSeries:
    include = ("time", "bid_close", "bid_size", "ask_close", "ask_size")
    table, locator = source.read_columns(_QUOTE_BAR_FIELDS, header_lines=0, include=include)
    values = parse_numbers(
        table,
        [
            NumberColumn(name="bid_close", label="bid_close", exponent=market.price_exponent),
            NumberColumn(name="bid_size", label="last_bid_size", exponent=9),
            NumberColumn(name="ask_close", label="ask_close", exponent=market.price_exponent),
            NumberColumn(name="ask_size", label="last_ask_size", exponent=9),
        ],
        locator,
    )
    tz = request.tz or market.tz
    series = QuoteSeries(
        instrument_id=request.instrument_id,
        ts_event=_bar_end_times(source, table, locator, tz, daily=daily),
        bid=values["bid_close"],
        ask=values["ask_close"],
        bid_size=values["bid_size"],
        ask_size=values["ask_size"],
    )
    validate_quotes(series, locator)
    return series


def intraday_local_ns(
    source: TextSource, table: pa.Table, locator: RowLocator
) -> npt.NDArray[np.int64]:
    """Wall-clock ns of an intraday file's rows: the file-name date plus the ms column."""
    day = file_day(source)
    ms = parse_numbers(
        table, [NumberColumn(name="time", label="milliseconds", exponent=0)], locator
    )["time"]
    outside = (ms < 0) | (ms >= _MS_PER_DAY)
    if outside.any():
        index = int(outside.argmax())
        raise locator.error(index, f"milliseconds {ms[index]} is not within a day")
    local: npt.NDArray[np.int64] = day * DAY_NS + ms * 1_000_000
    return local


def file_day(source: TextSource) -> int:
    """Days since 1970-01-01 of an intraday file's date (``YYYYMMDD_`` in its names)."""
    names = [source.path.name, PurePosixPath(source.member or "").name]
    for name in names:
        match = _FILE_DATE.match(name)
        if match:
            try:
                date = datetime.strptime(match.group(1), "%Y%m%d")
            except ValueError:
                continue
            return (date - datetime(1970, 1, 1)).days
    raise DataValidationError(
        source.name,
        "no YYYYMMDD_ date at the start of the file name; a Lean intraday file takes its date "
        "from it",
    )


def _bar_end_times(
    source: TextSource, table: pa.Table, locator: RowLocator, tz: str, *, daily: bool
) -> npt.NDArray[np.int64]:
    if daily:
        local = parse_datetimes(
            table.column("time"),
            label="time",
            fmt="%Y%m%d %H:%M",
            expected="YYYYMMDD 00:00",
            locator=locator,
        )
        not_midnight = local % DAY_NS != 0
        if not_midnight.any():
            index = int(not_midnight.argmax())
            raise locator.error(
                index,
                "time is not 00:00: only daily bars are supported in this layout "
                "(Lean hour files are not)",
            )
        return local_to_utc_ns(local + DAY_NS, tz)
    start = local_to_utc_ns(intraday_local_ns(source, table, locator), tz)
    return start + MINUTE_NS
