"""Binance market-data recordings: parsing, order-book replay and top-of-book checks.

The files are gzip (or plain) text, one message per line: ``<local_receive_ns> <json>``, as
recorded by hftbacktest's collector (``../shared/data/hftbacktest``). The messages are

- the REST depth snapshot ``{"lastUpdateId", "bids", "asks"}`` (no timestamp of its own);
- ``<symbol>@depth`` diffs: ``U``/``u`` first and last update id, ``E`` event time (ms),
  ``b``/``a`` levels ``[price, qty]`` with qty 0 deleting the level;
- ``<symbol>@bookTicker``: ``u`` update id, ``b``/``B`` best bid and size, ``a``/``A`` best ask
  and size; no timestamp;
- ``<symbol>@trade``: ``t`` trade id, ``p``/``q`` price and quantity, ``T`` trade time (ms),
  ``E`` event time (ms), ``m`` true when the buyer was the maker (the seller aggressed).

Messages in Binance's combined-stream envelope ``{"stream", "data"}`` and bare ones are both
read; other streams are counted and skipped. Prices and quantities are decimal strings and
become raw 1e-9 ints exactly (no float on the way); more than nine decimals is an error.

Vendor field names stop here: the rest of the code sees ``BookSnapshot``/``BookDeltas``
(``core.book``), ``QuoteSeries`` and ``TradeSeries``.

Timestamps. Every event gets the LOCAL receive time by default: bookTicker and the snapshot
carry no exchange time, and one clock for all streams keeps their recorded interleaving (a
backtest that merged trades on Binance time with quotes on local time would see each trade
about 1.27 s after the quotes it moved). The recording machine's clock ran about 1.27 s BEHIND
Binance's (local minus ``E`` runs from -1.277 s to -1.250 s in the sample): never read
local minus ``E`` as latency. ``load_binance_trades(timestamps="exchange")`` uses ``T``.

Book synchronisation follows Binance's documented procedure ("How to manage a local order
book correctly"): buffer the diffs, take the snapshot, drop the diffs with ``u <=
lastUpdateId``, the first diff applied must have ``U <= lastUpdateId + 1 <= u``, and from then
on each diff's ``U`` must be the previous ``u + 1``. A hole raises ``BinanceSyncError`` or,
with ``on_gap="resync"``, waits for the next snapshot. The ids are those of the
``SequencedStream`` in ``core.data.hygiene``, which does the bookkeeping.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, Final, Literal, TextIO

import numpy as np
import numpy.typing as npt

from core.book import BookDelta, BookDeltas, BookSide, BookSnapshot, OrderBook
from core.data.hygiene import SequencedStream, StreamGapError
from core.data.series import QuoteSeries, TradeSeries
from core.data.validation import DataValidationError, RowLocator, validate_quotes, validate_trades
from core.market import Aggressor
from core.values import PRECISION

StrPath = str | os.PathLike[str]
Levels = tuple[tuple[int, int], ...]
Int64Array = npt.NDArray[np.int64]

VENUE: Final = "BINANCE"
_MS: Final = 1_000_000


# -- parsed records -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BinanceDepthSnapshot:
    """The REST depth snapshot, valid through update id ``last_update_id``."""

    ts_local: int
    last_update_id: int
    bids: Levels
    asks: Levels
    where: str  # "file line n", for messages


@dataclass(frozen=True, slots=True)
class BinanceDepthDiff:
    """One diff-depth message covering update ids ``first_update_id..last_update_id``."""

    ts_local: int
    ts_exchange: int  # E, in ns
    first_update_id: int  # U
    last_update_id: int  # u
    bids: Levels  # (price, new size); size 0 deletes
    asks: Levels
    where: str


@dataclass(frozen=True, slots=True)
class BinanceBookTickers:
    """bookTicker records, one row each, in arrival order."""

    ts_local: Int64Array
    update_id: Int64Array  # the order-book update id: same id space as the diffs' U/u
    bid: Int64Array
    bid_size: Int64Array
    ask: Int64Array
    ask_size: Int64Array

    def __len__(self) -> int:
        return len(self.ts_local)


@dataclass(frozen=True, slots=True)
class BinanceTrades:
    """Trade records, one row each, in arrival order."""

    ts_local: Int64Array
    ts_trade: Int64Array  # T, in ns
    ts_exchange: Int64Array  # E, in ns
    trade_id: Int64Array
    price: Int64Array
    size: Int64Array
    buyer_is_maker: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.ts_local)


@dataclass(frozen=True, slots=True)
class BinanceStream:
    """Everything parsed from one recording (one or more files joined in time order)."""

    symbol: str | None  # from the records' "s" field (the snapshot has none)
    depth: tuple[BinanceDepthSnapshot | BinanceDepthDiff, ...]  # in arrival order
    book_tickers: BinanceBookTickers
    trades: BinanceTrades
    skipped: int  # messages of other streams

    @property
    def snapshots(self) -> list[BinanceDepthSnapshot]:
        return [m for m in self.depth if isinstance(m, BinanceDepthSnapshot)]

    @property
    def diffs(self) -> list[BinanceDepthDiff]:
        return [m for m in self.depth if isinstance(m, BinanceDepthDiff)]

    def default_instrument_id(self) -> str:
        if self.symbol is None:
            raise ValueError("the recording names no symbol: pass instrument_id")
        return f"{self.symbol}.{VENUE}"

    def local_minus_exchange_ns(self) -> tuple[int, int]:
        """Range of local receive time minus ``E`` over diffs and trades (the clock skew)."""
        parts = [np.array([d.ts_local - d.ts_exchange for d in self.diffs], dtype=np.int64)]
        parts.append(self.trades.ts_local - self.trades.ts_exchange)
        skew = np.concatenate(parts)
        if skew.size == 0:
            raise ValueError("no message with an exchange time")
        return int(skew.min()), int(skew.max())


# -- parsing ------------------------------------------------------------------------------------


def parse_decimal_raw(text: str) -> int:
    """Exact raw 1e-9 int of a plain decimal string (``"61837.63000000"``), without float."""
    whole, _, frac = text.partition(".")
    digits = whole + frac
    if len(frac) <= PRECISION and digits.isdigit() and digits.isascii():
        return int(digits) * _POW10[PRECISION - len(frac)]
    negative = text.startswith("-")
    if negative:
        whole = whole[1:]
    if len(frac) > PRECISION:
        if frac[PRECISION:].strip("0"):
            raise ValueError(f"{text!r} has more than {PRECISION} decimals")
        frac = frac[:PRECISION]
    digits = whole + frac
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"{text!r} is not a plain decimal number")
    raw = int(digits) * _POW10[PRECISION - len(frac)]
    return -raw if negative else raw


_POW10: Final = tuple(int(10**n) for n in range(PRECISION + 1))


def read_binance_stream(paths: StrPath | Sequence[StrPath]) -> BinanceStream:
    """Parse recording files; several files are put in time order and must not overlap."""
    parts = sorted((_read_file(Path(p)) for p in _path_list(paths)), key=lambda f: f.first_ts)
    for before, after in pairwise(parts):
        if after.first_ts < before.last_ts:
            raise DataValidationError(
                after.name, f"starts before the end of {before.name}: the files overlap"
            )
    symbols = {s for part in parts for s in part.symbols}
    if len(symbols) > 1:
        raise DataValidationError(parts[0].name, f"several symbols: {', '.join(sorted(symbols))}")
    tickers = _columns([row for part in parts for row in part.tickers], 6)
    trades = [row for part in parts for row in part.trades]
    t_local, t_trade, t_exchange, trade_id, price, size = _columns(trades, 6)
    return BinanceStream(
        symbol=symbols.pop() if symbols else None,
        depth=tuple(m for part in parts for m in part.depth),
        book_tickers=BinanceBookTickers(*tickers),
        trades=BinanceTrades(
            ts_local=t_local,
            ts_trade=t_trade,
            ts_exchange=t_exchange,
            trade_id=trade_id,
            price=price,
            size=size,
            buyer_is_maker=np.array([row[6] for row in trades], dtype=np.bool_),
        ),
        skipped=sum(part.skipped for part in parts),
    )


def _path_list(paths: StrPath | Sequence[StrPath]) -> list[StrPath]:
    if isinstance(paths, str | os.PathLike):
        return [paths]
    if not paths:
        raise ValueError("no files given")
    return list(paths)


def _columns(rows: list[tuple[int, ...]], count: int) -> list[Int64Array]:
    if not rows:
        return [np.empty(0, dtype=np.int64) for _ in range(count)]
    table = np.array([row[:count] for row in rows], dtype=np.int64)
    return [np.ascontiguousarray(table[:, i]) for i in range(count)]


class _FileContent:
    """What one file held, before the files are joined."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.first_ts = 0
        self.last_ts = 0
        self.depth: list[BinanceDepthSnapshot | BinanceDepthDiff] = []
        self.tickers: list[tuple[int, ...]] = []
        self.trades: list[tuple[int, ...]] = []
        self.symbols: set[str] = set()
        self.skipped = 0
        self._raw: dict[str, int] = {}  # book prices and sizes repeat: parse each text once

    def raw(self, text: str) -> int:
        value = self._raw.get(text)
        if value is None:
            value = self._raw[text] = parse_decimal_raw(text)
        return value

    def levels(self, value: object) -> Levels:
        if not isinstance(value, list):
            raise ValueError(f"levels must be a list, got {type(value).__name__}")
        raw = self.raw
        return tuple((raw(price), raw(qty)) for price, qty in value)


def _read_file(path: Path) -> _FileContent:
    content = _FileContent(path.name)
    with _open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                _parse_line(content, line, number)
    return content


def _open_text(path: Path) -> TextIO:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt") if gzipped else path.open()


def _parse_line(content: _FileContent, line: str, number: int) -> None:
    where = f"{content.name} line {number}"
    stamp, _, payload = line.partition(" ")
    try:
        ts_local = int(stamp)
        message = json.loads(payload)
        _dispatch(content, message, ts_local, where)
    except (ValueError, KeyError, TypeError, IndexError) as error:
        if isinstance(error, DataValidationError):
            raise
        raise DataValidationError(
            content.name, f"cannot read the message: {error!r}", line=number
        ) from None
    if ts_local < content.last_ts:
        raise DataValidationError(content.name, "local receive time goes backwards", line=number)
    if not content.first_ts:
        content.first_ts = ts_local
    content.last_ts = ts_local


# JSON payloads are Any: this is the one place vendor fields are read, each converted at once
def _dispatch(content: _FileContent, message: dict[str, Any], ts: int, where: str) -> None:
    if "lastUpdateId" in message:
        content.depth.append(
            BinanceDepthSnapshot(
                ts_local=ts,
                last_update_id=int(str(message["lastUpdateId"])),
                bids=content.levels(message["bids"]),
                asks=content.levels(message["asks"]),
                where=where,
            )
        )
        return
    stream = message.get("stream")
    data = message.get("data", message)
    if not isinstance(data, dict):
        raise ValueError("data is not an object")
    kind = str(stream).partition("@")[2] if stream is not None else str(data.get("e", ""))
    if kind.startswith("depth") or kind == "depthUpdate":
        content.symbols.add(str(data["s"]))
        content.depth.append(
            BinanceDepthDiff(
                ts_local=ts,
                ts_exchange=int(data["E"]) * _MS,
                first_update_id=int(data["U"]),
                last_update_id=int(data["u"]),
                bids=content.levels(data["b"]),
                asks=content.levels(data["a"]),
                where=where,
            )
        )
    elif kind == "bookTicker" or (stream is None and {"u", "b", "B", "a", "A"} <= data.keys()):
        content.symbols.add(str(data["s"]))
        content.tickers.append(
            (
                ts,
                int(data["u"]),
                content.raw(data["b"]),
                content.raw(data["B"]),
                content.raw(data["a"]),
                content.raw(data["A"]),
            )
        )
    elif kind == "trade":
        content.symbols.add(str(data["s"]))
        maker = data["m"]
        if not isinstance(maker, bool):
            raise ValueError(f"m must be true or false, got {maker!r}")
        content.trades.append(
            (
                ts,
                int(data["T"]) * _MS,
                int(data["E"]) * _MS,
                int(data["t"]),
                content.raw(data["p"]),
                content.raw(data["q"]),
                int(maker),
            )
        )
    else:
        content.skipped += 1


# -- book synchronisation -----------------------------------------------------------------------


class BinanceSyncError(StreamGapError):
    """The diff stream has a hole the recording cannot fill (no later snapshot to resync)."""


BookEvent = BookSnapshot | BookDeltas


class BinanceBookSync:
    """Binance's local-book procedure: turns depth messages into book events in sync.

    Feed it every depth message in arrival order (``on_message``); it returns the events to
    apply: a ``BookSnapshot`` when (re)synchronising, then one ``BookDeltas`` per diff, its
    ``sequence`` the diff's ``u``. ``max_buffered=0`` (the default) is the documented strict
    rule; a live feed whose messages can be reordered may allow a small reorder buffer.
    """

    def __init__(
        self,
        instrument_id: str,
        *,
        on_gap: Literal["raise", "resync"] = "raise",
        max_buffered: int = 0,
        max_delay_ns: int = 1_000_000_000,
    ) -> None:
        if on_gap not in ("raise", "resync"):
            raise ValueError(f"on_gap must be 'raise' or 'resync', got {on_gap!r}")
        self.instrument_id: Final = instrument_id
        self.on_gap: Final = on_gap
        self.stream: Final[SequencedStream[BinanceDepthDiff]] = SequencedStream(
            max_buffered=max_buffered, max_delay_ns=max_delay_ns
        )
        self.snapshots_applied = 0
        self.snapshots_ignored = 0  # not newer than the book already in sync
        self.diffs_applied = 0
        self._last_applied: int | None = None

    @property
    def diffs_dropped(self) -> int:
        """Diffs with ``u`` at or below the book's id: the procedure's discards and duplicates."""
        return self.stream.stale + self.stream.duplicates

    @property
    def in_sync(self) -> bool:
        return not self.stream.needs_resync

    def on_message(self, message: BinanceDepthSnapshot | BinanceDepthDiff) -> list[BookEvent]:
        if isinstance(message, BinanceDepthSnapshot):
            return self.on_snapshot(message)
        return self.on_diff(message)

    def on_diff(self, diff: BinanceDepthDiff) -> list[BookEvent]:
        ready = self.stream.push(
            diff,
            sequence=diff.first_update_id,
            last_sequence=diff.last_update_id,
            ts_ns=diff.ts_local,
        )
        events = self._deltas(ready)
        self._check_gap(diff.where)
        return events

    def on_snapshot(self, snapshot: BinanceDepthSnapshot) -> list[BookEvent]:
        if (
            self.in_sync
            and self._last_applied is not None
            and snapshot.last_update_id <= self._last_applied
        ):
            self.snapshots_ignored += 1
            return []
        self.snapshots_applied += 1
        self._last_applied = snapshot.last_update_id
        events: list[BookEvent] = [
            BookSnapshot(
                self.instrument_id,
                snapshot.ts_local,
                snapshot.last_update_id,
                snapshot.bids,
                snapshot.asks,
            )
        ]
        events += self._deltas(self.stream.resync(snapshot.last_update_id))
        self._check_gap(snapshot.where)
        return events

    def _deltas(self, diffs: list[BinanceDepthDiff]) -> list[BookEvent]:
        events: list[BookEvent] = []
        for diff in diffs:
            events.append(diff_to_deltas(diff, self.instrument_id))
            self._last_applied = diff.last_update_id
        self.diffs_applied += len(diffs)
        return events

    def _check_gap(self, where: str) -> None:
        if self.on_gap == "raise" and self.stream.gap is not None:
            raise BinanceSyncError(self.stream.gap, f"{self.instrument_id} depth at {where}")


def diff_to_deltas(diff: BinanceDepthDiff, instrument_id: str) -> BookDeltas:
    """One diff as a batch: bids then asks, every delta stamped with the diff's ``u``."""
    seq = diff.last_update_id
    ts = diff.ts_local
    deltas = [BookDelta(instrument_id, ts, BookSide.BID, p, q, seq) for p, q in diff.bids]
    deltas += [BookDelta(instrument_id, ts, BookSide.ASK, p, q, seq) for p, q in diff.asks]
    return BookDeltas(instrument_id, ts, seq, deltas)


def replay_book(
    source: BinanceStream | StrPath | Sequence[StrPath],
    *,
    instrument_id: str | None = None,
    sync: BinanceBookSync | None = None,
) -> Iterator[BookEvent]:
    """The recording's book as synchronised events: a ``BookSnapshot``, then ``BookDeltas``.

    Pass your own ``sync`` to choose the gap policy and read its counters afterwards.
    A recording without a usable snapshot raises ``DataValidationError``.
    """
    stream = source if isinstance(source, BinanceStream) else read_binance_stream(source)
    if sync is None:
        sync = BinanceBookSync(instrument_id or stream.default_instrument_id())
    for message in stream.depth:
        yield from sync.on_message(message)
    if sync.snapshots_applied == 0:
        raise DataValidationError(
            "binance recording", "no depth snapshot: the book cannot be synchronised"
        )


# -- loaders ------------------------------------------------------------------------------------


def load_binance_trades(
    source: BinanceStream | StrPath | Sequence[StrPath],
    *,
    instrument_id: str | None = None,
    timestamps: Literal["local", "exchange"] = "local",
) -> TradeSeries:
    """Trade prints; aggressor SELLER when the buyer was the maker (``m`` true), else BUYER.

    ``timestamps="local"`` (default) stamps receive times, consistent with the quotes and the
    book; ``"exchange"`` stamps the trade time ``T``. Trade ids must increase strictly.
    """
    stream = source if isinstance(source, BinanceStream) else read_binance_stream(source)
    trades = stream.trades
    if timestamps not in ("local", "exchange"):
        raise ValueError(f"timestamps must be 'local' or 'exchange', got {timestamps!r}")
    backwards = np.flatnonzero(np.diff(trades.trade_id) <= 0)
    if backwards.size:
        i = int(backwards[0]) + 1
        raise DataValidationError(
            "binance trades",
            f"trade id {int(trades.trade_id[i])} does not follow {int(trades.trade_id[i - 1])}",
            row=i + 1,
        )
    series = TradeSeries(
        instrument_id=instrument_id or stream.default_instrument_id(),
        ts_event=trades.ts_local if timestamps == "local" else trades.ts_trade,
        price=trades.price,
        size=trades.size,
        aggressor=np.where(trades.buyer_is_maker, Aggressor.SELLER, Aggressor.BUYER),
    )
    validate_trades(series, RowLocator("binance trades"))
    return series


def load_binance_quotes(
    source: BinanceStream | StrPath | Sequence[StrPath],
    *,
    instrument_id: str | None = None,
) -> QuoteSeries:
    """Top of book from the bookTicker records, stamped with the local receive time (the
    records carry no exchange time; see the module docstring for the clock skew)."""
    stream = source if isinstance(source, BinanceStream) else read_binance_stream(source)
    tickers = stream.book_tickers
    series = QuoteSeries(
        instrument_id=instrument_id or stream.default_instrument_id(),
        ts_event=tickers.ts_local,
        bid=tickers.bid,
        ask=tickers.ask,
        bid_size=tickers.bid_size,
        ask_size=tickers.ask_size,
    )
    validate_quotes(series, RowLocator("binance bookTicker"))
    return series


# -- reconstruction check -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BookTickerCheck:
    """How the rebuilt book compares with every bookTicker record (see ``check_book_tickers``)."""

    tickers: int
    not_covered: int  # id before the snapshot (or in a gap, or after the last diff)
    at_update: int  # id equal to the book's id after a snapshot or a whole diff
    at_update_matched: int  # ... and best bid/ask price AND size equal on both sides
    within_update: int  # id strictly inside a diff's U..u: the book never held that state
    within_consistent: int  # ... and consistent with the book before and the diff (below)
    within_transient: int  # ... best level one the diff never mentions and the book lacks
    within_top_equal_after: int  # informative: best prices equal the book's after the diff
    crossed_states: int  # book states (after a snapshot or diff) with bid >= ask
    mismatches: tuple[str, ...]  # the first few contradictions, described

    @property
    def ok(self) -> bool:
        return not self.mismatches and self.crossed_states == 0


def check_book_tickers(
    source: BinanceStream | StrPath | Sequence[StrPath],
    *,
    instrument_id: str | None = None,
    max_reported: int = 20,
) -> BookTickerCheck:
    """Replay the book and hold every bookTicker record (same update-id space) against it.

    A diff aggregates all updates in ``U..u`` into each touched level's final size, so the book
    only ever holds the states at a snapshot's id or a diff's ``u``:

    - a record whose ``u`` is such an id must equal the book's top exactly, prices and sizes;
    - a record strictly inside a diff's range saw an intermediate state. Levels the diff does
      not touch kept their size during the whole range, so: no untouched level of the book
      before the diff may be better than the record's best, and when the record's best price
      is an untouched level the sizes must be equal. A record whose best level is untouched
      AND absent from the book is a *transient* level: added and removed again inside one
      diff's window, so the diff (a net change) never lists it. Counted, not a contradiction.
    """
    stream = source if isinstance(source, BinanceStream) else read_binance_stream(source)
    instrument = instrument_id or stream.default_instrument_id()
    tickers = stream.book_tickers
    order = np.argsort(tickers.update_id, kind="stable")
    ids: list[int] = tickers.update_id[order].tolist()
    tops: list[tuple[int, int, int, int]] = list(
        zip(
            tickers.bid[order].tolist(),
            tickers.bid_size[order].tolist(),
            tickers.ask[order].tolist(),
            tickers.ask_size[order].tolist(),
            strict=True,
        )
    )
    book = OrderBook(instrument)
    not_covered = at = at_ok = within = consistent = transient = equal_after = crossed = 0
    mismatches: list[str] = []
    k = 0
    n = len(ids)
    for event in replay_book(stream, sync=BinanceBookSync(instrument)):
        if isinstance(event, BookSnapshot):
            book.apply_snapshot(event)
            while k < n and ids[k] < event.sequence:  # before the snapshot, or in a hole
                not_covered += 1
                k += 1
        else:
            first = k
            touched = (
                {d.price_raw for d in event.deltas if d.side == BookSide.BID},
                {d.price_raw for d in event.deltas if d.side == BookSide.ASK},
            )
            while k < n and ids[k] < event.sequence:
                verdict = _within_verdict(book, tops[k], touched)
                within += 1
                consistent += verdict == "consistent"
                transient += verdict == "transient"
                if verdict not in ("consistent", "transient") and len(mismatches) < max_reported:
                    mismatches.append(f"bookTicker u={ids[k]} inside #{event.sequence}: {verdict}")
                k += 1
            book.apply_deltas(event)
            after = _top_prices(book)
            equal_after += sum(after == (top[0], top[2]) for top in tops[first:k])
        crossed += book.is_crossed() or book.is_locked()
        while k < n and ids[k] == book.sequence:
            at += 1
            bid, bid_size, ask, ask_size = tops[k]
            if book.best_bid() == (bid, bid_size) and book.best_ask() == (ask, ask_size):
                at_ok += 1
            elif len(mismatches) < max_reported:
                mismatches.append(
                    f"bookTicker u={ids[k]} {tops[k]} != book {book.best_bid()} {book.best_ask()}"
                )
            k += 1
    return BookTickerCheck(
        tickers=n,
        not_covered=not_covered + n - k,
        at_update=at,
        at_update_matched=at_ok,
        within_update=within,
        within_consistent=consistent,
        within_transient=transient,
        within_top_equal_after=equal_after,
        crossed_states=crossed,
        mismatches=tuple(mismatches),
    )


def _top_prices(book: OrderBook) -> tuple[int | None, int | None]:
    bid = book.best_bid()
    ask = book.best_ask()
    return (None if bid is None else bid[0], None if ask is None else ask[0])


def _within_verdict(
    book: OrderBook, top: tuple[int, int, int, int], touched: tuple[set[int], set[int]]
) -> str:
    """``consistent``, ``transient`` or what contradicts (``book``: the state before the diff)."""
    transient = False
    for side, price, size, moved in (
        (BookSide.BID, top[0], top[1], touched[0]),
        (BookSide.ASK, top[2], top[3], touched[1]),
    ):
        name = "bid" if side == BookSide.BID else "ask"
        index = 0
        level = book.level(side, 0)
        while level is not None and level[0] in moved:
            index += 1
            level = book.level(side, index)
        if level is not None and side * level[0] > side * price:
            return f"untouched {name} {level[0]} is better than the record's {price}"
        if price not in moved:
            held = book.size_at(side, price)
            if held == 0:
                transient = True
            elif held != size:
                return f"untouched {name} level {price} holds {held}, the record says {size}"
    return "transient" if transient else "consistent"
