"""Commands: requests to do something (imperative). Immutable values."""

from __future__ import annotations

from typing import Final, final

from core.enums import OrderSide, OrderType, TimeInForce
from core.values import Price, Qty


@final
class SubmitOrder:
    """Place a new order. ``client_order_id`` is its identity: resubmitting that id is a no-op.

    ``dedup_key`` (optional) names the trading intent: an order with a key the strategy already
    used is refused (by the duplicate guard, and by the journal's UNIQUE constraint across runs),
    so a strategy that derives its keys from its signals can never send the same order twice,
    even after a crash and restart.
    """

    def __init__(
        self,
        *,
        strategy_id: str,
        client_order_id: str,
        instrument_id: str,
        side: int,
        order_type: int,
        qty: Qty,
        price: Price | None = None,
        trigger_price: Price | None = None,
        time_in_force: int = TimeInForce.GTC,
        reduce_only: bool = False,
        ts_init: int = 0,
        dedup_key: str = "",
    ) -> None:
        if side != OrderSide.BUY and side != OrderSide.SELL:
            raise ValueError(f"{client_order_id}: side must be BUY (1) or SELL (-1), got {side}")
        if qty.raw <= 0:
            raise ValueError(f"{client_order_id}: quantity must be positive, got {qty}")
        needs_price = order_type == OrderType.LIMIT or order_type == OrderType.STOP_LIMIT
        needs_trigger = order_type == OrderType.STOP or order_type == OrderType.STOP_LIMIT
        # range checks on the contiguous codes: compiled, `in NAMES` would be a dict probe
        if not OrderType.MARKET <= order_type <= OrderType.STOP_LIMIT:
            raise ValueError(f"{client_order_id}: unknown order type {order_type}")
        if needs_price != (price is not None):
            what = "needs" if needs_price else "must not have"
            raise ValueError(
                f"{client_order_id}: a {OrderType.NAMES[order_type]} order {what} a limit price"
            )
        if needs_trigger != (trigger_price is not None):
            what = "needs" if needs_trigger else "must not have"
            raise ValueError(
                f"{client_order_id}: a {OrderType.NAMES[order_type]} order {what} a trigger price"
            )
        if not TimeInForce.GTC <= time_in_force <= TimeInForce.FOK:
            raise ValueError(f"{client_order_id}: unknown time in force {time_in_force}")
        if price is not None and price.raw <= 0:
            raise ValueError(f"{client_order_id}: limit price must be positive, got {price}")
        if trigger_price is not None and trigger_price.raw <= 0:
            raise ValueError(f"{client_order_id}: trigger price must be positive")
        self.strategy_id: Final = strategy_id
        self.client_order_id: Final = client_order_id
        self.instrument_id: Final = instrument_id
        self.side: Final = side
        self.order_type: Final = order_type
        self.qty: Final = qty
        self.price: Final = price
        self.trigger_price: Final = trigger_price
        self.time_in_force: Final = time_in_force
        self.reduce_only: Final = reduce_only
        self.ts_init: Final = ts_init
        self.dedup_key: Final = dedup_key

    def __repr__(self) -> str:
        px = f" @ {self.price}" if self.price is not None else ""
        trig = f" trigger {self.trigger_price}" if self.trigger_price is not None else ""
        return (
            f"SubmitOrder({self.client_order_id} {OrderSide.name(self.side)} {self.qty} "
            f"{self.instrument_id} {OrderType.NAMES[self.order_type]}{px}{trig} "
            f"{TimeInForce.NAMES[self.time_in_force]})"
        )


@final
class CancelOrder:
    def __init__(
        self, *, strategy_id: str, client_order_id: str, instrument_id: str, ts_init: int
    ) -> None:
        self.strategy_id: Final = strategy_id
        self.client_order_id: Final = client_order_id
        self.instrument_id: Final = instrument_id
        self.ts_init: Final = ts_init


@final
class ModifyOrder:
    """Change a working order's quantity and/or prices (None keeps the current value)."""

    def __init__(
        self,
        *,
        strategy_id: str,
        client_order_id: str,
        instrument_id: str,
        ts_init: int,
        qty: Qty | None = None,
        price: Price | None = None,
        trigger_price: Price | None = None,
    ) -> None:
        if qty is None and price is None and trigger_price is None:
            raise ValueError(f"{client_order_id}: a modify must change quantity or a price")
        if qty is not None and qty.raw <= 0:
            raise ValueError(f"{client_order_id}: quantity must be positive, got {qty}")
        self.strategy_id: Final = strategy_id
        self.client_order_id: Final = client_order_id
        self.instrument_id: Final = instrument_id
        self.ts_init: Final = ts_init
        self.qty: Final = qty
        self.price: Final = price
        self.trigger_price: Final = trigger_price
