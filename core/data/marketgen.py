"""A seeded synthetic market: quote ticks, trade ticks, bars and an L2 book, with volatility
regimes and named stress scenarios.

Time runs on a grid of one-second slots (``SLOT_NS``); everything that describes the market's
state (regime, volatility, event rate, spread, depth, sizes, scenario overlays) is a per-slot
array, and each event looks up its slot. Nothing loops per event: generation is numpy, in blocks
of about 65,536 events (``_BLOCK_EVENTS``, whole slots) that hand their last state (walk, held
spread, touch sizes, last quote) to the next, so the scratch memory stays a few MB whatever the
length. A Python loop runs once per block and once per regime run.

Events. In slot ``j`` the number of events is ``Poisson(rate_j x 1 s)`` (a Poisson process whose
intensity is constant within a slot); inside the slot the events are the order statistics of
uniforms, drawn as normalised sums of exponential spacings (sorted without a sort). Each event
is one quote tick, and one book update; with probability ``trade_probability`` (times the slot's
overlay) a trade prints right after it, at the same timestamp.

Mid price (log, in ticks). ``x_i = x_0 + sum_{m<=i} (sigma_m sqrt(dt_m) Z_m - sigma_m^2 dt_m / 2)
+ offset(slot_i)`` with ``Z ~ N(0, 1)``, ``dt`` the time since the previous event in seconds of
trading time, ``sigma`` the slot's volatility per root second (annual / sqrt(365.25 x 86400)),
and ``offset`` the slot's cumulative log jumps plus the scenario's deterministic path.

Quotes. Spread in ticks ``s_i = max(1, rint(spread_ticks x REGIME_SPREAD x overlay)) + e_i``
where ``e`` is a held extra (redrawn with probability 0.1 per event from ``Geometric(0.6) - 1``).
``bid = max(1, floor(mid - s/2 + 1/2))``, ``ask = bid + s``: never crossed nor locked.

Touch sizes (lots). Each event updates the book on one side (either with probability 1/2). Per
side, a new best price starts at a fresh ``max(1, rint(Geometric(1/touch_lots) x size
overlay))``; while the best price stays, the displayed size follows the Lindley recursion
``q_i = max(1, q_{i-1} + u_i - w_{i-1})``: ``u_i`` (refills minus cancels) is uniform on the
integers ``[-3, 3 + 2m]``, ``m = rint(trade_probability x trade_lots)``, on the updated side (0
on the other), and ``w_{i-1}`` is what the previous event's print wanted from this side. The
floor of one lot stands for hidden size that refills an emptied touch. A print wants
``w ~ Geometric(1/trade_lots)`` lots and takes ``min(w, q)``, at the ask when buyer-initiated,
at the bid when seller-initiated. The aggressor is a buyer with probability 0.7 after an
up-move of the mid (bid + ask), 0.3 after a down-move, ``1 - sell_bias`` (0.5 unless a
scenario sets it) otherwise.

Book (L2), built by ``core.data.bookgen`` from the quotes: ``depth`` contiguous levels per side
(``depth_levels x overlay``, at least 1), the touch sizes above at the best, a price-fixed size
deeper, occasional churn; an initial snapshot (sequence 1, after event 0) and L2 level sets in
which every row of event ``i`` carries sequence ``i + 1``. After each whole update the best
bid/ask and sizes equal quote ``i`` exactly and the book is never crossed.

Bars are the trades resampled (``core.data.resample_trades``) into ``bar_period_s`` bars aligned
to the start.

The model's state over time (regimes, scenarios) is ``core.data.marketmodel``.

Reproducibility: the seed feeds a ``numpy.random.SeedSequence`` whose children drive one
``PCG64`` stream per purpose; the same model and seed give bit-identical arrays.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from core.book import BookSnapshot
from core.data.bookgen import (
    BookBuffer,
    BookBuilder,
    BookEvents,
    TopPath,
    book_table,
    snapshot_events,
)
from core.data.marketmodel import (
    CALM,
    NEWS,
    SCENARIOS,
    SLOT_NS,
    VOLATILE,
    MarketModel,
    MarketState,
)
from core.data.resample import resample_trades
from core.data.series import BarSeries, QuoteSeries, TradeSeries
from core.replay import BOOK, ColumnChunk
from core.values import raw_from_str

if TYPE_CHECKING:
    import pyarrow as pa

# the generator's public face: the model's names come along with it
__all__ = [
    "CALM",
    "NEWS",
    "SCENARIOS",
    "VOLATILE",
    "MarketModel",
    "SyntheticMarket",
    "generate_market",
]

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class SyntheticMarket:
    """What ``generate_market`` produced for one instrument."""

    def __init__(
        self,
        *,
        model: MarketModel,
        seed: int,
        quotes: QuoteSeries,
        trades: TradeSeries,
        bars: BarSeries,
        regime: npt.NDArray[np.int8],
        snapshot: BookSnapshot | None,
        book: BookEvents | None,
    ) -> None:
        self.model: Final = model
        self.seed: Final = seed
        self.instrument_id: Final = model.instrument_id
        self.quotes: Final = quotes
        self.trades: Final = trades
        self.bars: Final = bars
        self.regime: Final = regime  # per quote: CALM, VOLATILE or NEWS
        self._snapshot = snapshot
        self._book = book

    @property
    def ticks(self) -> int:
        """Quote ticks plus trade ticks."""
        return len(self.quotes) + len(self.trades)

    def series(self) -> list[QuoteSeries | TradeSeries | BarSeries]:
        """Quotes, trades, bars: the order a feed needs (a quote before its print at equal time,
        a bar after its ticks)."""
        return [self.quotes, self.trades, self.bars]

    def book_snapshot(self) -> BookSnapshot:
        """The book after the first event (sequence 1), before any ``book_events`` row."""
        if self._snapshot is None:
            raise ValueError("this market was generated without a book (with_book=False)")
        return self._snapshot

    def book_events(self) -> BookEvents:
        """The level sets after the snapshot (sequences 2, 3, ...; see ``core.data.bookgen``)."""
        if self._book is None:
            raise ValueError("this market was generated without a book (with_book=False)")
        return self._book

    def book_chunks(self, chunk_size: int = 65_536) -> Iterator[ColumnChunk]:
        """The level sets as ``core.replay.BOOK`` chunks of about ``chunk_size`` rows, cut only
        between sequences (a venue update never spans two chunks)."""
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        book = self.book_events()
        starts = np.flatnonzero(np.diff(book.sequence)) + 1
        lo = 0
        while lo < len(book):
            cut = int(np.searchsorted(starts, lo + chunk_size, side="left"))
            hi = int(starts[cut]) if cut < len(starts) else len(book)
            unused: list[int] = []
            yield ColumnChunk(
                BOOK,
                self.instrument_id,
                book.ts[lo:hi].tolist(),
                book.side[lo:hi].astype(np.int64).tolist(),
                book.price[lo:hi].tolist(),
                book.size[lo:hi].tolist(),
                book.sequence[lo:hi].tolist(),
                unused,
            )
            lo = hi

    def book_table(self) -> pa.Table:
        """The level sets as a pyarrow table (``core.data.bookgen.book_table``)."""
        return book_table("book_deltas", self.instrument_id, self.book_events())

    def snapshot_table(self) -> pa.Table:
        """The initial book as a table with the same columns, one row per level."""
        return book_table(
            "book_snapshot", self.instrument_id, snapshot_events(self.book_snapshot())
        )


def generate_market(model: MarketModel, *, seed: int) -> SyntheticMarket:
    """Generate the market ``model`` describes (see the module docstring)."""
    tick_raw = raw_from_str(model.tick, "tick")
    lot_raw = raw_from_str(model.lot, "lot")
    start_raw = raw_from_str(model.start_price, "start price")
    if tick_raw <= 0 or lot_raw <= 0:
        raise ValueError("tick and lot must be positive")
    if start_raw <= tick_raw or start_raw % tick_raw:
        raise ValueError(
            f"start price {model.start_price} must be a multiple of the tick {model.tick} "
            "above one tick"
        )
    streams = _Streams(seed)
    state = MarketState(model, streams.regime, streams.jump)
    counts = streams.count.poisson(state.rate)
    total = int(counts.sum())
    if total < 2:
        raise ValueError("the market produced fewer than 2 events: lengthen the duration")
    out = _Output(total, tick_raw, lot_raw)
    builder = (
        BookBuilder(
            model.instrument_id,
            seed=seed,
            tick_raw=tick_raw,
            lot_raw=lot_raw,
            deep_lots=model.deep_lots,
            churn=model.churn,
        )
        if model.with_book
        else None
    )
    carry = _Carry(model, math.log(start_raw // tick_raw))
    event_end = np.cumsum(counts)
    targets = np.arange(_BLOCK_EVENTS, total, _BLOCK_EVENTS)
    bounds = np.unique(
        np.concatenate(([0], np.searchsorted(event_end, targets, side="left") + 1, [len(counts)]))
    )
    snapshot: BookSnapshot | None = None
    # about two rows per event for the default model; the buffer grows if it needs more
    book = BookBuffer(3 * total) if builder is not None else None
    for slot_lo, slot_hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        lo = int(event_end[slot_lo - 1]) if slot_lo > 0 else 0
        hi = int(event_end[slot_hi - 1])
        if hi == lo:
            continue
        path = _block(model, state, streams, counts[slot_lo:slot_hi], slot_lo, carry, out, lo)
        if builder is not None and book is not None:
            if snapshot is None:
                snapshot = builder.snapshot(path)
                builder.changes(streams.churn, path, lo, book)
            else:
                builder.changes(streams.churn, path, lo - 1, book)
    n_trades = out.trades
    quotes = QuoteSeries(
        instrument_id=model.instrument_id,
        ts_event=out.ts,
        bid=out.bid,
        ask=out.ask,
        bid_size=out.bid_size,
        ask_size=out.ask_size,
    )
    trades = TradeSeries(
        instrument_id=model.instrument_id,
        ts_event=out.trade_ts[:n_trades],
        price=out.trade_price[:n_trades],
        size=out.trade_size[:n_trades],
        aggressor=out.aggressor[:n_trades],
    )
    bars = resample_trades(trades, round(model.bar_period_s * 1e9), origin_ns=model.start_ns)
    return SyntheticMarket(
        model=model,
        seed=seed,
        quotes=quotes,
        trades=trades,
        bars=bars,
        regime=out.regime,
        snapshot=snapshot,
        book=book.events() if book is not None else None,
    )


_BLOCK_EVENTS: Final = 65_536
"""Events generated at a time: the scratch arrays stay small (a few MB, reused by the
allocator instead of fresh pages for every array of a 10-million-event run)."""


class _Streams:
    """One independent ``PCG64`` stream per purpose, children of the seed's ``SeedSequence``."""

    def __init__(self, seed: int) -> None:
        rngs = [
            np.random.Generator(np.random.PCG64(child))
            for child in np.random.SeedSequence(seed).spawn(10)
        ]
        self.regime: Final = rngs[0]
        self.jump: Final = rngs[1]
        self.count: Final = rngs[2]
        self.time: Final = rngs[3]
        self.move: Final = rngs[4]
        self.spread: Final = rngs[5]
        self.trade: Final = rngs[6]
        self.side: Final = rngs[7]
        self.size: Final = rngs[8]
        self.churn: Final = rngs[9]


class _Output:
    """The quote and trade columns (quotes: one row per event; trades: up to one per event,
    ``trades`` filled so far) in raw units, filled block by block."""

    def __init__(self, total: int, tick_raw: int, lot_raw: int) -> None:
        self.tick_raw = tick_raw
        self.lot_raw = lot_raw
        self.ts = np.empty(total, dtype=np.int64)
        self.bid = np.empty(total, dtype=np.int64)
        self.ask = np.empty(total, dtype=np.int64)
        self.bid_size = np.empty(total, dtype=np.int64)
        self.ask_size = np.empty(total, dtype=np.int64)
        self.regime = np.empty(total, dtype=np.int8)
        # sized for the worst case; only the pages written are ever touched
        self.trade_ts = np.empty(total, dtype=np.int64)
        self.trade_price = np.empty(total, dtype=np.int64)
        self.trade_size = np.empty(total, dtype=np.int64)
        self.aggressor = np.empty(total, dtype=np.int8)
        self.trades = 0


class _Carry:
    """The state one block hands to the next: the walk, the held spread extra, the touch of
    each side and the last event (the book's starting point for the next block)."""

    def __init__(self, model: MarketModel, log_start: float) -> None:
        self.log_mid = log_start  # before the slot offset
        self.trading_ts = model.start_ns
        self.spread_extra = 0
        self.mid2 = -1  # bid + ask of the last event (-1: none yet)
        self.best = [0, 0]  # bid, ask (0: no level yet)
        self.size = [0, 0]
        self.taken = [0, 0]
        # ts, bid, ask, bid size, ask size, depth of the last event (None before the first)
        self.last: tuple[Int64Array, ...] | None = None


def _block(
    model: MarketModel,
    state: MarketState,
    streams: _Streams,
    counts: Int64Array,
    slot_lo: int,
    carry: _Carry,
    out: _Output,
    lo: int,
) -> TopPath:
    """Generate the events of slots ``slot_lo ..`` (``counts`` per slot) into ``out`` from row
    ``lo``; return their top-of-book path, preceded by the previous block's last event."""
    n = int(counts.sum())
    hi = lo + n
    slot = np.repeat(np.arange(slot_lo, slot_lo + len(counts), dtype=np.int64), counts)
    trading_ts = _event_times(streams.time, counts, slot, slot_lo, model.start_ns)
    ts = out.ts[lo:hi]
    np.add(trading_ts, state.closure[slot], out=ts)

    dt = np.diff(trading_ts, prepend=carry.trading_ts).astype(np.float64)
    carry.trading_ts = int(trading_ts[-1])
    dt *= 1e-9
    sigma = state.sigma[slot]
    step = streams.move.standard_normal(n)
    step *= sigma
    sigma *= sigma
    sigma *= dt
    sigma *= 0.5
    np.sqrt(dt, out=dt)
    step *= dt
    step -= sigma
    step[0] += carry.log_mid
    x = np.cumsum(step, out=step)
    carry.log_mid = float(x[-1])
    x += state.offset[slot]
    mid = np.exp(x, out=x)

    spread = _spreads(streams.spread, state.spread[slot], carry)
    mid -= 0.5 * spread
    mid += 0.5
    np.floor(mid, out=mid)
    np.maximum(mid, 1.0, out=mid)
    bid = mid.astype(np.int64)
    ask = bid + spread
    mid2 = bid + ask
    up = np.sign(np.diff(mid2, prepend=mid2[0] if carry.mid2 < 0 else carry.mid2))
    carry.mid2 = int(mid2[-1])

    trade = streams.trade.random(n) < state.trade_probability[slot]
    p_buy = np.where(up > 0, 0.7, np.where(up < 0, 0.3, 1.0 - state.sell_bias[slot]))
    buy = streams.side.random(n) < p_buy
    wanted = streams.size.geometric(1.0 / model.trade_lots, n).astype(np.int64)
    wanted[~trade] = 0
    size_mult = state.size[slot]
    on_ask = streams.side.random(n) < 0.5
    sizes = (np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64))
    for index, best, taken, updated in (
        (0, bid, np.where(buy, 0, wanted), ~on_ask),
        (1, ask, np.where(buy, wanted, 0), on_ask),
    ):
        _touch_sizes(
            streams.size, best, taken, updated, size_mult, model, carry, index, sizes[index]
        )

    printed = np.flatnonzero(trade)
    first, last = out.trades, out.trades + len(printed)
    out.trades = last
    buyers = buy[printed]
    out.trade_ts[first:last] = ts[printed]
    price = np.where(buyers, ask[printed], bid[printed])
    np.multiply(price, out.tick_raw, out=out.trade_price[first:last])
    taken = np.minimum(wanted[printed], np.where(buyers, sizes[1][printed], sizes[0][printed]))
    np.multiply(taken, out.lot_raw, out=out.trade_size[first:last])
    out.aggressor[first:last] = np.where(buyers, 1, 2)
    out.regime[lo:hi] = state.regime[slot]
    np.multiply(bid, out.tick_raw, out=out.bid[lo:hi])
    np.multiply(ask, out.tick_raw, out=out.ask[lo:hi])
    np.multiply(sizes[0], out.lot_raw, out=out.bid_size[lo:hi])
    np.multiply(sizes[1], out.lot_raw, out=out.ask_size[lo:hi])

    depth = np.rint(state.depth[slot]).astype(np.int64)
    columns: tuple[Int64Array, ...] = (ts, bid, ask, sizes[0], sizes[1], depth)
    previous, carry.last = carry.last, tuple(column[-1:].copy() for column in columns)
    if previous is not None:
        columns = tuple(np.concatenate((p, c)) for p, c in zip(previous, columns, strict=True))
    return TopPath(*columns)


def _event_times(
    rng: np.random.Generator, counts: Int64Array, slot: Int64Array, slot_lo: int, start_ns: int
) -> Int64Array:
    """Times of the events of slots ``slot_lo ..``: uniform order statistics inside each slot,
    as normalised sums of exponential spacings (the j-th slot of the block uses spacings
    ``first_j + j .. first_j + j + counts_j``, the last one closing the slot)."""
    local = slot - slot_lo
    first = np.cumsum(counts) - counts
    base = first + np.arange(len(counts))
    spacing = np.cumsum(rng.standard_exponential(len(slot) + len(counts)))
    before = np.concatenate(([0.0], spacing[:-1]))[base]
    total = spacing[base + counts] - before
    k = np.arange(len(slot), dtype=np.int64) - first[local]
    share = spacing[base[local] + k]
    share -= before[local]
    share /= total[local]
    share *= SLOT_NS
    offset: Int64Array = share.astype(np.int64)
    np.minimum(offset, SLOT_NS - 1, out=offset)
    offset += slot * SLOT_NS
    offset += start_ns
    return offset


def _spreads(rng: np.random.Generator, base: FloatArray, carry: _Carry) -> Int64Array:
    """Spread in ticks per event: the slot's base (at least one tick) plus a held extra."""
    spread = np.maximum(np.rint(base), 1.0).astype(np.int64)
    redraw = rng.random(len(base)) < 0.1
    if carry.last is None:
        redraw[0] = True
    extra = np.concatenate(
        ([carry.spread_extra], rng.geometric(0.6, int(redraw.sum())).astype(np.int64) - 1)
    )
    spread += extra[np.cumsum(redraw)]
    carry.spread_extra = int(extra[-1])
    return spread


def _touch_sizes(
    rng: np.random.Generator,
    best: Int64Array,
    taken: Int64Array,
    updated: BoolArray,
    size_mult: FloatArray,
    model: MarketModel,
    carry: _Carry,
    index: int,
    out: Int64Array,
) -> None:
    """Displayed size (lots) at the best price of one side (``index`` 0 bid, 1 ask) per event,
    into ``out``: ``taken`` is what each event's print took from this side, ``updated`` marks
    the events that refill or cancel on it (module docstring)."""
    count = len(best)
    new_level = np.empty(count, dtype=np.bool_)
    new_level[0] = best[0] != carry.best[index]
    np.not_equal(best[1:], best[:-1], out=new_level[1:])
    starts = np.flatnonzero(new_level)
    fresh = rng.geometric(1.0 / model.touch_lots, len(starts)) * size_mult[starts]
    fresh = np.maximum(np.rint(fresh), 1.0).astype(np.int64)
    mean = round(model.trade_probability * model.trade_lots)
    change = rng.integers(-3, 4 + 2 * mean, count, dtype=np.int64)
    change[~updated] = 0
    change[0] -= carry.taken[index]
    change[1:] -= taken[:-1]
    change[starts] = 0  # a new level starts at its fresh size
    walk = np.cumsum(change)
    run = np.cumsum(new_level, dtype=np.int64)  # 0: the level the previous block ended on
    start_size = np.concatenate(([carry.size[index]], fresh))
    start_walk = np.concatenate(([0], walk[starts]))
    level = start_size[run]
    level += walk
    level -= start_walk[run]
    # the floor at one lot (Lindley): add the largest shortfall below 1 so far in the run; the
    # running maximum restarts at each run because later runs are lifted above earlier ones
    shortfall = 1 - level
    lift = int(shortfall.max() - shortfall.min()) + 1
    run *= lift
    shortfall += run
    np.maximum.accumulate(shortfall, out=shortfall)
    shortfall -= run
    np.maximum(shortfall, 0, out=shortfall)
    np.add(level, shortfall, out=out)
    carry.best[index] = int(best[-1])
    carry.size[index] = int(out[-1])
    carry.taken[index] = int(taken[-1])
