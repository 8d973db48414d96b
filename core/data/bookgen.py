"""The L2 book of the synthetic market (``core.data.marketgen``): an initial snapshot plus level
changes that follow a given top-of-book path exactly.

Input, per event ``i``: best bid and ask (in ticks), the sizes shown there (in lots) and the
number of levels per side. Each side shows that many contiguous levels on the tick grid from its
best price outward (bids never below one tick). The best level shows the given touch size; a
deeper level shows a size fixed by its price: ``1 + hash(price, side, seed) mod (2 deep_lots -
1)`` lots (``_level_size``), except after a churn update, which gives one random deeper level of
one side a fresh size uniform in ``[1, 2 deep_lots - 1]`` lots (probability ``churn`` per event).

Rows are L2 level SETS, the format of a ``core.replay.BOOK`` chunk (``core.book.BookDelta``): a
new total size for one level, 0 deleting it. Per event, on each side: the levels that left the
window are deleted; the levels that entered it are set (deep size, or the touch at the best);
the old best, when still shown, is reset to its deep size; the best is set when its price or
size changed; and the churned level is set. No level appears twice in one event. An event that
changed nothing (an update that left the touch as it was) still publishes one row, the best bid
at its size, so that every event is exactly one venue update. Every row of
event ``i`` carries sequence ``i + 1``; the snapshot is the book after event 0 (sequence 1). So
after each whole update, the book's best bid/ask and their sizes are event ``i``'s quote, and
the book is never crossed (the bid window lies below the best bid, the ask window above the best
ask). Rows of one event are contiguous (a counting sort places them, no comparison sort).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, TypeVar

import numpy as np
import numpy.typing as npt

from core.book import BookSide, BookSnapshot
from core.data.series import ts_type
from core.values import SCALE

if TYPE_CHECKING:
    import pyarrow as pa

Int64Array = npt.NDArray[np.int64]
Int8Array = npt.NDArray[np.int8]
_Scalar = TypeVar("_Scalar", bound=np.generic)

_DELETE: Final = 0  # size 0
_ENTER: Final = 1  # the level's deep size, or the touch size at the best price
_GIVEN: Final = 2  # one size per event


class BookEvents:
    """L2 level sets as parallel arrays: the columns of a ``core.replay.BOOK`` chunk."""

    def __init__(
        self,
        ts: Int64Array,
        side: Int8Array,
        price: Int64Array,
        size: Int64Array,
        sequence: Int64Array,
    ) -> None:
        self.ts: Final = ts
        self.side: Final = side
        self.price: Final = price
        self.size: Final = size
        self.sequence: Final = sequence

    def __len__(self) -> int:
        return len(self.ts)


class TopPath:
    """Per event: best bid/ask (ticks), their sizes (lots) and the levels per side."""

    def __init__(
        self,
        ts: Int64Array,
        bid: Int64Array,
        ask: Int64Array,
        bid_size: Int64Array,
        ask_size: Int64Array,
        depth: Int64Array,
    ) -> None:
        self.ts: Final = ts
        bid_depth = np.minimum(depth, bid)  # no bid level below one tick
        # per side: (side, lowest level, highest level, best, touch size)
        self.sides: Final = (
            (BookSide.BID, bid - bid_depth + 1, bid, bid, bid_size),
            (BookSide.ASK, ask, ask + depth - 1, ask, ask_size),
        )

    def __len__(self) -> int:
        return len(self.ts)


class _Rows:
    """Book rows of one kind on one side, grouped by event: ``count`` rows for ``event`` at
    prices ``first, first + 1, ...`` (ticks), sized by ``rule`` (``_DELETE``, ``_ENTER``, or
    ``_GIVEN`` with ``size`` in lots per event)."""

    def __init__(
        self,
        event: Int64Array,
        count: Int64Array,
        first: Int64Array,
        side: int,
        rule: int,
        size: Int64Array | None = None,
    ) -> None:
        keep = np.flatnonzero(count > 0)
        self.event: Final = event[keep]
        self.count: Final = count[keep]
        self.first: Final = first[keep]
        self.side: Final = side
        self.rule: Final = rule
        self.size: Final = None if size is None else size[keep]
        self.single: Final = bool(np.all(self.count == 1))  # one row per event: no expansion


class BookBuilder:
    """Snapshot and level sets of one instrument's synthetic book (module docstring)."""

    def __init__(
        self,
        instrument_id: str,
        *,
        seed: int,
        tick_raw: int,
        lot_raw: int,
        deep_lots: int,
        churn: float,
    ) -> None:
        self.instrument_id: Final = instrument_id
        self.tick_raw: Final = tick_raw
        self.lot_raw: Final = lot_raw
        self.deep_lots: Final = deep_lots
        self.churn: Final = churn
        self.salt: Final = int(np.random.SeedSequence([seed, 1]).generate_state(1, np.uint64)[0])

    def snapshot(self, path: TopPath) -> BookSnapshot:
        """The book after the path's first event, as sequence 1."""
        levels: dict[int, list[tuple[int, int]]] = {}
        for side, lo, hi, best, touch in path.sides:
            prices = np.arange(int(lo[0]), int(hi[0]) + 1, dtype=np.int64)
            sizes = self._level_size(prices, side)
            sizes[prices == best[0]] = touch[0]
            levels[side] = [
                (int(p) * self.tick_raw, int(s) * self.lot_raw)
                for p, s in zip(prices, sizes, strict=True)
            ]
        return BookSnapshot(
            self.instrument_id, int(path.ts[0]), 1, levels[BookSide.BID], levels[BookSide.ASK]
        )

    def changes(
        self, rng: np.random.Generator, path: TopPath, first_event: int, out: BookBuffer
    ) -> None:
        """Append to ``out`` the level sets taking the book from the path's event 0 (already
        shown) through its last event; path event ``j`` is market event ``first_event + j``
        (sequence one more)."""
        groups: list[_Rows] = []
        for side, lo, hi, best, touch in path.sides:
            groups.extend(self._side_rows(side, lo, hi, best, touch))
        groups.extend(self._churn_rows(rng, path))
        self._assemble(path, groups, first_event, out)

    def _refresh_rows(self, path: TopPath, per_event: Int64Array) -> _Rows:
        """For events that changed no level, the best bid set to its unchanged size: every
        event is one venue update, so sequences stay contiguous, one per quote."""
        event = np.flatnonzero(per_event[1:] == 0) + 1
        side, _, _, best, touch = path.sides[0]
        ones = np.ones(len(event), dtype=np.int64)
        return _Rows(event, ones, best[event], side, _GIVEN, touch[event])

    def _level_size(self, price: Int64Array, side: int) -> Int64Array:
        """The resting size (lots) of a deeper level: a hash of price, side and seed."""
        x = price.astype(np.uint64) * np.uint64(2) + np.uint64(1 if side == BookSide.ASK else 0)
        x ^= np.uint64(self.salt)
        x *= np.uint64(0x9E3779B97F4A7C15)
        x ^= x >> np.uint64(29)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(32)
        x %= np.uint64(2 * self.deep_lots - 1)
        size: Int64Array = x.astype(np.int64) + 1
        return size

    def _side_rows(
        self, side: int, lo: Int64Array, hi: Int64Array, best: Int64Array, touch: Int64Array
    ) -> list[_Rows]:
        # the window moves on few events: work on those only
        event = np.flatnonzero((lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])) + 1
        lo0, hi0, lo1, hi1 = lo[event - 1], hi[event - 1], lo[event], hi[event]
        best0, best1 = best[event - 1], best[event]
        above_new = np.maximum(lo0, hi1 + 1)
        above_old = np.maximum(lo1, hi0 + 1)
        rows = [
            # levels that left the window: below / above the new one
            _Rows(event, np.minimum(hi0, lo1 - 1) - lo0 + 1, lo0, side, _DELETE),
            _Rows(event, hi0 - above_new + 1, above_new, side, _DELETE),
            # levels that entered it
            _Rows(event, np.minimum(hi1, lo0 - 1) - lo1 + 1, lo1, side, _ENTER),
            _Rows(event, hi1 - above_old + 1, above_old, side, _ENTER),
        ]
        moved = best1 != best0
        old_best_kept = moved & (best0 >= lo1) & (best0 <= hi1)
        deep = self._level_size(best0, side)
        rows.append(_Rows(event, old_best_kept.astype(np.int64), best0, side, _GIVEN, deep))
        # the best level, when it was already shown and its price or size changed (a best
        # that entered the window is set with the entering levels)
        resized = touch[1:] != touch[:-1]
        resized[event - 1] |= moved
        resized[event - 1] &= (best1 >= lo0) & (best1 <= hi0)
        changed = np.flatnonzero(resized) + 1
        ones = np.ones(len(changed), dtype=np.int64)
        rows.append(_Rows(changed, ones, best[changed], side, _GIVEN, touch[changed]))
        return rows

    def _churn_rows(self, rng: np.random.Generator, path: TopPath) -> list[_Rows]:
        event = np.flatnonzero(rng.random(len(path)) < self.churn)
        event = event[event > 0]
        on_ask = rng.random(len(event)) < 0.5
        depth_pick = rng.random(len(event))
        fresh = rng.integers(1, 2 * self.deep_lots, len(event), dtype=np.int64)
        rows: list[_Rows] = []
        for side, lo, hi, best, _ in path.sides:
            mine = on_ask if side == BookSide.ASK else ~on_ask
            ev = event[mine]
            levels = hi[ev] - lo[ev] + 1
            offset = 1 + np.floor(depth_pick[mine] * (levels - 1)).astype(np.int64)
            price = best[ev] - offset if side == BookSide.BID else best[ev] + offset
            entered = (price < lo[ev - 1]) | (price > hi[ev - 1])
            keep = (levels > 1) & ~entered & (price != best[ev - 1])
            rows.append(_Rows(ev, keep.astype(np.int64), price, side, _GIVEN, fresh[mine]))
        return rows

    def _assemble(
        self, path: TopPath, groups: list[_Rows], first_event: int, out: BookBuffer
    ) -> None:
        """Place every group's rows so that the rows of one event sit together, in event order
        (a counting sort), straight into ``out``."""
        per_event = np.zeros(len(path), dtype=np.int64)
        for group in groups:
            per_event[group.event] += group.count
        refresh = self._refresh_rows(path, per_event)
        groups.append(refresh)
        per_event[refresh.event] += 1
        offsets = np.cumsum(per_event)
        offsets -= per_event
        total = int(offsets[-1] + per_event[-1])
        del per_event
        out_ts, out_side, out_price, out_size, out_event = out.reserve(total)
        best_of = {side: (best, touch) for side, _, _, best, touch in path.sides}
        for group in groups:
            start = offsets[group.event]
            offsets[group.event] += group.count
            if group.single:
                position, event, price, size = start, group.event, group.first, group.size
            else:
                within = np.arange(int(group.count.sum()), dtype=np.int64)
                within -= np.repeat(np.cumsum(group.count) - group.count, group.count)
                position = np.repeat(start, group.count) + within
                event = np.repeat(group.event, group.count)
                price = np.repeat(group.first, group.count) + within
                size = None if group.size is None else np.repeat(group.size, group.count)
            if size is None:
                if group.rule == _DELETE:
                    size = np.zeros(len(position), dtype=np.int64)
                else:
                    best, touch = best_of[group.side]
                    size = self._level_size(price, group.side)
                    at_best = price == best[event]
                    size[at_best] = touch[event[at_best]]
            out_event[position] = event
            out_side[position] = group.side
            out_price[position] = price
            out_size[position] = size
        out_price *= self.tick_raw
        out_size *= self.lot_raw
        np.take(path.ts, out_event, out=out_ts)
        out_event += first_event + 1


class BookBuffer:
    """Growable columns of book rows, filled in place (``reserve`` hands out the next rows).
    Room that is reserved but never written costs address space, not memory."""

    def __init__(self, capacity: int) -> None:
        self.length = 0
        self._columns = _empty_columns(max(capacity, 1))

    def reserve(
        self, count: int
    ) -> tuple[Int64Array, Int8Array, Int64Array, Int64Array, Int64Array]:
        """Views of the next ``count`` rows: ts, side, price, size, sequence."""
        end = self.length + count
        capacity = len(self._columns[0])
        ts, side, price, size, sequence = self._columns
        if end > capacity:
            room, used = max(2 * capacity, end), self.length
            ts, side, price = (
                _grown(ts, used, room),
                _grown(side, used, room),
                _grown(price, used, room),
            )
            size, sequence = _grown(size, used, room), _grown(sequence, used, room)
            self._columns = (ts, side, price, size, sequence)
        lo, self.length = self.length, end
        return ts[lo:end], side[lo:end], price[lo:end], size[lo:end], sequence[lo:end]

    def events(self) -> BookEvents:
        ts, side, price, size, sequence = self._columns
        n = self.length
        return BookEvents(ts[:n], side[:n], price[:n], size[:n], sequence[:n])


def _grown(column: npt.NDArray[_Scalar], used: int, capacity: int) -> npt.NDArray[_Scalar]:
    grown: npt.NDArray[_Scalar] = np.empty(capacity, dtype=column.dtype)
    grown[:used] = column[:used]
    return grown


def _empty_columns(
    capacity: int,
) -> tuple[Int64Array, Int8Array, Int64Array, Int64Array, Int64Array]:
    return (
        np.empty(capacity, dtype=np.int64),
        np.empty(capacity, dtype=np.int8),
        np.empty(capacity, dtype=np.int64),
        np.empty(capacity, dtype=np.int64),
        np.empty(capacity, dtype=np.int64),
    )


def book_table(kind: str, instrument_id: str, book: BookEvents) -> pa.Table:
    """Book rows as a pyarrow table: ts_event, side, price, size, sequence; ``kind``, the
    instrument and the fixed-point scale in the schema metadata."""
    import pyarrow as pa

    metadata = {
        "tradebench_schema": "1",
        "kind": kind,
        "instrument_id": instrument_id,
        "fixed_point_scale": str(SCALE),
    }
    columns = {
        "ts_event": pa.array(book.ts, type=ts_type()),
        "side": pa.array(book.side, type=pa.int8()),
        "price": pa.array(book.price, type=pa.int64()),
        "size": pa.array(book.size, type=pa.int64()),
        "sequence": pa.array(book.sequence, type=pa.int64()),
    }
    schema = pa.schema(
        [pa.field(name, array.type, nullable=False) for name, array in columns.items()], metadata
    )
    return pa.Table.from_arrays(list(columns.values()), schema=schema)


def snapshot_events(snapshot: BookSnapshot) -> BookEvents:
    """A snapshot as book rows (one per level, all with the snapshot's time and sequence)."""
    levels = [(BookSide.BID, p, s) for p, s in snapshot.bids]
    levels += [(BookSide.ASK, p, s) for p, s in snapshot.asks]
    count = len(levels)
    return BookEvents(
        np.full(count, snapshot.ts_event, dtype=np.int64),
        np.array([side for side, _, _ in levels], dtype=np.int8),
        np.array([price for _, price, _ in levels], dtype=np.int64),
        np.array([size for _, _, size in levels], dtype=np.int64),
        np.full(count, snapshot.sequence, dtype=np.int64),
    )
