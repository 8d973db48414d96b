"""The matching engine's own records: working orders, per-instrument books, messages in flight.

These are internal to the simulated venue (the kernel keeps its own ``core.orders.Order``); they
hold raw integers only, so the matching loops never touch a ``Price`` or ``Qty`` object.
"""

from __future__ import annotations

from typing import Final, final

from core.commands import CancelOrder, ModifyOrder, SubmitOrder
from core.enums import OrderSide, OrderType, TimeInForce
from core.instruments import Instrument
from core.market import Bar, QuoteTick, TradeTick

NO_CAP: Final = -1  # a size budget that does not limit

# the finest market data an instrument has received (an instrument matches on that data only)
LEVEL_NONE: Final = 0
LEVEL_BARS: Final = 1
LEVEL_TRADES: Final = 2
LEVEL_QUOTES: Final = 3


@final
class NetPosition:
    """A strategy's signed net quantity (raw) in one instrument, as the venue's own fills made it.

    Each working order holds its cell, so a fill updates it without a dictionary lookup.
    """

    def __init__(self) -> None:
        self.raw = 0


@final
class WorkingOrder:
    """An order accepted by the venue and still working (raw integer prices and quantities)."""

    def __init__(
        self,
        cmd: SubmitOrder,
        *,
        seq: int,
        venue_order_id: str,
        arrival_ns: int,
        expiry_ns: int,
        position: NetPosition,
    ) -> None:
        self.strategy_id: Final = cmd.strategy_id
        self.client_order_id: Final = cmd.client_order_id
        self.instrument_id: Final = cmd.instrument_id
        self.side: Final = cmd.side
        self.is_buy: Final = cmd.side == OrderSide.BUY
        self.order_type: Final = cmd.order_type
        self.time_in_force: Final = cmd.time_in_force
        self.immediate: Final = (
            cmd.time_in_force == TimeInForce.IOC or cmd.time_in_force == TimeInForce.FOK
        )
        self.reduce_only: Final = cmd.reduce_only
        self.seq: Final = seq  # arrival order: priority between equal matching opportunities
        self.venue_order_id: Final = venue_order_id
        self.arrival_ns: Final = arrival_ns
        self.expiry_ns: Final = expiry_ns  # 0: does not expire
        self.position: Final = position  # its strategy's net position in its instrument
        self.qty_raw: int = cmd.qty.raw
        self.price_raw: int = cmd.price.raw if cmd.price is not None else 0
        self.trigger_raw: int = cmd.trigger_price.raw if cmd.trigger_price is not None else 0
        self.filled_raw: int = 0
        self.triggered: bool = False
        # True until the order has had its first matching opportunity (IOC/FOK get only that one)
        self.fresh: bool = True
        # a limit that crossed the market when it arrived takes liquidity on its first fill
        self.marketable: bool = False
        self.closed: bool = False

    @property
    def leaves_raw(self) -> int:
        return self.qty_raw - self.filled_raw

    @property
    def has_limit(self) -> bool:
        return self.order_type == OrderType.LIMIT or self.order_type == OrderType.STOP_LIMIT

    @property
    def has_trigger(self) -> bool:
        return self.order_type == OrderType.STOP or self.order_type == OrderType.STOP_LIMIT

    def __repr__(self) -> str:
        return (
            f"WorkingOrder({self.client_order_id} {OrderSide.name(self.side)} "
            f"{OrderType.NAMES[self.order_type]} qty={self.qty_raw} filled={self.filled_raw} "
            f"px={self.price_raw} trigger={self.trigger_raw})"
        )


@final
class InstrumentBook:
    """What the venue knows about one instrument: its grid, the latest data, its working orders."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument: Final = instrument
        self.instrument_id: Final = instrument.id
        self.tick_raw: Final = instrument.tick_size.raw
        self.lot_raw: Final = instrument.lot_size.raw
        self.level: int = LEVEL_NONE
        self.orders: list[WorkingOrder] = []  # in arrival order
        self.dirty: bool = False  # some order in ``orders`` closed: compact the list
        self.last_bar: Bar | None = None
        self.last_quote: QuoteTick | None = None
        self.last_trade: TradeTick | None = None
        # participation budget left in ``budget_bar`` (computed lazily, only when orders trade)
        self.budget_bar: Bar | None = None
        self.bar_budget_raw: int = NO_CAP
        # displayed size left at ``sized_quote`` after our fills (computed lazily)
        self.sized_quote: QuoteTick | None = None
        self.ask_left_raw: int = NO_CAP
        self.bid_left_raw: int = NO_CAP
        self.positions: dict[str, NetPosition] = {}  # strategy id -> its net position here

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


@final
class PendingMessage:
    """A command on its way to the matching engine (exactly one of the three is set)."""

    def __init__(
        self,
        arrival_ns: int,
        submit: SubmitOrder | None,
        cancel: CancelOrder | None,
        modify: ModifyOrder | None,
    ) -> None:
        self.arrival_ns = arrival_ns  # set by the venue when the command is sent
        self.submit: Final = submit
        self.cancel: Final = cancel
        self.modify: Final = modify
