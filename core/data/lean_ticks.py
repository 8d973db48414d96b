"""Readers for Lean tick files: US-equity trades and quotes, forex quotes.

Times are the file-name date plus milliseconds since midnight (see ``core.data.lean``); rows
sharing a millisecond are legal and keep their file order.

**Equity trades** (``ms,price,size,exchange,sale_condition,suspicious``): prices in deci-cents,
sizes in shares. Exchange and the hexadecimal sale-condition flags are not read. Rows flagged
``suspicious`` (Lean leaves them out of its bars; on 2013-10-10 they are large after-hours
prints far from the market) are dropped unless ``keep_suspicious``. The aggressor is unknown.

**Equity quotes** (``ms,bid,bid_size,ask,ask_size,exchange,condition,suspicious``): every row
is one-sided, a bid (ask fields 0) or an ask (bid fields 0). In the AlgoSeek files the rows come
in bid/ask pairs sharing a millisecond, each side naming the exchange that holds the best price,
i.e. a consolidated best quote written one side at a time. The book is therefore built as Lean
builds it: the latest bid row gives the bid, the latest ask row the ask, whatever the exchange.
(Keeping a separate latest quote per exchange and taking the best of them leaves stale quotes
in force and crosses the book almost all day.) One quote is emitted per distinct millisecond,
the state after that millisecond's last row, from the first millisecond at which both sides
are known. States where the consolidated bid exceeds the ask (a handful per day, e.g. a venue
slow to update) are dropped, leaving the previous quote in force: a crossed book cannot be
traded and would hand a simulator free money. Locked quotes (bid = ask) are kept.

**Forex quotes** (``ms,bid,ask``): decimal prices, no sizes (sizes are 0).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from core.data.display import format_fixed
from core.data.layouts import ReadRequest
from core.data.lean import EQUITY, FOREX, intraday_local_ns
from core.data.series import QuoteSeries, TradeSeries
from core.data.text_columns import NumberColumn, parse_numbers
from core.data.text_source import TextSource
from core.data.timezones import local_to_utc_ns
from core.data.validation import RowLocator, validate_quotes, validate_trades

_TRADE_FIELDS: Final = ("time", "price", "size", "exchange", "sale_condition", "suspicious")
_QUOTE_FIELDS: Final = (
    "time",
    "bid",
    "bid_size",
    "ask",
    "ask_size",
    "exchange",
    "condition",
    "suspicious",
)
_SUSPICIOUS: Final = NumberColumn(name="suspicious", label="suspicious", exponent=0)


def read_equity_trade_ticks(source: TextSource, request: ReadRequest) -> TradeSeries:
    include = ("time", "price", "size", "suspicious")
    table, locator = source.read_columns(_TRADE_FIELDS, header_lines=0, include=include)
    values = parse_numbers(
        table,
        [
            NumberColumn(name="price", label="price", exponent=EQUITY.price_exponent),
            NumberColumn(name="size", label="size", exponent=9),
            _SUSPICIOUS,
        ],
        locator,
    )
    ts = local_to_utc_ns(intraday_local_ns(source, table, locator), request.tz or EQUITY.tz)
    kept = _kept_rows(values["suspicious"], locator, keep_suspicious=request.keep_suspicious)
    series = TradeSeries(
        instrument_id=request.instrument_id,
        ts_event=ts[kept],
        price=values["price"][kept],
        size=values["size"][kept],
        aggressor=np.zeros(len(kept), dtype=np.int8),
    )
    validate_trades(series, locator.subset(kept))
    return series


def read_equity_quote_ticks(source: TextSource, request: ReadRequest) -> QuoteSeries:
    include = ("time", "bid", "bid_size", "ask", "ask_size", "suspicious")
    table, locator = source.read_columns(_QUOTE_FIELDS, header_lines=0, include=include)
    prices = EQUITY.price_exponent
    values = parse_numbers(
        table,
        [
            NumberColumn(name="bid", label="bid", exponent=prices),
            NumberColumn(name="bid_size", label="bid_size", exponent=9),
            NumberColumn(name="ask", label="ask", exponent=prices),
            NumberColumn(name="ask_size", label="ask_size", exponent=9),
            _SUSPICIOUS,
        ],
        locator,
    )
    _check_not_negative(values, locator)
    ts = local_to_utc_ns(intraday_local_ns(source, table, locator), request.tz or EQUITY.tz)
    kept = _kept_rows(values["suspicious"], locator, keep_suspicious=request.keep_suspicious)
    states = _consolidated_states(ts[kept], values["bid"][kept], values["ask"][kept])
    bid_row, ask_row, at = kept[states.bid_row], kept[states.ask_row], kept[states.last_row]
    series = QuoteSeries(
        instrument_id=request.instrument_id,
        ts_event=ts[at],
        bid=values["bid"][bid_row],
        ask=values["ask"][ask_row],
        bid_size=values["bid_size"][bid_row],
        ask_size=values["ask_size"][ask_row],
    )
    validate_quotes(series, locator.subset(at))
    return series


def read_forex_quote_ticks(source: TextSource, request: ReadRequest) -> QuoteSeries:
    names = ("time", "bid", "ask")
    table, locator = source.read_columns(names, header_lines=0, include=names)
    values = parse_numbers(
        table,
        [
            NumberColumn(name="bid", label="bid", exponent=FOREX.price_exponent),
            NumberColumn(name="ask", label="ask", exponent=FOREX.price_exponent),
        ],
        locator,
    )
    ts = local_to_utc_ns(intraday_local_ns(source, table, locator), request.tz or FOREX.tz)
    no_size = np.zeros(len(ts), dtype=np.int64)
    series = QuoteSeries(
        instrument_id=request.instrument_id,
        ts_event=ts,
        bid=values["bid"],
        ask=values["ask"],
        bid_size=no_size,
        ask_size=no_size,
    )
    validate_quotes(series, locator)
    return series


def _kept_rows(
    suspicious: npt.NDArray[np.int64], locator: RowLocator, *, keep_suspicious: bool
) -> npt.NDArray[np.int64]:
    """Positions of the rows to use; ``DataValidationError`` for a flag other than 0 or 1."""
    unknown = (suspicious != 0) & (suspicious != 1)
    if unknown.any():
        index = int(unknown.argmax())
        raise locator.error(index, f"suspicious flag {suspicious[index]} is not 0 or 1")
    if keep_suspicious:
        return np.arange(len(suspicious), dtype=np.int64)
    return np.flatnonzero(suspicious == 0).astype(np.int64)


def _check_not_negative(values: dict[str, npt.NDArray[np.int64]], locator: RowLocator) -> None:
    for name in ("bid", "bid_size", "ask", "ask_size"):
        negative = values[name] < 0
        if negative.any():
            index = int(negative.argmax())
            raise locator.error(index, f"negative {name} {format_fixed(int(values[name][index]))}")


class _BookStates:
    """Positions (into the rows given) of each emitted quote's bid row, ask row and last row."""

    def __init__(
        self,
        bid_row: npt.NDArray[np.int64],
        ask_row: npt.NDArray[np.int64],
        last_row: npt.NDArray[np.int64],
    ) -> None:
        self.bid_row = bid_row
        self.ask_row = ask_row
        self.last_row = last_row


def _consolidated_states(
    ts: npt.NDArray[np.int64], bid: npt.NDArray[np.int64], ask: npt.NDArray[np.int64]
) -> _BookStates:
    position = np.arange(len(ts), dtype=np.int64)
    latest_bid = np.maximum.accumulate(np.where(bid > 0, position, -1))
    latest_ask = np.maximum.accumulate(np.where(ask > 0, position, -1))
    end_of_ms = np.ones(len(ts), dtype=bool)
    end_of_ms[:-1] = ts[1:] != ts[:-1]
    emitted = np.flatnonzero(end_of_ms & (latest_bid >= 0) & (latest_ask >= 0))
    bid_row, ask_row = latest_bid[emitted], latest_ask[emitted]
    uncrossed = bid[bid_row] <= ask[ask_row]
    return _BookStates(bid_row[uncrossed], ask_row[uncrossed], emitted[uncrossed])
