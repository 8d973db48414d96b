"""The compiled inner loop: columns of plain ints in, market-data objects through the kernel.

Feeds hand over data in chunks of Python lists (never one object per bar held in memory); this
loop builds each Bar / QuoteTick / TradeTick just before dispatch and samples equity.
"""

from __future__ import annotations

from typing import Final, final

from core.book import BookDelta, BookDeltas
from core.kernel import Kernel
from core.market import Bar, QuoteTick, TradeTick

BARS: Final = 1
QUOTES: Final = 2
TRADES: Final = 3
BOOK: Final = 4


@final
class ColumnChunk:
    """A run of events of one kind for one instrument, as parallel int lists.

    bars: c1..c5 = open, high, low, close, volume; quotes: bid, ask, bid size, ask size;
    trades: price, size, aggressor (c4, c5 unused and empty); book (L2 level changes, see
    ``core.book.BookDelta``): side (1 bid, -1 ask), price, new level size (0 deletes the level),
    sequence (rows sharing a sequence are one venue update, applied together), c5 unused.
    """

    def __init__(
        self,
        kind: int,
        instrument_id: str,
        ts: list[int],
        c1: list[int],
        c2: list[int],
        c3: list[int],
        c4: list[int],
        c5: list[int],
    ) -> None:
        self.kind: Final = kind
        self.instrument_id: Final = instrument_id
        self.ts: Final = ts
        self.c1: Final = c1
        self.c2: Final = c2
        self.c3: Final = c3
        self.c4: Final = c4
        self.c5: Final = c5
        self.pos = 0

    def __len__(self) -> int:
        return len(self.ts)


def book_update_end(chunk: ColumnChunk, i: int) -> int:
    """The row after the last one of the book update that row ``i`` belongs to (rows of one
    update share a sequence and sit together; a chunk never splits one)."""
    seqs = chunk.c4
    sequence = seqs[i]
    n = len(seqs)
    j = i + 1
    while j < n and seqs[j] == sequence:
        j += 1
    return j


def event_at(chunk: ColumnChunk, i: int, ts: int) -> Bar | QuoteTick | TradeTick | BookDeltas:
    """Row ``i`` of a chunk as a market-data object stamped ``ts`` (live replays restamp); on a
    book chunk, the whole update starting at row ``i``."""
    kind = chunk.kind
    if kind == BOOK:
        iid = chunk.instrument_id
        sequence = chunk.c4[i]
        deltas = [
            BookDelta(iid, ts, chunk.c1[k], chunk.c2[k], chunk.c3[k], sequence)
            for k in range(i, book_update_end(chunk, i))
        ]
        return BookDeltas(iid, ts, sequence, deltas)
    if kind == BARS:
        return Bar(
            chunk.instrument_id, ts, chunk.c1[i], chunk.c2[i], chunk.c3[i], chunk.c4[i], chunk.c5[i]
        )
    if kind == QUOTES:
        return QuoteTick(
            chunk.instrument_id, ts, chunk.c1[i], chunk.c2[i], chunk.c3[i], chunk.c4[i]
        )
    return TradeTick(chunk.instrument_id, ts, chunk.c1[i], chunk.c2[i], chunk.c3[i])


@final
class Replayer:
    """Pushes chunks through a kernel (whose clock the events drive).

    It records nothing per event: the equity curve is rebuilt afterwards from the account
    ledgers and the data (``core.equity``).
    """

    def __init__(self, kernel: Kernel) -> None:
        self.kernel: Final = kernel
        self.events = 0
        self.last_ts = 0

    def replay(self, chunk: ColumnChunk, until_ts: int = -1) -> None:
        """Dispatch the chunk's remaining events (only those with ts <= ``until_ts`` if given)."""
        end = len(chunk.ts)
        if until_ts >= 0:
            end = chunk.pos
            ts = chunk.ts
            while end < len(ts) and ts[end] <= until_ts:
                end += 1
        start = chunk.pos
        kind = chunk.kind
        if kind == BARS:
            # the hot loops of a backtest, kept free of per-event calls and branches
            kernel = self.kernel
            iid = chunk.instrument_id
            ts, o, h, lo, c, v = chunk.ts, chunk.c1, chunk.c2, chunk.c3, chunk.c4, chunk.c5
            for i in range(start, end):
                kernel.on_bar(Bar(iid, ts[i], o[i], h[i], lo[i], c[i], v[i]))
        elif kind == QUOTES:
            kernel = self.kernel
            iid = chunk.instrument_id
            ts, bid, ask, bsz, asz = chunk.ts, chunk.c1, chunk.c2, chunk.c3, chunk.c4
            for i in range(start, end):
                kernel.on_quote(QuoteTick(iid, ts[i], bid[i], ask[i], bsz[i], asz[i]))
        elif kind == BOOK:
            # one kernel call per venue update; the rows are applied straight from the columns
            kernel = self.kernel
            iid = chunk.instrument_id
            ts, sides, prices, sizes, seqs = chunk.ts, chunk.c1, chunk.c2, chunk.c3, chunk.c4
            i = start
            while i < end:
                sequence = seqs[i]
                j = i + 1
                while j < end and seqs[j] == sequence:
                    j += 1
                kernel.on_book_rows(iid, ts[i], sequence, sides, prices, sizes, i, j)
                i = j
        else:
            for i in range(start, end):
                self._dispatch(chunk, kind, i)
        chunk.pos = end
        if end > start:
            self.events += end - start
            self.last_ts = chunk.ts[end - 1]

    def replay_merged(
        self, chunks: list[ColumnChunk], order: list[int], start: int = 0, until_ts: int = -1
    ) -> int:
        """Dispatch events from several chunks in the given interleaving (chunk indices), from
        ``order[start]`` on, stopping before the first event after ``until_ts`` if given.
        Returns the index in ``order`` where it stopped."""
        n = len(order)
        j = start
        while j < n:
            chunk = chunks[order[j]]
            i = chunk.pos
            if until_ts >= 0 and chunk.ts[i] > until_ts:
                return j
            if chunk.kind == BOOK:
                # the rows of one update share a time, so they are next to each other in order
                e = book_update_end(chunk, i)
                iid = chunk.instrument_id
                seq = chunk.c4[i]
                self.kernel.on_book_rows(iid, chunk.ts[i], seq, chunk.c1, chunk.c2, chunk.c3, i, e)
                chunk.pos = e
                self.events += e - i
                self.last_ts = chunk.ts[i]
                j += e - i
                continue
            self._dispatch(chunk, chunk.kind, i)
            chunk.pos = i + 1
            self.events += 1
            self.last_ts = chunk.ts[i]
            j += 1
        return n

    def _dispatch(self, chunk: ColumnChunk, kind: int, i: int) -> None:
        ts = chunk.ts[i]
        kernel = self.kernel
        if kind == BARS:
            kernel.on_bar(
                Bar(
                    chunk.instrument_id,
                    ts,
                    chunk.c1[i],
                    chunk.c2[i],
                    chunk.c3[i],
                    chunk.c4[i],
                    chunk.c5[i],
                )
            )
        elif kind == QUOTES:
            kernel.on_quote(
                QuoteTick(
                    chunk.instrument_id, ts, chunk.c1[i], chunk.c2[i], chunk.c3[i], chunk.c4[i]
                )
            )
        else:
            kernel.on_trade(
                TradeTick(chunk.instrument_id, ts, chunk.c1[i], chunk.c2[i], chunk.c3[i])
            )
