"""Harnesses for the order-book venue: one drives it alone on a book the test builds by hand,
the other runs it inside the real kernel. Fixtures, not modules: the suite imports test files
with ``--import-mode=importlib``, where a test module cannot import a sibling.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from core.book import BookDelta, BookDeltas, BookSide, BookSnapshot, OrderBook
from core.clock import SimClock
from core.commands import CancelOrder, ModifyOrder, SubmitOrder
from core.data.binance import BinanceStream, read_binance_stream
from core.enums import OrderSide, OrderType, TimeInForce
from core.events import Event, OrderEvent, OrderFilled
from core.instruments import Instrument
from core.market import Aggressor, TradeTick
from core.values import Price, Qty
from venues.orderbook import OrderBookVenue, QueueModel
from venues.simulated import FeeModel, LatencyModel

MS = 1_000_000
T0 = 1_704_205_800_000_000_000
BUY = OrderSide.BUY
SELL = OrderSide.SELL
BINANCE_FILES = (
    "hftbacktest/binance_spot_btcusdt_20240808_stream.gz",
    "hftbacktest/binance_spot_btcusdt_20240809_stream.gz",
)

Level = tuple[str, str | int]  # (price, size) as text


def px(text: str) -> int:
    return Price.parse(text).raw


def qty(text: str | int) -> int:
    return Qty.parse(str(text)).raw


def book_instrument(iid: str = "TEST.BOOK") -> Instrument:
    return Instrument(
        instrument_id=iid, tick_size=Price.parse("0.01"), lot_size=Qty.of(1), quote_currency="USD"
    )


class BookHarness:
    """The venue alone on a hand-made book, in the order the kernel drives it: time first (due
    arrivals are delivered), then the book changes, then the venue reads it."""

    def __init__(
        self,
        *,
        fees: FeeModel | None = None,
        latency: LatencyModel | None = None,
        feed_latency_ns: int = 0,
        queue_model: int = QueueModel.PROPORTIONAL,
    ) -> None:
        self.instrument = book_instrument()
        self.iid = self.instrument.id
        self.venue = OrderBookVenue(
            "BOOK",
            fees=fees,
            latency=latency,
            feed_latency_ns=feed_latency_ns,
            queue_model=queue_model,
            instruments=[self.instrument],
        )
        self.clock = SimClock(T0)
        self.events: list[Event] = []
        self.venue.bind(self.events.append, self.clock)
        self.book = OrderBook(self.iid)
        self._seq = 0
        self._n = 0

    # time and data ---------------------------------------------------------------------------
    def at(self, ts: int) -> None:
        self.clock.set_time(ts)
        self.venue.on_time(ts)

    def snapshot(self, ts: int, bids: Sequence[Level], asks: Sequence[Level]) -> None:
        self.at(ts)
        self._seq += 1
        self.book.apply_snapshot(
            BookSnapshot(
                self.iid,
                ts,
                self._seq,
                [(px(p), qty(q)) for p, q in bids],
                [(px(p), qty(q)) for p, q in asks],
            )
        )
        self.venue.on_book(self.book)

    def update(self, ts: int, bids: Sequence[Level] = (), asks: Sequence[Level] = ()) -> None:
        """One venue update: each level's new size ("0" deletes it)."""
        self.at(ts)
        self._seq += 1
        deltas = [BookDelta(self.iid, ts, BookSide.BID, px(p), qty(q), self._seq) for p, q in bids]
        deltas += [BookDelta(self.iid, ts, BookSide.ASK, px(p), qty(q), self._seq) for p, q in asks]
        self.book.apply_deltas(BookDeltas(self.iid, ts, self._seq, deltas))
        self.venue.on_book(self.book)

    def trade(
        self, ts: int, price: str, size: str | int, aggressor: int = Aggressor.SELLER
    ) -> None:
        self.at(ts)
        self.venue.on_trade(TradeTick(self.iid, ts, px(price), qty(size), aggressor))

    # commands --------------------------------------------------------------------------------
    def submit(
        self,
        side: int,
        quantity: str | int,
        price: str | None = None,
        *,
        tif: int = TimeInForce.GTC,
        order_type: int = 0,
        trigger: str | None = None,
        reduce_only: bool = False,
    ) -> str:
        self._n += 1
        coid = f"O-{self._n}"
        kind = order_type or (OrderType.MARKET if price is None else OrderType.LIMIT)
        self.venue.submit(
            SubmitOrder(
                strategy_id="S1",
                client_order_id=coid,
                instrument_id=self.iid,
                side=side,
                order_type=kind,
                qty=Qty.parse(str(quantity)),
                price=Price.parse(price) if price is not None else None,
                trigger_price=Price.parse(trigger) if trigger is not None else None,
                time_in_force=tif,
                reduce_only=reduce_only,
                ts_init=self.clock.now_ns(),
            )
        )
        return coid

    def cancel(self, coid: str) -> None:
        self.venue.cancel(
            CancelOrder(
                strategy_id="S1",
                client_order_id=coid,
                instrument_id=self.iid,
                ts_init=self.clock.now_ns(),
            )
        )

    def modify(
        self, coid: str, *, quantity: str | int | None = None, price: str | None = None
    ) -> None:
        self.venue.modify(
            ModifyOrder(
                strategy_id="S1",
                client_order_id=coid,
                instrument_id=self.iid,
                ts_init=self.clock.now_ns(),
                qty=Qty.parse(str(quantity)) if quantity is not None else None,
                price=Price.parse(price) if price is not None else None,
            )
        )

    # reading the results ---------------------------------------------------------------------
    def fills(self, coid: str) -> list[tuple[str, str, str]]:
        """(quantity, price, MAKER/TAKER) of every fill of one order, as text."""
        return [
            (str(e.last_qty), str(e.last_px), "MAKER" if e.liquidity == 1 else "TAKER")
            for e in self.events
            if isinstance(e, OrderFilled) and e.client_order_id == coid
        ]

    def kinds(self, coid: str) -> list[str]:
        return [
            type(e).__name__
            for e in self.events
            if isinstance(e, OrderEvent) and e.client_order_id == coid
        ]

    def reasons(self, coid: str) -> list[str]:
        return [
            str(getattr(e, "reason", ""))
            for e in self.events
            if isinstance(e, OrderEvent) and e.client_order_id == coid and hasattr(e, "reason")
        ]

    def of(self, coid: str, cls: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, cls) and e.client_order_id == coid]

    def ahead(self, coid: str) -> str:
        return str(Qty(self.venue.queue_ahead_raw(coid)))


@pytest.fixture
def book_harness() -> type[BookHarness]:
    return BookHarness


@pytest.fixture(scope="session")
def binance_stream(shared_data: Path) -> BinanceStream:
    """Both Binance files, parsed once for the session."""
    paths = [shared_data / name for name in BINANCE_FILES]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        pytest.skip(f"Binance recording missing: {', '.join(missing)}")
    return read_binance_stream(paths)
