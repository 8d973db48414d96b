"""Test doubles and builders for the engine tests (interpreted code, also run against mypyc builds).

``ScriptedVenue`` accepts every command and says nothing back until the test tells it to: the
tests drive the kernel, not a matching engine. ``RecordingStrategy`` writes down every callback in
order, and runs an optional action per callback so a test can script what the strategy does.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from hypothesis import settings

from core.clock import SimClock
from core.commands import CancelOrder, ModifyOrder, SubmitOrder
from core.enums import Liquidity, OrderSide, OrderType
from core.events import (
    Event,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    OrderUpdated,
    StrategyLogged,
    TimerFired,
)
from core.instruments import Instrument, equity
from core.kernel import Kernel
from core.market import Bar
from core.orders import Order
from core.portfolio import StrategyAccount
from core.risk import Adjustment, Denial, RiskEngine, RiskRule, RiskView
from core.strategy import Strategy
from core.values import Money, Price, Qty
from core.venue import Venue

# Deterministic property tests by default; CORE_EXAMPLES=2000 explores more (and randomly).
_EXAMPLES = os.environ.get("CORE_EXAMPLES")
PROPERTY = settings(
    max_examples=int(_EXAMPLES) if _EXAMPLES else 60,
    deadline=None,
    derandomize=_EXAMPLES is None,
)

SPY = "SPY.SIM"
QQQ = "QQQ.SIM"
USD = "USD"


def usd(text: str) -> Money:
    return Money.parse(text, USD)


def px(text: str) -> Price:
    return Price.parse(text)


def bar(instrument_id: str, ts: int, close: str) -> Bar:
    c = Price.parse(close)
    return Bar.of(instrument_id, ts, c, c, c, c, Qty.of(1000))


class ScriptedVenue(Venue):
    """Records commands; emits only what the test (or an ``on_*`` hook) asks it to."""

    def __init__(self, name: str = "SIM") -> None:
        super().__init__(name)
        self.submitted: list[SubmitOrder] = []
        self.canceled: list[CancelOrder] = []
        self.modified: list[ModifyOrder] = []
        self.accept_on_submit = False
        self.fill_on_submit = False
        self.raise_on_submit: Exception | None = None
        self.on_bar_hook: Callable[[Bar], None] | None = None
        self._seq = 0
        self._trade_seq = 0

    # commands from the kernel -------------------------------------------------------------
    def submit(self, cmd: SubmitOrder) -> None:
        if self.raise_on_submit is not None:
            raise self.raise_on_submit
        self.submitted.append(cmd)
        if self.accept_on_submit or self.fill_on_submit:
            self.accept(cmd.client_order_id, cmd)
        if self.fill_on_submit:
            self.fill_cmd(cmd, cmd.qty, cmd.price or Price.parse("100"))

    def cancel(self, cmd: CancelOrder) -> None:
        self.canceled.append(cmd)

    def modify(self, cmd: ModifyOrder) -> None:
        self.modified.append(cmd)

    def on_bar(self, bar: Bar) -> None:
        if self.on_bar_hook is not None:
            self.on_bar_hook(bar)

    # replies the test scripts ---------------------------------------------------------------
    def _cmd(self, coid: str) -> SubmitOrder:
        for cmd in self.submitted:
            if cmd.client_order_id == coid:
                return cmd
        raise KeyError(coid)

    def accept(self, coid: str, cmd: SubmitOrder | None = None) -> None:
        cmd = cmd if cmd is not None else self._cmd(coid)
        self._seq += 1
        self.emit(
            OrderAccepted(
                strategy_id=cmd.strategy_id,
                client_order_id=coid,
                instrument_id=cmd.instrument_id,
                ts_event=self.clock.now_ns(),
                venue_order_id=f"V-{self._seq}",
            )
        )

    def fill_cmd(
        self,
        cmd: SubmitOrder,
        qty: Qty,
        price: Price,
        fee: Money | None = None,
        side: int | None = None,
    ) -> None:
        self._trade_seq += 1
        self.emit(
            OrderFilled(
                strategy_id=cmd.strategy_id,
                client_order_id=cmd.client_order_id,
                instrument_id=cmd.instrument_id,
                ts_event=self.clock.now_ns(),
                trade_id=f"T-{self._trade_seq}",
                side=cmd.side if side is None else side,
                last_qty=qty,
                last_px=price,
                fee=fee if fee is not None else Money(0, USD),
                liquidity=Liquidity.TAKER,
            )
        )

    def fill(
        self,
        coid: str,
        qty: int,
        price: str,
        fee: str = "0",
        side: int | None = None,
    ) -> None:
        self.fill_cmd(self._cmd(coid), Qty.of(qty), Price.parse(price), usd(fee), side)

    def cancel_ok(self, coid: str) -> None:
        cmd = self._cmd(coid)
        self.emit(
            OrderCanceled(
                strategy_id=cmd.strategy_id,
                client_order_id=coid,
                instrument_id=cmd.instrument_id,
                ts_event=self.clock.now_ns(),
                reason="canceled by request",
            )
        )

    def cancel_rejected(self, coid: str) -> None:
        cmd = self._cmd(coid)
        self.emit(
            OrderCancelRejected(
                strategy_id=cmd.strategy_id,
                client_order_id=coid,
                instrument_id=cmd.instrument_id,
                ts_event=self.clock.now_ns(),
                reason="too late to cancel",
            )
        )

    def reject(self, coid: str) -> None:
        cmd = self._cmd(coid)
        self.emit(
            OrderRejected(
                strategy_id=cmd.strategy_id,
                client_order_id=coid,
                instrument_id=cmd.instrument_id,
                ts_event=self.clock.now_ns(),
                reason="venue says no",
            )
        )

    def updated(self, coid: str, qty: int, price: str) -> None:
        cmd = self._cmd(coid)
        self.emit(
            OrderUpdated(
                strategy_id=cmd.strategy_id,
                client_order_id=coid,
                instrument_id=cmd.instrument_id,
                ts_event=self.clock.now_ns(),
                qty=Qty.of(qty),
                price=Price.parse(price),
                trigger_price=None,
            )
        )


Action = Callable[["RecordingStrategy", object], None]


class RecordingStrategy(Strategy):
    """Writes every callback to ``calls`` as short tuples; ``actions`` script its behaviour.

    ``actions`` maps a callback name ("start", "bar", "order_event", "fill", "timer", "stop")
    to a function ``(strategy, argument) -> None`` run inside that callback.
    """

    def __init__(
        self,
        strategy_id: str = "S1",
        instrument_ids: tuple[str, ...] = (SPY,),
        history: int = 0,
    ) -> None:
        super().__init__(strategy_id=strategy_id, instrument_ids=instrument_ids, history=history)
        self.calls: list[tuple[object, ...]] = []
        self.actions: dict[str, Action] = {}

    def _run(self, name: str, arg: object) -> None:
        action = self.actions.get(name)
        if action is not None:
            action(self, arg)

    def on_start(self) -> None:
        self.calls.append(("start",))
        self._run("start", None)

    def on_stop(self) -> None:
        self.calls.append(("stop",))
        self._run("stop", None)

    def on_bar(self, bar: Bar) -> None:
        self.calls.append(("bar", bar.ts_event))
        self._run("bar", bar)
        self.calls.append(("bar-end", bar.ts_event))

    def on_order_event(self, event: OrderEvent) -> None:
        self.calls.append(("event", type(event).__name__, event.client_order_id))
        self._run("order_event", event)

    def on_fill(self, fill: OrderFilled) -> None:
        self.calls.append(("fill", fill.client_order_id, fill.last_qty.raw))
        self._run("fill", fill)

    def on_timer(self, event: TimerFired) -> None:
        self.calls.append(("timer", event.name, event.ts_event))
        self._run("timer", event)

    def event_names(self) -> list[str]:
        return [str(c[1]) for c in self.calls if c[0] == "event"]


class DenyAll(RiskRule):
    """A rule that refuses everything (an interpreted subclass of the compiled base)."""

    name = "deny_all"

    def __init__(self) -> None:
        self.seen: list[SubmitOrder] = []

    def check(self, cmd: SubmitOrder, view: RiskView) -> Denial | Adjustment | None:
        self.seen.append(cmd)
        return Denial(self.name, f"no trading today ({cmd.client_order_id})")


class Rig:
    """A kernel on a SimClock with one instrument, one scripted venue and recorded events."""

    def __init__(
        self,
        strategies: list[Strategy] | None = None,
        *,
        rules: list[RiskRule] | None = None,
        instruments: list[Instrument] | None = None,
        start: bool = True,
        keep_closed_orders: int = 10_000,
    ) -> None:
        self.clock = SimClock(1_000)
        self.kernel = Kernel(
            self.clock, risk=RiskEngine(rules), keep_closed_orders=keep_closed_orders
        )
        for inst in instruments if instruments is not None else [equity("SPY"), equity("QQQ")]:
            self.kernel.add_instrument(inst)
        self.venue = ScriptedVenue("SIM")
        self.kernel.add_venue(self.venue)
        self.events: list[Event] = []
        self.kernel.add_listener(self.events.append)
        self.strategies = strategies if strategies is not None else [RecordingStrategy()]
        for strategy in self.strategies:
            self.kernel.add_strategy(strategy, usd("100000"))
        self.ts = self.clock.now_ns()
        if start:
            self.kernel.start()

    def bar(self, close: str, instrument_id: str = SPY, step: int = 60) -> None:
        self.ts += step
        self.kernel.on_bar(bar(instrument_id, self.ts, close))

    def flush(self, step: int = 1) -> None:
        """Let the kernel process what the venue emitted (as the runner does between events)."""
        self.ts += step
        self.kernel.advance_time(self.ts)

    def logs(self, level: str) -> list[str]:
        return [
            e.message for e in self.events if isinstance(e, StrategyLogged) and e.level == level
        ]

    def of_type(self, kind: type) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]

    def account(self, strategy_id: str = "S1") -> StrategyAccount:
        return self.kernel.portfolio.accounts[strategy_id]

    def submit(
        self,
        side: int = OrderSide.BUY,
        qty: int = 10,
        *,
        strategy_id: str = "S1",
        instrument_id: str = SPY,
        coid: str = "",
        reduce_only: bool = False,
        order_type: int | None = None,
        price: str | None = None,
    ) -> Order:
        """Submit through a strategy's context, from outside any callback (like the GUI)."""
        record = self.kernel.record(strategy_id)
        ctx = record.strategy.ctx
        kind = order_type if order_type is not None else OrderType.MARKET
        return ctx.submit_order(
            instrument_id,
            side,
            Qty.of(qty),
            order_type=kind,
            price=Price.parse(price) if price is not None else None,
            reduce_only=reduce_only,
            client_order_id=coid,
        )
