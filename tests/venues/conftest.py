"""Harnesses for the simulated venue: one drives it directly and collects what it emits, the
other runs it inside the real kernel with a small strategy.

Tests get them through fixtures (``venue_harness``, ``kernel_harness``): with pytest's importlib
import mode a test module cannot import a sibling helper module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.clock import SimClock
from core.commands import CancelOrder, ModifyOrder, SubmitOrder
from core.enums import OrderSide, OrderType, TimeInForce
from core.events import Event, OrderEvent, OrderFilled, StrategyLogged
from core.instruments import Instrument, equity
from core.kernel import Kernel
from core.market import Aggressor, Bar, QuoteTick, TradeTick
from core.strategy import Strategy
from core.values import Money, Price, Qty
from venues.simulated import FeeModel, FillConfig, LatencyModel, SimulatedVenue, SlippageModel

SEC = 1_000_000_000
MIN = 60 * SEC
# 2024-01-02 (a Tuesday) 14:30 UTC = 09:30 in New York
T0 = 1_704_205_800 * SEC

BUY = OrderSide.BUY
SELL = OrderSide.SELL


def px(text: str) -> Price:
    return Price.parse(text)


def qty(text: str | int) -> Qty:
    return Qty.parse(str(text))


def make_bar(iid: str, ts: int, o: str, h: str, lo: str, c: str, v: str | int = 0) -> Bar:
    return Bar.of(iid, ts, px(o), px(h), px(lo), px(c), qty(v))


def fills_of(events: list[Event], coid: str) -> list[tuple[str, str]]:
    """(quantity, price) of every fill of one order, as text: easy to compare by hand."""
    return [
        (str(e.last_qty), str(e.last_px))
        for e in events
        if isinstance(e, OrderFilled) and e.client_order_id == coid
    ]


def kinds_of(events: list[Event], coid: str) -> list[str]:
    """The event class names of one order, in order."""
    return [
        type(e).__name__ for e in events if isinstance(e, OrderEvent) and e.client_order_id == coid
    ]


def reasons_of(events: list[Event], coid: str) -> list[str]:
    return [
        str(getattr(e, "reason", ""))
        for e in events
        if isinstance(e, OrderEvent) and e.client_order_id == coid and hasattr(e, "reason")
    ]


class VenueHarness:
    """The venue alone: a SimClock, a list as its event sink, helpers for commands and data."""

    def __init__(
        self,
        *,
        fill: FillConfig | None = None,
        fees: FeeModel | None = None,
        slippage: SlippageModel | None = None,
        latency: LatencyModel | None = None,
        instruments: list[Instrument] | None = None,
        start_ns: int = T0,
    ) -> None:
        self.instrument = equity("AAA")
        insts = instruments if instruments is not None else [self.instrument]
        self.iid = insts[0].id
        self.venue = SimulatedVenue(
            "SIM", fill=fill, fees=fees, slippage=slippage, latency=latency, instruments=insts
        )
        self.clock = SimClock(start_ns)
        self.events: list[Event] = []
        self.venue.bind(self.events.append, self.clock)
        self._n = 0

    # time and data ---------------------------------------------------------------------------
    def at(self, ts: int) -> None:
        self.clock.set_time(ts)
        self.venue.on_time(ts)

    def bar(
        self, ts: int, o: str, h: str, lo: str, c: str, v: str | int = 0, iid: str = ""
    ) -> None:
        self.at(ts)
        self.venue.on_bar(make_bar(iid or self.iid, ts, o, h, lo, c, v))

    def quote(
        self, ts: int, bid: str, ask: str, bid_size: str | int = 0, ask_size: str | int = 0
    ) -> None:
        self.at(ts)
        self.venue.on_quote(
            QuoteTick.of(self.iid, ts, px(bid), px(ask), qty(bid_size), qty(ask_size))
        )

    def trade(self, ts: int, price: str, size: str | int = 0) -> None:
        self.at(ts)
        self.venue.on_trade(TradeTick.of(self.iid, ts, px(price), qty(size), Aggressor.UNKNOWN))

    # commands --------------------------------------------------------------------------------
    def submit(
        self,
        side: int,
        quantity: str | int,
        order_type: int = OrderType.MARKET,
        *,
        price: str | None = None,
        trigger: str | None = None,
        tif: int = TimeInForce.GTC,
        reduce_only: bool = False,
        strategy: str = "S1",
        iid: str = "",
        coid: str = "",
    ) -> str:
        self._n += 1
        coid = coid or f"O-{self._n}"
        self.venue.submit(
            SubmitOrder(
                strategy_id=strategy,
                client_order_id=coid,
                instrument_id=iid or self.iid,
                side=side,
                order_type=order_type,
                qty=qty(quantity),
                price=px(price) if price is not None else None,
                trigger_price=px(trigger) if trigger is not None else None,
                time_in_force=tif,
                reduce_only=reduce_only,
                ts_init=self.clock.now_ns(),
            )
        )
        return coid

    def cancel(self, coid: str, strategy: str = "S1") -> None:
        self.venue.cancel(
            CancelOrder(
                strategy_id=strategy,
                client_order_id=coid,
                instrument_id=self.iid,
                ts_init=self.clock.now_ns(),
            )
        )

    def modify(
        self,
        coid: str,
        *,
        quantity: str | int | None = None,
        price: str | None = None,
        trigger: str | None = None,
    ) -> None:
        self.venue.modify(
            ModifyOrder(
                strategy_id="S1",
                client_order_id=coid,
                instrument_id=self.iid,
                ts_init=self.clock.now_ns(),
                qty=qty(quantity) if quantity is not None else None,
                price=px(price) if price is not None else None,
                trigger_price=px(trigger) if trigger is not None else None,
            )
        )

    # reading the results ---------------------------------------------------------------------
    def fills(self, coid: str) -> list[tuple[str, str]]:
        return fills_of(self.events, coid)

    def kinds(self, coid: str) -> list[str]:
        return kinds_of(self.events, coid)

    def reasons(self, coid: str) -> list[str]:
        return reasons_of(self.events, coid)

    def of(self, coid: str, cls: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, cls) and e.client_order_id == coid]


Action = Callable[["ScriptedStrategy", Bar], None]


class ScriptedStrategy(Strategy):
    """Runs ``script[i](self, bar)`` on the i-th bar (1-based) and records every callback."""

    def __init__(self, iid: str, script: dict[int, Action] | None = None) -> None:
        super().__init__(strategy_id="S1", instrument_ids=(iid,))
        self.iid = iid
        self.script = script or {}
        self.bars_seen = 0
        self.log: list[str] = []
        self.order_events: list[OrderEvent] = []

    def on_bar(self, bar: Bar) -> None:
        self.bars_seen += 1
        self.log.append(f"bar {self.bars_seen}")
        action = self.script.get(self.bars_seen)
        if action is not None:
            action(self, bar)

    def on_quote(self, quote: QuoteTick) -> None:
        self.log.append("quote")

    def on_order_event(self, event: OrderEvent) -> None:
        self.order_events.append(event)
        self.log.append(type(event).__name__)

    def on_fill(self, fill: OrderFilled) -> None:
        self.log.append(f"fill {fill.last_qty}@{fill.last_px}")


class KernelHarness:
    """The venue inside the real kernel with one scripted strategy."""

    def __init__(self, venue: SimulatedVenue, script: dict[int, Action] | None = None) -> None:
        self.instrument = equity("AAA")
        self.iid = self.instrument.id
        venue.add_instrument(self.instrument)
        self.venue = venue
        self.kernel = Kernel(SimClock(T0))
        self.kernel.add_instrument(self.instrument)
        self.kernel.add_venue(venue)
        self.strategy = ScriptedStrategy(self.iid, script)
        self.ctx = self.kernel.add_strategy(self.strategy, Money.parse("1000000", "USD"))
        self.published: list[Event] = []
        self.kernel.add_listener(self.published.append)
        self.kernel.start()

    def bar(self, ts: int, o: str, h: str, lo: str, c: str, v: str | int = 0) -> None:
        self.kernel.on_bar(make_bar(self.iid, ts, o, h, lo, c, v))

    def quote(
        self, ts: int, bid: str, ask: str, bid_size: str | int = 0, ask_size: str | int = 0
    ) -> None:
        self.kernel.on_quote(
            QuoteTick.of(self.iid, ts, px(bid), px(ask), qty(bid_size), qty(ask_size))
        )

    def errors(self) -> list[str]:
        """Engine log lines at ERROR (a venue event the order state machine refused, ...)."""
        return [
            e.message
            for e in self.published
            if isinstance(e, StrategyLogged) and e.level == "ERROR"
        ]

    def fills(self, coid: str) -> list[tuple[str, str]]:
        return fills_of(self.published, coid)

    def kinds(self, coid: str) -> list[str]:
        return kinds_of(self.published, coid)


@pytest.fixture
def venue_harness() -> type[VenueHarness]:
    return VenueHarness


@pytest.fixture
def kernel_harness() -> type[KernelHarness]:
    return KernelHarness
