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
