"""Events: things that happened (past tense). Immutable values."""

from __future__ import annotations

from typing import Final, final

from core.values import Money, Price, Qty


class Event:
    """Base of every engine event; ``ts_event`` is when it happened (ns UTC)."""

    def __init__(self, ts_event: int) -> None:
        self.ts_event: Final = ts_event

    def describe(self) -> str:
        return type(self).__name__


class OrderEvent(Event):
    """Something happened to one order."""

    def __init__(
        self, *, strategy_id: str, client_order_id: str, instrument_id: str, ts_event: int
    ) -> None:
        super().__init__(ts_event)
        self.strategy_id: Final = strategy_id
        self.client_order_id: Final = client_order_id
        self.instrument_id: Final = instrument_id

    def describe(self) -> str:
        return f"{type(self).__name__} {self.client_order_id}"


@final
class OrderDenied(OrderEvent):
    """The risk engine refused the order before it left the process."""

    def __init__(
        self,
        *,
        strategy_id: str,
        client_order_id: str,
        instrument_id: str,
        ts_event: int,
        rule: str,
        reason: str,
    ) -> None:
        super().__init__(
            strategy_id=strategy_id,
            client_order_id=client_order_id,
            instrument_id=instrument_id,
            ts_event=ts_event,
        )
        self.rule: Final = rule
        self.reason: Final = reason

    def describe(self) -> str:
        return f"OrderDenied {self.client_order_id} by {self.rule}: {self.reason}"


@final
class OrderSubmitted(OrderEvent):
    pass


@final
class OrderAccepted(OrderEvent):
    def __init__(
        self,
        *,
        strategy_id: str,
        client_order_id: str,
        instrument_id: str,
        ts_event: int,
        venue_order_id: str,
    ) -> None:
        super().__init__(
            strategy_id=strategy_id,
            client_order_id=client_order_id,
            instrument_id=instrument_id,
            ts_event=ts_event,
        )
        self.venue_order_id: Final = venue_order_id


class _ReasonedOrderEvent(OrderEvent):
    def __init__(
        self,
        *,
        strategy_id: str,
        client_order_id: str,
        instrument_id: str,
        ts_event: int,
        reason: str,
    ) -> None:
        super().__init__(
            strategy_id=strategy_id,
            client_order_id=client_order_id,
            instrument_id=instrument_id,
            ts_event=ts_event,
        )
        self.reason: Final = reason

    def describe(self) -> str:
        return f"{type(self).__name__} {self.client_order_id}: {self.reason}"


@final
class OrderRejected(_ReasonedOrderEvent):
    """The venue refused the order."""


@final
class OrderCanceled(_ReasonedOrderEvent):
    """The order is off the venue; ``reason`` says who or what canceled it."""


@final
class OrderExpired(_ReasonedOrderEvent):
    """Time in force ran out (DAY at session end)."""


@final
class OrderCancelRejected(_ReasonedOrderEvent):
    """A cancel request failed (for example: the order filled first)."""


@final
class OrderModifyRejected(_ReasonedOrderEvent):
    """A modify request failed."""


@final
class OrderTriggered(OrderEvent):
    """A stop-limit order's trigger was touched: it now works as a limit order."""


@final
class OrderPendingCancel(OrderEvent):
    pass


@final
class OrderPendingUpdate(OrderEvent):
    pass


@final
class OrderUpdated(OrderEvent):
    """The venue applied a modify: new quantity and/or prices."""

    def __init__(
        self,
        *,
        strategy_id: str,
        client_order_id: str,
        instrument_id: str,
        ts_event: int,
        qty: Qty,
        price: Price | None,
        trigger_price: Price | None,
    ) -> None:
        super().__init__(
            strategy_id=strategy_id,
            client_order_id=client_order_id,
            instrument_id=instrument_id,
            ts_event=ts_event,
        )
        self.qty: Final = qty
        self.price: Final = price
        self.trigger_price: Final = trigger_price


@final
class OrderFilled(OrderEvent):
    """One execution of our order (a fill), with its fee."""

    def __init__(
        self,
        *,
        strategy_id: str,
        client_order_id: str,
        instrument_id: str,
        ts_event: int,
        trade_id: str,
        side: int,
        last_qty: Qty,
        last_px: Price,
        fee: Money,
        liquidity: int,
    ) -> None:
        super().__init__(
            strategy_id=strategy_id,
            client_order_id=client_order_id,
            instrument_id=instrument_id,
            ts_event=ts_event,
        )
        self.trade_id: Final = trade_id
        self.side: Final = side
        self.last_qty: Final = last_qty
        self.last_px: Final = last_px
        self.fee: Final = fee
        self.liquidity: Final = liquidity

    def describe(self) -> str:
        side = "BUY" if self.side > 0 else "SELL"
        return (
            f"OrderFilled {self.client_order_id} {side} {self.last_qty} @ {self.last_px} "
            f"fee {self.fee}"
        )


@final
class PositionChanged(Event):
    """A strategy's net position in one instrument changed after a fill."""

    def __init__(
        self,
        *,
        strategy_id: str,
        instrument_id: str,
        ts_event: int,
        signed_qty_raw: int,
        avg_px: Price,
        realized_pnl: Money,
    ) -> None:
        super().__init__(ts_event)
        self.strategy_id: Final = strategy_id
        self.instrument_id: Final = instrument_id
        self.signed_qty_raw: Final = signed_qty_raw
        self.avg_px: Final = avg_px
        self.realized_pnl: Final = realized_pnl


@final
class TimerFired(Event):
    """A strategy timer came due on the clock."""

    def __init__(self, *, name: str, ts_event: int, owner: str) -> None:
        super().__init__(ts_event)
        self.name: Final = name
        self.owner: Final = owner


@final
class StrategyFaulted(Event):
    """A strategy callback raised: the strategy is halted and its orders canceled."""

    def __init__(self, *, strategy_id: str, ts_event: int, error: str, traceback: str) -> None:
        super().__init__(ts_event)
        self.strategy_id: Final = strategy_id
        self.error: Final = error
        self.traceback: Final = traceback

    def describe(self) -> str:
        return f"StrategyFaulted {self.strategy_id}: {self.error}"


@final
class StrategyLogged(Event):
    """A line a strategy wrote to its log."""

    def __init__(self, *, strategy_id: str, ts_event: int, level: str, message: str) -> None:
        super().__init__(ts_event)
        self.strategy_id: Final = strategy_id
        self.level: Final = level
        self.message: Final = message


# Risk ------------------------------------------------------------------------------------------
# Every decision of the risk step and every change of its state is one of these events: the
# strategy concerned hears of it (``Strategy.on_risk_event``), listeners (journal, GUI) see all.


@final
class OrderRiskDecision(Event):
    """What the risk step said about a submit or a modify: ``decision`` is approved, modified
    (the order goes on with the quantity ``qty``) or denied; ``rule``/``reason`` say why
    (empty for a plain approval)."""

    def __init__(
        self,
        *,
        strategy_id: str,
        client_order_id: str,
        instrument_id: str,
        ts_event: int,
        action: str,
        decision: str,
        rule: str,
        reason: str,
        qty: Qty,
    ) -> None:
        super().__init__(ts_event)
        self.strategy_id: Final = strategy_id
        self.client_order_id: Final = client_order_id
        self.instrument_id: Final = instrument_id
        self.action: Final = action
        self.decision: Final = decision
        self.rule: Final = rule
        self.reason: Final = reason
        self.qty: Final = qty

    def describe(self) -> str:
        why = f" by {self.rule}: {self.reason}" if self.rule else ""
        return f"risk {self.decision} {self.action} {self.client_order_id}{why}"


@final
class TradingStateChanged(Event):
    """The trading state of a strategy, or the global one (``scope`` ""), changed."""

    def __init__(
        self, *, scope: str, ts_event: int, previous: str, state: str, who: str, reason: str
    ) -> None:
        super().__init__(ts_event)
        self.scope: Final = scope
        self.previous: Final = previous
        self.state: Final = state
        self.who: Final = who
        self.reason: Final = reason

    def describe(self) -> str:
        where = self.scope or "global"
        return f"{where} trading state {self.previous} -> {self.state} ({self.who}: {self.reason})"


@final
class KillSwitchChanged(Event):
    """The kill switch was tripped (``tripped``) or reset, by ``who`` for ``reason``."""

    def __init__(
        self,
        *,
        ts_event: int,
        tripped: bool,
        who: str,
        reason: str,
        flatten: bool,
        canceled: int,
        flatten_orders: int,
    ) -> None:
        super().__init__(ts_event)
        self.tripped: Final = tripped
        self.who: Final = who
        self.reason: Final = reason
        self.flatten: Final = flatten
        self.canceled: Final = canceled
        self.flatten_orders: Final = flatten_orders

    def describe(self) -> str:
        if not self.tripped:
            return f"kill switch reset by {self.who}: {self.reason}"
        what = f"{self.canceled} orders canceled"
        if self.flatten:
            what += f", {self.flatten_orders} flattening orders sent"
        return f"KILL SWITCH tripped by {self.who}: {self.reason} ({what})"


@final
class BreakerTripped(Event):
    """A drawdown circuit breaker tripped (``tripped``) or re-armed at a new trading day.

    ``drawdown_raw`` = ``peak_raw`` - ``equity_raw`` (account currency, raw 1e-9 units);
    ``limit_text`` is the threshold as configured (e.g. "5% of peak" or "2000 USD")."""

    def __init__(
        self,
        *,
        name: str,
        scope: str,
        ts_event: int,
        tripped: bool,
        intraday: bool,
        action: str,
        peak_raw: int,
        equity_raw: int,
        drawdown_raw: int,
        limit_text: str,
        currency: str,
    ) -> None:
        super().__init__(ts_event)
        self.name: Final = name
        self.scope: Final = scope
        self.tripped: Final = tripped
        self.intraday: Final = intraday
        self.action: Final = action
        self.peak_raw: Final = peak_raw
        self.equity_raw: Final = equity_raw
        self.drawdown_raw: Final = drawdown_raw
        self.limit_text: Final = limit_text
        self.currency: Final = currency

    def describe(self) -> str:
        where = self.scope or "global"
        if not self.tripped:
            return f"breaker {self.name} ({where}) re-armed for a new trading day"
        return (
            f"breaker {self.name} ({where}) tripped: drawdown {Price(self.drawdown_raw)} "
            f"{self.currency} from peak {Price(self.peak_raw)} to {Price(self.equity_raw)} "
            f"breaches {self.limit_text}; action {self.action}"
        )


@final
class RiskConfigChanged(Event):
    """A risk setting changed while running (allocation, a rule's limits, a breaker)."""

    def __init__(
        self, *, ts_event: int, what: str, scope: str, old: str, new: str, who: str, reason: str
    ) -> None:
        super().__init__(ts_event)
        self.what: Final = what
        self.scope: Final = scope
        self.old: Final = old
        self.new: Final = new
        self.who: Final = who
        self.reason: Final = reason

    def describe(self) -> str:
        where = f" for {self.scope}" if self.scope else ""
        return f"{self.what}{where}: {self.old} -> {self.new} ({self.who}: {self.reason})"
