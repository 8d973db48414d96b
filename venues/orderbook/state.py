"""The order-book venue's own records: working orders with their queue estimate, per-instrument
state, and the memory of the liquidity our orders took. Raw integers only."""

from __future__ import annotations

from typing import Final, final

from core.book import BookSide, OrderBook
from core.commands import SubmitOrder
from core.enums import OrderSide, OrderType, TimeInForce
from core.instruments import Instrument
from venues.simulated.state import NetPosition


@final
class BookOrder:
    """An order accepted by the venue and still working."""

    def __init__(
        self, cmd: SubmitOrder, *, seq: int, venue_order_id: str, position: NetPosition
    ) -> None:
        self.strategy_id: Final = cmd.strategy_id
        self.client_order_id: Final = cmd.client_order_id
        self.instrument_id: Final = cmd.instrument_id
        self.side: Final = cmd.side
        self.is_buy: Final = cmd.side == OrderSide.BUY
        # the book side the order rests on, and the side it takes from
        self.own_side: Final = BookSide.BID if self.is_buy else BookSide.ASK
        self.far_side: Final = BookSide.ASK if self.is_buy else BookSide.BID
        self.is_market: Final = cmd.order_type == OrderType.MARKET
        self.time_in_force: Final = cmd.time_in_force
        self.immediate: Final = (
            cmd.time_in_force == TimeInForce.IOC or cmd.time_in_force == TimeInForce.FOK
        )
        self.reduce_only: Final = cmd.reduce_only
        self.seq: Final = seq  # arrival order: our own orders' time priority
        self.venue_order_id: Final = venue_order_id
        self.position: Final = position  # its strategy's net position in its instrument
        self.qty_raw: int = cmd.qty.raw
        self.price_raw: int = cmd.price.raw if cmd.price is not None else 0
        self.filled_raw: int = 0
        # True until the order has met the book once (it waits for the first book)
        self.fresh: bool = True
        # a limit resting in the queue at its price (a maker from then on)
        self.resting: bool = False
        # displayed size in front of it at its price, and the level size it expects to see
        # (the last one seen, less the prints at its price since)
        self.ahead_raw: int = 0
        self.level_seen_raw: int = 0
        self.closed: bool = False

    @property
    def leaves_raw(self) -> int:
        return self.qty_raw - self.filled_raw

    def __repr__(self) -> str:
        kind = "MARKET" if self.is_market else f"LIMIT {self.price_raw}"
        return (
            f"BookOrder({self.client_order_id} {OrderSide.name(self.side)} {kind} "
            f"qty={self.qty_raw} filled={self.filled_raw} ahead={self.ahead_raw})"
        )


@final
class Taken:
    """What our orders took from one displayed level, remembered while the level keeps the
    size it had when they took it (an update that changes the level ends the memory)."""

    def __init__(self, level_raw: int, taken_raw: int) -> None:
        self.level_raw: Final = level_raw
        self.taken_raw = taken_raw


@final
class InstrumentState:
    """One instrument at the venue: its grid, the book it matches on, its working orders."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument: Final = instrument
        self.instrument_id: Final = instrument.id
        self.lot_raw: Final = instrument.lot_size.raw
        self.book: OrderBook | None = None  # the kernel's book, from the first update on
        self.orders: list[BookOrder] = []  # in arrival order
        self.dirty: bool = False  # some order in ``orders`` closed: compact the list
        # price -> what we took there, per side of the book
        self.taken_bids: dict[int, Taken] = {}
        self.taken_asks: dict[int, Taken] = {}
        self.positions: dict[str, NetPosition] = {}

    def taken_on(self, side: int) -> dict[int, Taken]:
        return self.taken_bids if side == BookSide.BID else self.taken_asks

    def position_of(self, strategy_id: str) -> NetPosition:
        pos = self.positions.get(strategy_id)
        if pos is None:
            pos = NetPosition()
            self.positions[strategy_id] = pos
        return pos

    def compact(self) -> None:
        if self.dirty:
            self.orders = [o for o in self.orders if not o.closed]
            self.dirty = False
