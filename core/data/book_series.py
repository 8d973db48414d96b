"""L2 book data as columns: ``BookSeries``, one row per level change, for backtests.

A row sets one level of the book: ``side`` (1 bid, -1 ask), ``price``, the level's new total
``size`` (0 deletes it) and the venue update (``sequence``) it belongs to. The rows of one
update share a sequence and a time and sit together; the kernel applies them as one update
(``core.replay`` BOOK chunks), and each row counts as one market event.

``mark`` is the book's mid, rounded down like the kernel's mark, after the row's whole update;
it is carried forward while a side of the book is empty and is 0 before the book first has both
sides. The equity curve of a backtest is rebuilt from it after the run (``core.equity``).

``book_series_from_events`` turns snapshots and delta batches (``replay_book`` of a Binance
recording, for one) into a series: a snapshot becomes rows that set every level it lists plus
rows that delete the levels the book held and the snapshot does not (a resync), so replaying
the rows rebuilds exactly the book the events build. An update stamped before the one applied
before it (Binance's diffs buffered before the snapshot) takes that update's time: a local book
holds it only from then on.

``book_series_of_market`` takes the book of a generated market (``core.data.marketgen``): its
snapshot and level rows as they are, the mids from its quotes (quote ``i`` is the top of the book
after update ``i + 1``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Final, final

import numpy as np
import numpy.typing as npt

from core.book import BookDeltas, BookSide, BookSnapshot, OrderBook

if TYPE_CHECKING:
    from core.data.marketgen import SyntheticMarket

Int64Array = npt.NDArray[np.int64]


@final
class BookSeries:
    """Level changes of one instrument's L2 book, in update order (see the module doc)."""

    __slots__ = ("instrument_id", "mark", "price", "sequence", "side", "size", "ts_event")

    def __init__(
        self,
        *,
        instrument_id: str,
        ts_event: npt.ArrayLike,
        side: npt.ArrayLike,
        price: npt.ArrayLike,
        size: npt.ArrayLike,
        sequence: npt.ArrayLike,
        mark: npt.ArrayLike,
    ) -> None:
        self.instrument_id: Final = instrument_id
        self.ts_event: Final = np.ascontiguousarray(ts_event, dtype=np.int64)
        self.side: Final = np.ascontiguousarray(side, dtype=np.int8)
        self.price: Final = np.ascontiguousarray(price, dtype=np.int64)
        self.size: Final = np.ascontiguousarray(size, dtype=np.int64)
        self.sequence: Final = np.ascontiguousarray(sequence, dtype=np.int64)
        self.mark: Final = np.ascontiguousarray(mark, dtype=np.int64)
        self._check()

    def _check(self) -> None:
        n = len(self.ts_event)
        columns = (self.side, self.price, self.size, self.sequence, self.mark)
        if any(len(column) != n for column in columns):
            raise ValueError(f"BookSeries columns differ in length ({n} timestamps)")
        problems = (
            (~np.isin(self.side, (BookSide.BID, BookSide.ASK)), "side is not 1 (bid) or -1 (ask)"),
            (self.size < 0, "size is negative"),
            (self.price <= 0, "price is not positive"),
        )
        for bad, what in problems:
            _refuse_rows(bad, what)
        if n > 1:
            _refuse_rows(np.diff(self.ts_event) < 0, "time goes backwards", offset=1)
            _refuse_rows(np.diff(self.sequence) < 0, "sequence goes backwards", offset=1)
            same_update = self.sequence[1:] == self.sequence[:-1]
            _refuse_rows(
                same_update & (self.ts_event[1:] != self.ts_event[:-1]),
                "a row of an update has another time than the update's first row",
                offset=1,
            )

    def __len__(self) -> int:
        return len(self.ts_event)

    def __repr__(self) -> str:
        if not len(self):
            return f"BookSeries({self.instrument_id}, empty)"
        updates = int(np.count_nonzero(self.update_starts()))
        return f"BookSeries({self.instrument_id}, {len(self)} level changes in {updates} updates)"

    def update_starts(self) -> npt.NDArray[np.bool_]:
        """True on the first row of each update (a feed cuts chunks only there)."""
        starts = np.ones(len(self), dtype=np.bool_)
        if len(self) > 1:
            starts[1:] = self.sequence[1:] != self.sequence[:-1]
        return starts

    def slice_time(self, start_ns: int | None = None, end_ns: int | None = None) -> BookSeries:
        """Rows with ``ts_event < end_ns``. A book cannot start after its first update (it
        would lack the levels set before), so a ``start_ns`` past the first row is refused."""
        if start_ns is not None and len(self) and start_ns > int(self.ts_event[0]):
            raise ValueError(
                f"{self.instrument_id} book data cannot start after its first update: the book "
                "would miss the levels set before; cut only its end"
            )
        hi = len(self) if end_ns is None else int(np.searchsorted(self.ts_event, end_ns, "left"))
        return BookSeries(
            instrument_id=self.instrument_id,
            ts_event=self.ts_event[:hi],
            side=self.side[:hi],
            price=self.price[:hi],
            size=self.size[:hi],
            sequence=self.sequence[:hi],
            mark=self.mark[:hi],
        )


def _refuse_rows(bad: npt.NDArray[np.bool_], what: str, offset: int = 0) -> None:
    where = np.flatnonzero(bad)
    if where.size:
        row = int(where[0]) + offset
        raise ValueError(f"BookSeries row {row}: {what} ({where.size} rows)")


def book_series_from_events(
    events: Iterable[BookSnapshot | BookDeltas], instrument_id: str | None = None
) -> BookSeries:
    """The rows that replay ``events`` (snapshots and delta batches of one instrument)."""
    ts: list[int] = []
    side: list[int] = []
    price: list[int] = []
    size: list[int] = []
    sequence: list[int] = []
    mark: list[int] = []
    book: OrderBook | None = None
    last_mark = 0
    last_ts = 0
    for event in events:
        if book is None:
            instrument_id = instrument_id or event.instrument_id
            book = OrderBook(instrument_id)
        if event.instrument_id != book.instrument_id:
            raise ValueError(f"a {book.instrument_id} book series cannot hold {event!r}")
        first = len(ts)
        if isinstance(event, BookSnapshot):
            for book_side, listed in ((BookSide.BID, event.bids), (BookSide.ASK, event.asks)):
                kept = {p for p, _ in listed}
                for p, _ in book.depth(book_side, book.level_count(book_side)):
                    if p not in kept:
                        side.append(book_side)
                        price.append(p)
                        size.append(0)
                for p, q in listed:
                    side.append(book_side)
                    price.append(p)
                    size.append(q)
            book.apply_snapshot(event)
        else:
            for delta in event.deltas:
                side.append(delta.side)
                price.append(delta.price_raw)
                size.append(delta.size_raw)
            book.apply_deltas(event)
        count = len(side) - first
        bid = book.best_bid_raw()
        ask = book.best_ask_raw()
        if bid and ask:
            last_mark = (bid + ask) // 2
        if event.ts_event > last_ts:
            last_ts = event.ts_event
        ts += [last_ts] * count
        sequence += [event.sequence] * count
        mark += [last_mark] * count
    if book is None:
        if instrument_id is None:
            raise ValueError("no book events, and no instrument id to name the empty series")
        book = OrderBook(instrument_id)
    return BookSeries(
        instrument_id=book.instrument_id,
        ts_event=np.array(ts, dtype=np.int64),
        side=np.array(side, dtype=np.int8),
        price=np.array(price, dtype=np.int64),
        size=np.array(size, dtype=np.int64),
        sequence=np.array(sequence, dtype=np.int64),
        mark=np.array(mark, dtype=np.int64),
    )


def book_series_of_market(market: SyntheticMarket, rows: int | None = None) -> BookSeries:
    """The generated market's book: snapshot rows, then its level rows; with ``rows``, only the
    first whole updates that hold at least that many rows (all when there are fewer)."""
    snapshot = market.book_snapshot()
    book = market.book_events()
    quotes = market.quotes
    levels = [(BookSide.BID, p, q) for p, q in snapshot.bids]
    levels += [(BookSide.ASK, p, q) for p, q in snapshot.asks]
    head = len(levels)
    n = len(book)
    if rows is not None and rows - head < n:
        starts = np.flatnonzero(np.diff(book.sequence)) + 1  # where each update's rows begin
        k = int(np.searchsorted(starts, rows - head))
        n = int(starts[k]) if k < len(starts) else n
    sequence = np.concatenate([np.full(head, snapshot.sequence), book.sequence[:n]])
    mid = (quotes.bid + quotes.ask) // 2
    return BookSeries(
        instrument_id=market.instrument_id,
        ts_event=np.concatenate([np.full(head, snapshot.ts_event), book.ts[:n]]),
        side=np.concatenate([np.array([lv[0] for lv in levels], np.int8), book.side[:n]]),
        price=np.concatenate([np.array([lv[1] for lv in levels], np.int64), book.price[:n]]),
        size=np.concatenate([np.array([lv[2] for lv in levels], np.int64), book.size[:n]]),
        sequence=sequence,
        mark=mid[sequence - 1],
    )
