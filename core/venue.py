"""The venue interface: where orders go. Synchronous, non-blocking; outcomes come back as events."""

from __future__ import annotations

from collections.abc import Callable

from mypy_extensions import mypyc_attr

from core.book import OrderBook
from core.clock import Clock
from core.commands import CancelOrder, ModifyOrder, SubmitOrder
from core.events import Event
from core.instruments import Instrument
from core.market import Bar, QuoteTick, TradeTick
from core.orders import Order


@mypyc_attr(allow_interpreted_subclasses=True)
class Venue:
    """Base of the simulated venues and the broker adapters.

    The kernel binds a venue to its clock and event sink, sends it commands, and (for simulated
    venues) feeds it the market data it matches against before the strategies see that data.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._emit: Callable[[Event], None] | None = None
        self._clock: Clock | None = None

    def bind(self, emit: Callable[[Event], None], clock: Clock) -> None:
        self._emit = emit
        self._clock = clock

    @property
    def clock(self) -> Clock:
        clock = self._clock
        if clock is None:
            raise RuntimeError(f"venue {self.name} is not attached to a kernel")
        return clock

    def emit(self, event: Event) -> None:
        emit = self._emit
        if emit is None:
            raise RuntimeError(f"venue {self.name} is not attached to a kernel")
        emit(event)

    def add_instrument(self, instrument: Instrument) -> None:
        """The kernel routes this instrument here (called once per instrument)."""

    def submit(self, cmd: SubmitOrder) -> None:
        raise NotImplementedError

    def cancel(self, cmd: CancelOrder) -> None:
        raise NotImplementedError

    def modify(self, cmd: ModifyOrder) -> None:
        raise NotImplementedError

    def resume_numbering(self, trade_ids: list[str], venue_order_ids: list[str]) -> None:
        """After a restart: the trade and order ids this venue gave before (a simulated venue
        numbers on after them; a broker's ids are the broker's)."""

    def restore(self, order: Order, position_raw: int) -> None:
        """After a restart: ``order`` was working here when the process stopped (the journal
        says so). A simulated venue takes it back; a broker adapter must reconcile it with the
        broker's own order list instead."""
        raise NotImplementedError(
            f"venue {self.name} cannot take over working orders after a restart: reconcile "
            f"{order.client_order_id} with the broker"
        )

    def on_bar(self, bar: Bar) -> None:
        """Match resting orders against a new bar (simulated venues only)."""

    def on_quote(self, quote: QuoteTick) -> None:
        """Match resting orders against a new quote (simulated venues only)."""

    def on_trade(self, trade: TradeTick) -> None:
        """Match resting orders against a market print (simulated venues only)."""

    def on_book(self, book: OrderBook) -> None:
        """The instrument's L2 book after a whole update (simulated venues only). The book is
        the kernel's own: read it, never change it."""

    def on_time(self, ts_ns: int) -> None:
        """Time moved on with no market data (deliver delayed messages, expire orders)."""
