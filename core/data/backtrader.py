"""Readers for backtrader's CSV layouts (the sample files of ``mementum/backtrader`` ``datas/``).

The files carry no time zone: their wall-clock times are read in ``tz`` (default UTC, because
nothing in the file says otherwise; pass the exchange's zone, e.g. ``Europe/Berlin`` for the
STOXX/FESX files, to get true UTC instants). Prices and volumes are decimal text converted
exactly (at most 9 decimals).

- ``backtrader_daily``: columns found by header name (case-insensitive): Date, Open, High, Low,
  Close, Volume. ``Adj Close`` (Yahoo's dividend-adjusted close) and OpenInterest are ignored,
  because mixing an adjusted close with raw open/high/low would corrupt every bar. A daily bar
  dated D ends at midnight starting D+1 in ``tz``: ``ts_event`` is that instant.
- ``backtrader_intraday``: Date, Time, Open, High, Low, Close, Volume, OpenInterest, read by
  position. The header line is skipped unread, because the FESX 1-minute file's header names
  only 7 of the 8 fields. Bars are labelled by their end time, so ``ts_event`` is Date + Time.
  ``period_ns`` is the most common step between consecutive bars of one day (pass it when a
  file has fewer than two bars on every day).
- ``backtrader_ticks``: Datetime (ISO-8601, optional fractional seconds), Open, High, Low,
  Close, Volume, OpenInterest by header name; each row is one trade with O = H = L = C = price
  and Volume = size. Rows sharing a timestamp are legal and keep their file order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from core.data.display import format_fixed
from core.data.layouts import ReadRequest
from core.data.series import BarSeries, TradeSeries
from core.data.text_columns import NumberColumn, parse_datetimes, parse_numbers
from core.data.text_source import TextSource
from core.data.timezones import DAY_NS, local_to_utc_ns
from core.data.validation import DataValidationError, RowLocator, validate_bars, validate_trades

DEFAULT_TZ: Final = "UTC"

_OHLCV: Final = ("open", "high", "low", "close", "volume")
_INTRADAY_FIELDS: Final = ("date", "time", "open", "high", "low", "close", "volume", "oi")


def read_backtrader_daily(source: TextSource, request: ReadRequest) -> BarSeries:
    wanted = ("date", *_OHLCV)
    table, locator = source.read_columns(
        _header_names(source, wanted), header_lines=1, include=wanted
    )
    dates = parse_datetimes(
        table.column("date"), label="Date", fmt="%Y-%m-%d", expected="YYYY-MM-DD", locator=locator
    )
    values = parse_numbers(table, _ohlcv_columns(), locator)
    series = BarSeries(
        instrument_id=request.instrument_id,
        period_ns=DAY_NS,
        ts_event=local_to_utc_ns(dates + DAY_NS, request.tz or DEFAULT_TZ),
        **values,
    )
    validate_bars(series, locator)
    return series


def read_backtrader_intraday(source: TextSource, request: ReadRequest) -> BarSeries:
    header = _header(source)
    if header[0] != "date":
        raise DataValidationError(
            source.name, f"expected a header line starting with Date, found {header[0]!r}", line=1
        )
    import pyarrow.compute as pc

    table, locator = source.read_columns(_INTRADAY_FIELDS, header_lines=1, include=_INTRADAY_FIELDS)
    stamps = pc.binary_join_element_wise(table.column("date"), table.column("time"), " ")
    local = parse_datetimes(
        stamps,
        label="Date/Time",
        fmt="%Y-%m-%d %H:%M:%S",
        expected="YYYY-MM-DD,HH:MM:SS",
        locator=locator,
    )
    values = parse_numbers(table, _ohlcv_columns(), locator)
    period_ns = request.period_ns or _infer_period_ns(local, source.name)
    series = BarSeries(
        instrument_id=request.instrument_id,
        period_ns=period_ns,
        ts_event=local_to_utc_ns(local, request.tz or DEFAULT_TZ),
        **values,
    )
    validate_bars(series, locator)
    return series


def read_backtrader_ticks(source: TextSource, request: ReadRequest) -> TradeSeries:
    wanted = ("datetime", *_OHLCV)
    table, locator = source.read_columns(
        _header_names(source, wanted), header_lines=1, include=wanted
    )
    local = parse_datetimes(
        table.column("datetime"),
        label="Datetime",
        fmt="%Y-%m-%dT%H:%M:%S",
        expected="YYYY-MM-DDTHH:MM:SS[.fff]",
        locator=locator,
        fraction=True,
    )
    values = parse_numbers(table, _ohlcv_columns(), locator)
    _check_single_price(values, locator)
    series = TradeSeries(
        instrument_id=request.instrument_id,
        ts_event=local_to_utc_ns(local, request.tz or DEFAULT_TZ),
        price=values["close"],
        size=values["volume"],
        aggressor=np.zeros(len(local), dtype=np.int8),
    )
    validate_trades(series, locator)
    return series


def _header(source: TextSource) -> list[str]:
    lines = source.head_lines(1)
    if not lines:
        raise DataValidationError(source.name, "empty file")
    return [field.strip().lower() for field in lines[0].split(",")]


def _header_names(source: TextSource, wanted: Sequence[str]) -> list[str]:
    """One name per header field: the ``wanted`` (lower-case) names where they are found."""
    header = _header(source)
    missing = [name for name in wanted if name not in header]
    if missing:
        shown = ", ".join(name.title() for name in missing)
        raise DataValidationError(
            source.name,
            f"missing column {shown} (header: {source.head_lines(1)[0].strip()})",
        )
    return [name if name in wanted else f"unused{i}" for i, name in enumerate(header)]


def _ohlcv_columns() -> list[NumberColumn]:
    return [NumberColumn(name=name, label=name.title(), exponent=9) for name in _OHLCV]


def _infer_period_ns(local_ns: npt.NDArray[np.int64], source: str) -> int:
    # sorted first: rows out of order must reach validation, which names the offending row
    ordered = np.sort(local_ns)
    same_day = (ordered[1:] // DAY_NS) == (ordered[:-1] // DAY_NS)
    steps = np.diff(ordered)[same_day]
    steps = steps[steps > 0]
    if len(steps) == 0:
        raise DataValidationError(
            source, "cannot infer the bar period (no day has two bars); pass period_ns="
        )
    values, counts = np.unique(steps, return_counts=True)
    return int(values[counts.argmax()])


def _check_single_price(values: dict[str, npt.NDArray[np.int64]], locator: RowLocator) -> None:
    o, h, low, c = values["open"], values["high"], values["low"], values["close"]
    differ = (o != c) | (h != c) | (low != c)
    if differ.any():
        i = int(differ.argmax())
        prices = "/".join(format_fixed(int(column[i])) for column in (o, h, low, c))
        raise locator.error(i, f"Open/High/Low/Close differ ({prices}); a tick row has one price")
