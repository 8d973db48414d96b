"""Level-2 order book: price levels per side, rebuilt from snapshots and deltas.

Prices and sizes are raw fixed-point ints (``core.values``: 1e-9 units); nothing here rounds.

Events (immutable, like every message): ``BookSnapshot`` replaces the whole book, ``BookDelta``
sets one level (size 0 deletes it), ``BookDeltas`` is the batch of deltas a venue publishes as
one update. Apply venue updates as whole batches: between two deltas of one batch the book may
be crossed or show levels the venue never showed together (a new ask below the old bid before
that bid's delete arrives), so only the state after a whole batch is a real state of the book.

``sequence`` is the venue's update id: a snapshot carries the id it is valid through, a batch
(and each of its deltas) the last id it covers. The book refuses a delta older than its state.

Storage: per side a dict ``price -> size`` and a sorted list of keys in which the BEST level
sits at the END (bids keyed by price, asks by minus price). Reading the top of book is O(1);
an update is a dict write plus, when a level appears or disappears, a bisect and a list
insert/delete whose memmove covers only the levels better than it, which is few for the
updates near the top that make most of a feed.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Sequence
from typing import Final, final

from core.market import QuoteTick
from core.values import format_raw


@final
class BookSide:
    """The side of the book a level rests on."""

    BID: Final = 1
    ASK: Final = -1


def side_name(side: int) -> str:
    if side == BookSide.BID:
        return "bid"
    if side == BookSide.ASK:
        return "ask"
    raise ValueError(f"book side must be 1 (bid) or -1 (ask), got {side}")


class BookError(ValueError):
    """An event that does not fit the book (another instrument, an older sequence, bad data)."""


@final
class BookDelta:
    """One level change: ``size_raw`` is the level's new total size, 0 deletes the level."""

    def __init__(
        self,
        instrument_id: str,
        ts_event: int,
        side: int,
        price_raw: int,
        size_raw: int,
        sequence: int,
    ) -> None:
        side_name(side)  # validates the side
        if size_raw < 0:
            raise BookError(f"level size must not be negative, got {format_raw(size_raw)}")
        self.instrument_id: Final = instrument_id
        self.ts_event: Final = ts_event
        self.side: Final = side
        self.price_raw: Final = price_raw
        self.size_raw: Final = size_raw
        self.sequence: Final = sequence

    def is_delete(self) -> bool:
        return self.size_raw == 0

    def __repr__(self) -> str:
        return (
            f"BookDelta({self.instrument_id} {self.ts_event} #{self.sequence} "
            f"{side_name(self.side)} {format_raw(self.size_raw)}@{format_raw(self.price_raw)})"
        )


@final
class BookDeltas:
    """The deltas of one venue update, applied together; every delta carries ``sequence``."""

    def __init__(
        self, instrument_id: str, ts_event: int, sequence: int, deltas: Sequence[BookDelta]
    ) -> None:
        for delta in deltas:
            if delta.instrument_id != instrument_id:
                raise BookError(
                    f"a {instrument_id} batch cannot hold a {delta.instrument_id} delta"
                )
            if delta.sequence != sequence:
                raise BookError(f"batch #{sequence} holds a delta with sequence {delta.sequence}")
        self.instrument_id: Final = instrument_id
        self.ts_event: Final = ts_event
        self.sequence: Final = sequence
        self.deltas: Final[tuple[BookDelta, ...]] = tuple(deltas)

    def __len__(self) -> int:
        return len(self.deltas)

    def __repr__(self) -> str:
        return (
            f"BookDeltas({self.instrument_id} {self.ts_event} #{self.sequence} "
            f"{len(self.deltas)} deltas)"
        )


@final
class BookSnapshot:
    """The whole book as of update ``sequence``: ``(price_raw, size_raw)`` levels per side.

    Levels may come in any order; sizes must be positive and prices unique per side.
    """

    def __init__(
        self,
        instrument_id: str,
        ts_event: int,
        sequence: int,
        bids: Sequence[tuple[int, int]],
        asks: Sequence[tuple[int, int]],
    ) -> None:
        self.instrument_id: Final = instrument_id
        self.ts_event: Final = ts_event
        self.sequence: Final = sequence
        self.bids: Final[tuple[tuple[int, int], ...]] = _checked_levels(bids, "bid")
        self.asks: Final[tuple[tuple[int, int], ...]] = _checked_levels(asks, "ask")

    def __repr__(self) -> str:
        return (
            f"BookSnapshot({self.instrument_id} {self.ts_event} #{self.sequence} "
            f"{len(self.bids)} bids / {len(self.asks)} asks)"
        )


def _checked_levels(levels: Sequence[tuple[int, int]], name: str) -> tuple[tuple[int, int], ...]:
    seen: set[int] = set()
    for price, size in levels:
        if size <= 0:
            raise BookError(
                f"snapshot {name} level {format_raw(price)} has size {format_raw(size)}; "
                "a snapshot holds positive sizes only"
            )
        if price in seen:
            raise BookError(f"snapshot lists the {name} level {format_raw(price)} twice")
        seen.add(price)
    return tuple(levels)


@final
class OrderBook:
    """An L2 book of one instrument: aggregated size per price level on each side."""

    def __init__(self, instrument_id: str) -> None:
        self.instrument_id: Final = instrument_id
        # update id and ts_event of the last snapshot or delta applied (0 before any)
        self.sequence: int = 0
        self.ts_event: int = 0
        # deletes of levels the book did not hold: normal on feeds whose snapshot is trimmed
        # to N levels (a level beyond the snapshot's depth can be deleted later)
        self.missing_deletes: int = 0
        self._bid_sizes: dict[int, int] = {}
        self._ask_sizes: dict[int, int] = {}
        # sorted ascending, best level LAST: bids keyed by price, asks by -price
        self._bid_keys: list[int] = []
        self._ask_keys: list[int] = []

    # -- updates -------------------------------------------------------------------------

    def clear(self) -> None:
        self._bid_sizes.clear()
        self._ask_sizes.clear()
        self._bid_keys.clear()
        self._ask_keys.clear()

    def apply_snapshot(self, snapshot: BookSnapshot) -> None:
        """Replace the whole book (the snapshot may be older: it is how a resync starts)."""
        self._check_instrument(snapshot.instrument_id)
        self.clear()
        for price, size in snapshot.bids:
            self._bid_sizes[price] = size
            self._bid_keys.append(price)
        for price, size in snapshot.asks:
            self._ask_sizes[price] = size
            self._ask_keys.append(-price)
        self._bid_keys.sort()
        self._ask_keys.sort()
        self.sequence = snapshot.sequence
        self.ts_event = snapshot.ts_event

    def apply_delta(self, delta: BookDelta) -> None:
        self._check_instrument(delta.instrument_id)
        self._check_sequence(delta.sequence)
        self._set_level(delta.side, delta.price_raw, delta.size_raw)
        self.sequence = delta.sequence
        self.ts_event = delta.ts_event

    def apply_deltas(self, batch: BookDeltas) -> None:
        """Apply one venue update (its deltas were checked against the batch on creation)."""
        self._check_instrument(batch.instrument_id)
        self._check_sequence(batch.sequence)
        for delta in batch.deltas:
            self._set_level(delta.side, delta.price_raw, delta.size_raw)
        self.sequence = batch.sequence
        self.ts_event = batch.ts_event

    def apply_rows(
        self,
        sides: list[int],
        prices: list[int],
        sizes: list[int],
        start: int,
        end: int,
        sequence: int,
        ts_event: int,
    ) -> None:
        """Apply rows ``start..end`` of columnar level changes (a ``core.replay`` BOOK chunk:
        side, price, new size) as one venue update ``sequence``, without building deltas."""
        self._check_sequence(sequence)
        for i in range(start, end):
            size = sizes[i]
            if size < 0:
                raise BookError(f"level size must not be negative, got {format_raw(size)}")
            self._set_level(sides[i], prices[i], size)
        self.sequence = sequence
        self.ts_event = ts_event

    def _check_instrument(self, instrument_id: str) -> None:
        if instrument_id != self.instrument_id:
            raise BookError(f"the {self.instrument_id} book cannot apply {instrument_id} data")

    def _check_sequence(self, sequence: int) -> None:
        if sequence < self.sequence:
            raise BookError(
                f"{self.instrument_id} book is at update {self.sequence}; "
                f"update {sequence} is older"
            )

    def _set_level(self, side: int, price: int, size: int) -> None:
        if side == BookSide.BID:
            sizes = self._bid_sizes
            keys = self._bid_keys
            key = price
        elif side == BookSide.ASK:
            sizes = self._ask_sizes
            keys = self._ask_keys
            key = -price
        else:
            raise BookError(f"book side must be 1 (bid) or -1 (ask), got {side}")
        if size == 0:
            if price in sizes:
                del sizes[price]
                del keys[bisect_left(keys, key)]
            else:
                self.missing_deletes += 1
            return
        if price not in sizes:
            insort(keys, key)
        sizes[price] = size

    # -- queries -------------------------------------------------------------------------

    def best_bid(self) -> tuple[int, int] | None:
        """``(price_raw, size_raw)`` of the best bid, or ``None`` when there is no bid."""
        return self.level(BookSide.BID, 0)

    def best_ask(self) -> tuple[int, int] | None:
        """``(price_raw, size_raw)`` of the best ask, or ``None`` when there is no ask."""
        return self.level(BookSide.ASK, 0)

    def best_bid_raw(self) -> int:
        """The best bid price, 0 when there is no bid (no tuple: read on every update)."""
        keys = self._bid_keys
        return keys[-1] if keys else 0

    def best_ask_raw(self) -> int:
        """The best ask price, 0 when there is no ask."""
        keys = self._ask_keys
        return -keys[-1] if keys else 0

    def level(self, side: int, index: int) -> tuple[int, int] | None:
        """The ``index``-th level from the best (0 = best), or ``None`` past the last one."""
        keys = self._keys(side)
        if index < 0:
            raise ValueError(f"level index must not be negative, got {index}")
        if index >= len(keys):
            return None
        price = keys[len(keys) - 1 - index]
        if side == BookSide.ASK:
            price = -price
        return (price, self._sizes(side)[price])

    def size_at(self, side: int, price_raw: int) -> int:
        """The size resting at ``price_raw`` (0 when there is no such level)."""
        return self._sizes(side).get(price_raw, 0)

    def depth(self, side: int, n: int) -> list[tuple[int, int]]:
        """The best ``n`` levels of ``side``, best first (fewer when the side is thinner)."""
        if n < 0:
            raise ValueError(f"depth must not be negative, got {n}")
        keys = self._keys(side)
        sizes = self._sizes(side)
        sign = 1 if side == BookSide.BID else -1
        out: list[tuple[int, int]] = []
        last = len(keys) - 1
        stop = max(last - n, -1)
        i = last
        while i > stop:
            price = sign * keys[i]
            out.append((price, sizes[price]))
            i -= 1
        return out

    def level_count(self, side: int) -> int:
        return len(self._keys(side))

    def spread_raw(self) -> int | None:
        """Best ask minus best bid (negative when crossed); ``None`` when a side is empty."""
        if not self._bid_keys or not self._ask_keys:
            return None
        return -self._ask_keys[-1] - self._bid_keys[-1]

    def mid_raw(self) -> int | None:
        """(bid + ask) / 2 rounded down, as ``QuoteTick.mid_raw``; ``None`` when a side is empty."""
        if not self._bid_keys or not self._ask_keys:
            return None
        return (self._bid_keys[-1] - self._ask_keys[-1]) // 2

    def is_crossed(self) -> bool:
        """Best bid above best ask: impossible on a venue, so the book is out of sync."""
        return (
            bool(self._bid_keys)
            and bool(self._ask_keys)
            and (self._bid_keys[-1] > -self._ask_keys[-1])
        )

    def is_locked(self) -> bool:
        """Best bid equal to best ask (legal in quote data, never on one matching venue)."""
        return (
            bool(self._bid_keys)
            and bool(self._ask_keys)
            and (self._bid_keys[-1] == -self._ask_keys[-1])
        )

    def to_quote(self, ts_event: int) -> QuoteTick:
        """The top of book as a quote; ``BookError`` when a side is empty."""
        if not self._bid_keys or not self._ask_keys:
            missing = "bid" if not self._bid_keys else "ask"
            raise BookError(f"{self.instrument_id} book has no {missing}: no quote")
        bid = self._bid_keys[-1]
        ask = -self._ask_keys[-1]
        return QuoteTick(
            self.instrument_id,
            ts_event,
            bid,
            ask,
            self._bid_sizes[bid],
            self._ask_sizes[ask],
        )

    def walk(self, side: int, qty_raw: int) -> list[tuple[int, int]]:
        """What a market order for ``qty_raw`` takes from ``side``, level by level, best first.

        ``side`` is the side CONSUMED: ``BookSide.ASK`` for a buy, ``BookSide.BID`` for a sell.
        Returns ``(price_raw, taken_raw)`` per level touched; the takes add up to less than
        ``qty_raw`` when the side is thinner than the order (a partial fill). The book is
        not changed.
        """
        if qty_raw < 0:
            raise ValueError(f"quantity must not be negative, got {format_raw(qty_raw)}")
        keys = self._keys(side)
        sizes = self._sizes(side)
        sign = 1 if side == BookSide.BID else -1
        fills: list[tuple[int, int]] = []
        remaining = qty_raw
        i = len(keys) - 1
        while remaining > 0 and i >= 0:
            price = sign * keys[i]
            take = min(remaining, sizes[price])
            fills.append((price, take))
            remaining -= take
            i -= 1
        return fills

    def _keys(self, side: int) -> list[int]:
        if side == BookSide.BID:
            return self._bid_keys
        if side == BookSide.ASK:
            return self._ask_keys
        raise ValueError(f"book side must be 1 (bid) or -1 (ask), got {side}")

    def _sizes(self, side: int) -> dict[int, int]:
        if side == BookSide.BID:
            return self._bid_sizes
        if side == BookSide.ASK:
            return self._ask_sizes
        raise ValueError(f"book side must be 1 (bid) or -1 (ask), got {side}")

    def __repr__(self) -> str:
        bid = self.best_bid()
        ask = self.best_ask()
        top = (
            f"{'-' if bid is None else format_raw(bid[0])} / "
            f"{'-' if ask is None else format_raw(ask[0])}"
        )
        return (
            f"OrderBook({self.instrument_id} #{self.sequence} {top}, "
            f"{len(self._bid_keys)} bids, {len(self._ask_keys)} asks)"
        )


@final
class BookView:
    """The read-only face of an ``OrderBook`` that strategies get: queries, no updates.

    The kernel keeps one view per instrument over the book it maintains, so handing it to a
    strategy on every update costs nothing; it always shows the book's current state.
    """

    def __init__(self, book: OrderBook) -> None:
        self._book: Final = book

    @property
    def instrument_id(self) -> str:
        return self._book.instrument_id

    @property
    def sequence(self) -> int:
        """The venue update id of the last update applied."""
        return self._book.sequence

    @property
    def ts_event(self) -> int:
        return self._book.ts_event

    def best_bid(self) -> tuple[int, int] | None:
        return self._book.best_bid()

    def best_ask(self) -> tuple[int, int] | None:
        return self._book.best_ask()

    def best_bid_raw(self) -> int:
        return self._book.best_bid_raw()

    def best_ask_raw(self) -> int:
        return self._book.best_ask_raw()

    def level(self, side: int, index: int) -> tuple[int, int] | None:
        return self._book.level(side, index)

    def size_at(self, side: int, price_raw: int) -> int:
        return self._book.size_at(side, price_raw)

    def depth(self, side: int, n: int) -> list[tuple[int, int]]:
        return self._book.depth(side, n)

    def level_count(self, side: int) -> int:
        return self._book.level_count(side)

    def spread_raw(self) -> int | None:
        return self._book.spread_raw()

    def mid_raw(self) -> int | None:
        return self._book.mid_raw()

    def to_quote(self, ts_event: int) -> QuoteTick:
        return self._book.to_quote(ts_event)

    def walk(self, side: int, qty_raw: int) -> list[tuple[int, int]]:
        return self._book.walk(side, qty_raw)

    def __repr__(self) -> str:
        return f"BookView({self._book!r})"
