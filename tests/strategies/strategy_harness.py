"""Runs a strategy template through the real kernel and the simulated venue on hand-built data.

Bars are one minute apart from ``T0``; a market order decided on bar ``i`` fills at bar
``i + 1``'s open (the venue's default ``NEXT_OPEN`` convention), and every fill is reported with
the 1-based index of the bar it happened on, so expected trades read like the worked examples.
Volume is 0 (no participation cap) and there are no fees, slippage or latency unless asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core.clock import SimClock
from core.enums import OrderSide
from core.events import Event, OrderEvent, OrderFilled, StrategyFaulted, StrategyLogged
from core.instruments import Instrument, equity
from core.kernel import Kernel
from core.market import Bar, QuoteTick
from core.orders import Order
from core.strategy import Strategy
from core.values import Money, Price, Qty
from venues.simulated import FillConfig, LatencyModel, SimulatedVenue

SEC = 1_000_000_000
MIN = 60 * SEC
T0 = 1_704_205_800 * SEC  # 2024-01-02 14:30 UTC

SPY = "SPY.SIM"
QQQ = "QQQ.SIM"


def px(value: str | float) -> Price:
    return Price.parse(str(value))


def bar(
    iid: str,
    i: int,
    o: str | float,
    h: str | float,
    lo: str | float,
    c: str | float,
    *,
    start: int = T0,
) -> Bar:
    """The ``i``-th bar (1-based) of ``iid``: closes at ``start + i`` minutes."""
    return Bar.of(iid, start + i * MIN, px(o), px(h), px(lo), px(c), Qty(0))


def bars_from_closes(
    iid: str, closes: Sequence[str | float], opens: Sequence[str | float] | None = None
) -> list[Bar]:
    """Bars with the given closes; opens default to the previous close (the first: its close),
    highs and lows span open and close."""
    result: list[Bar] = []
    for k, close in enumerate(closes):
        c = px(close)
        o = px(opens[k]) if opens is not None else (px(closes[k - 1]) if k > 0 else c)
        result.append(Bar.of(iid, T0 + (k + 1) * MIN, o, max(o, c), min(o, c), c, Qty(0)))
    return result


def quote(iid: str, i: int, bid: str | float, ask: str | float) -> QuoteTick:
    """The ``i``-th quote (1-based), one second apart, sizes unknown (no cap)."""
    return QuoteTick.of(iid, T0 + i * SEC, px(bid), px(ask), Qty(0), Qty(0))


class Fill:
    """One fill, readable in assertions: ``(bar, side, qty, price)``."""

    def __init__(self, index: int, event: OrderFilled) -> None:
        self.index = index
        self.side = OrderSide.name(event.side)
        self.qty = str(event.last_qty)
        self.price = str(event.last_px)
        self.client_order_id = event.client_order_id
        self.instrument_id = event.instrument_id

    def row(self) -> tuple[int, str, str, str]:
        return (self.index, self.side, self.qty, self.price)

    def __repr__(self) -> str:
        return f"Fill{self.row()}"


class Run:
    """A kernel with a simulated venue ``SIM``, one strategy, and a record of every event."""

    def __init__(
        self,
        strategy: Strategy,
        instruments: Iterable[Instrument] | None = None,
        *,
        fill: FillConfig | None = None,
        latency: LatencyModel | None = None,
        allocation: str = "1000000",
    ) -> None:
        insts = list(instruments) if instruments is not None else [equity("SPY")]
        self.venue = SimulatedVenue(
            "SIM", fill=fill or FillConfig(participation=None), latency=latency, instruments=insts
        )
        self.kernel = Kernel(SimClock(T0))
        for inst in insts:
            self.kernel.add_instrument(inst)
        self.kernel.add_venue(self.venue)
        self.strategy = strategy
        self.ctx = self.kernel.add_strategy(strategy, Money.parse(allocation, "USD"))
        self.events: list[Event] = []
        self.kernel.add_listener(self.events.append)
        self.kernel.start()

    def feed(self, data: Iterable[Bar | QuoteTick]) -> Run:
        for item in data:
            if isinstance(item, Bar):
                self.kernel.on_bar(item)
            else:
                self.kernel.on_quote(item)
        return self

    def fills(self, step: int = MIN) -> list[Fill]:
        """Every fill with the 1-based index of the bar (or quote, ``step=SEC``) it came on."""
        return [
            Fill((e.ts_event - T0) // step, e) for e in self.events if isinstance(e, OrderFilled)
        ]

    def rows(self, step: int = MIN) -> list[tuple[int, str, str, str]]:
        return [f.row() for f in self.fills(step)]

    def kinds(self, client_order_id: str) -> list[str]:
        return [
            type(e).__name__
            for e in self.events
            if isinstance(e, OrderEvent) and e.client_order_id == client_order_id
        ]

    def order(self, client_order_id: str) -> Order:
        order = self.kernel.order(client_order_id)
        assert order is not None, f"no order {client_order_id}"
        return order

    def position(self, iid: str = SPY) -> int:
        """Signed position in whole units (the tests trade whole shares)."""
        raw = self.ctx.position(iid).signed_qty_raw
        assert raw % SEC == 0
        return raw // SEC

    def faults(self) -> list[str]:
        return [e.error for e in self.events if isinstance(e, StrategyFaulted)]

    def errors(self) -> list[str]:
        """Engine log lines at ERROR (an event the order state machine refused, ...)."""
        return [
            e.message for e in self.events if isinstance(e, StrategyLogged) and e.level == "ERROR"
        ]

    def assert_clean(self) -> None:
        assert self.faults() == []
        assert self.errors() == []


def spy() -> Instrument:
    return equity("SPY")


def qqq() -> Instrument:
    return equity("QQQ")
