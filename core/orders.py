"""The order state machine. An intent is not an acceptance, an acceptance is not a fill."""

from __future__ import annotations

from typing import Final, final

from core.commands import SubmitOrder
from core.enums import OrderSide, OrderType, TimeInForce
from core.enums import OrderStatus as S  # an import alias: mypyc folds S.FILLED to a constant
from core.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderModifyRejected,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderRejected,
    OrderSubmitted,
    OrderTriggered,
    OrderUpdated,
)
from core.values import SCALE, Price, Qty, div_round_half_even, exact_mul

# Legal transitions: status -> statuses reachable by one event. Anything else raises.
_WORKING: Final = (S.PENDING_CANCEL, S.PENDING_UPDATE, S.CANCELED, S.EXPIRED)
_FILLS: Final = (S.PARTIALLY_FILLED, S.FILLED)
LEGAL_TRANSITIONS: Final[dict[int, frozenset[int]]] = {
    S.INITIALIZED: frozenset((S.DENIED, S.SUBMITTED)),
    S.SUBMITTED: frozenset((S.ACCEPTED, S.REJECTED, S.CANCELED, S.PENDING_CANCEL) + _FILLS),
    S.ACCEPTED: frozenset(_WORKING + _FILLS + (S.TRIGGERED,)),
    S.TRIGGERED: frozenset(_WORKING + _FILLS),
    S.PENDING_CANCEL: frozenset((S.CANCELED, S.EXPIRED, S.ACCEPTED, S.TRIGGERED) + _FILLS),
    S.PENDING_UPDATE: frozenset(
        (S.ACCEPTED, S.TRIGGERED, S.CANCELED, S.EXPIRED, S.PENDING_CANCEL) + _FILLS
    ),
    S.PARTIALLY_FILLED: frozenset(_WORKING + _FILLS),
    S.DENIED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELED: frozenset(),
    S.EXPIRED: frozenset(),
    S.FILLED: frozenset(),
}
TERMINAL: Final = frozenset((S.DENIED, S.REJECTED, S.CANCELED, S.EXPIRED, S.FILLED))
# The same tables as bit masks (bit n: status n), read on every event: a shift and an and on
# native ints instead of a dict lookup and a frozenset probe of boxed ints.
_LEGAL_MASKS: Final[list[int]] = [
    sum(1 << t for t in LEGAL_TRANSITIONS.get(s, ())) for s in range(max(S.NAMES) + 1)
]
_TERMINAL_MASK: Final[int] = sum(1 << s for s in TERMINAL)


class IllegalOrderTransition(Exception):
    """An event that the order's current state does not allow."""


@final
class Order:
    """One order's life: built from the command that created it, moved only by events."""

    def __init__(self, cmd: SubmitOrder) -> None:
        self.client_order_id: Final = cmd.client_order_id
        self.strategy_id: Final = cmd.strategy_id
        self.instrument_id: Final = cmd.instrument_id
        self.side: Final = cmd.side
        self.order_type: Final = cmd.order_type
        self.time_in_force: Final = cmd.time_in_force
        self.reduce_only: Final = cmd.reduce_only
        self.ts_init: Final = cmd.ts_init
        self.dedup_key: Final = cmd.dedup_key
        self.qty: Qty = cmd.qty
        self.price: Price | None = cmd.price
        self.trigger_price: Price | None = cmd.trigger_price
        self.status: int = S.INITIALIZED
        self.venue_order_id = ""
        self.filled_qty_raw = 0
        # sum of fill qty_raw * px_raw (exact, 1e-18 units), split so that whole-unit fills
        # (the usual case) add px_raw * units, which stays a machine int, not a big int
        self._whole_notional_raw = 0  # whole-unit fills: sum of px_raw * units (1e-9 units)
        self._part_notional_raw = 0  # other fills: sum of qty_raw * px_raw (1e-18 units)
        self.fee_raw = 0
        self.triggered = False
        self.reason = ""
        self.ts_last = cmd.ts_init
        self._before_pending = S.INITIALIZED
        self.events: list[OrderEvent] = []

    @property
    def leaves_qty_raw(self) -> int:
        return self.qty.raw - self.filled_qty_raw

    def terms(self) -> SubmitOrder:
        """The order as a submit command with its current terms (quantity and prices as
        modified so far): what a journal records and a venue takes back after a restart."""
        return SubmitOrder(
            strategy_id=self.strategy_id,
            client_order_id=self.client_order_id,
            instrument_id=self.instrument_id,
            side=self.side,
            order_type=self.order_type,
            qty=self.qty,
            price=self.price,
            trigger_price=self.trigger_price,
            time_in_force=self.time_in_force,
            reduce_only=self.reduce_only,
            ts_init=self.ts_init,
            dedup_key=self.dedup_key,
        )

    @property
    def is_open(self) -> bool:
        return (_TERMINAL_MASK >> self.status) & 1 == 0 and self.status != S.INITIALIZED

    @property
    def is_closed(self) -> bool:
        return (_TERMINAL_MASK >> self.status) & 1 == 1

    def avg_px(self) -> Price | None:
        """Volume-weighted fill price, rounded half-even to 1e-9 (None before any fill)."""
        if self.filled_qty_raw == 0:
            return None
        notional = self._whole_notional_raw * SCALE + self._part_notional_raw
        return Price(div_round_half_even(notional, self.filled_qty_raw))

    def status_name(self) -> str:
        return S.NAMES[self.status]

    def apply(self, event: OrderEvent) -> None:
        """Move the state machine; raise IllegalOrderTransition and change nothing if illegal."""
        if event.client_order_id != self.client_order_id:
            raise IllegalOrderTransition(
                f"{event.describe()} does not belong to order {self.client_order_id}"
            )
        new_status = self._target(event)
        is_reply_to_request = isinstance(event, (OrderCancelRejected, OrderModifyRejected))
        if is_reply_to_request and new_status == self.status:
            # a refused cancel/modify that was never pending (e.g. the order filled first)
            # leaves the order as it is
            self.events.append(event)
            return
        if isinstance(event, OrderTriggered) and self.trigger_price is None:
            raise IllegalOrderTransition(f"order {self.client_order_id} has no trigger")
        updating_in_place = isinstance(event, OrderUpdated) and new_status == self.status
        if not (updating_in_place and self.is_open and self.status != S.SUBMITTED) and (
            (_LEGAL_MASKS[self.status] >> new_status) & 1 == 0
        ):
            raise IllegalOrderTransition(
                f"order {self.client_order_id}: {type(event).__name__} is illegal in state "
                f"{S.NAMES[self.status]}"
            )
        if isinstance(event, OrderFilled):
            if event.side != self.side:
                raise IllegalOrderTransition(
                    f"order {self.client_order_id}: {OrderSide.name(event.side)} fill on a "
                    f"{OrderSide.name(self.side)} order"
                )
            if event.last_qty.raw <= 0:
                raise IllegalOrderTransition(f"order {self.client_order_id}: empty fill")
            if event.last_qty.raw > self.leaves_qty_raw:
                raise IllegalOrderTransition(
                    f"order {self.client_order_id}: fill of {event.last_qty} exceeds the "
                    f"{Qty(self.leaves_qty_raw)} left"
                )
            qty_raw = event.last_qty.raw
            self.filled_qty_raw += qty_raw
            if qty_raw % SCALE == 0:
                self._whole_notional_raw += exact_mul(qty_raw // SCALE, event.last_px.raw)
            else:
                self._part_notional_raw += qty_raw * event.last_px.raw
            self.fee_raw += event.fee.raw
        elif isinstance(event, OrderAccepted):
            if event.venue_order_id:
                self.venue_order_id = event.venue_order_id
        elif isinstance(event, OrderUpdated):
            if event.qty.raw < self.filled_qty_raw:
                raise IllegalOrderTransition(
                    f"order {self.client_order_id}: new quantity {event.qty} is below the "
                    f"{Qty(self.filled_qty_raw)} already filled"
                )
            self.qty = event.qty
            if event.qty.raw == self.filled_qty_raw:
                new_status = S.FILLED
            if event.price is not None:
                self.price = event.price
            if event.trigger_price is not None:
                self.trigger_price = event.trigger_price
        elif isinstance(event, OrderTriggered):
            self.triggered = True
        elif isinstance(event, (OrderDenied, OrderRejected, OrderCanceled, OrderExpired)):
            self.reason = event.reason
        entering_pending = new_status == S.PENDING_CANCEL or new_status == S.PENDING_UPDATE
        if entering_pending and self.status != S.PENDING_CANCEL and self.status != S.PENDING_UPDATE:
            self._before_pending = self.status
        self.status = new_status
        self.ts_last = event.ts_event
        self.events.append(event)

    def _target(self, event: OrderEvent) -> int:
        if isinstance(event, OrderFilled):
            remaining = self.leaves_qty_raw - event.last_qty.raw
            return S.FILLED if remaining <= 0 else S.PARTIALLY_FILLED
        if isinstance(event, OrderSubmitted):
            return S.SUBMITTED
        if isinstance(event, OrderAccepted):
            return S.ACCEPTED
        if isinstance(event, OrderDenied):
            return S.DENIED
        if isinstance(event, OrderRejected):
            return S.REJECTED
        if isinstance(event, OrderCanceled):
            return S.CANCELED
        if isinstance(event, OrderExpired):
            return S.EXPIRED
        if isinstance(event, OrderTriggered):
            return S.TRIGGERED
        if isinstance(event, OrderPendingCancel):
            return S.PENDING_CANCEL
        if isinstance(event, OrderPendingUpdate):
            return S.PENDING_UPDATE
        if isinstance(event, OrderModifyRejected) and self.status == S.PENDING_CANCEL:
            return S.PENDING_CANCEL  # the cancel is still on its way
        if isinstance(event, OrderCancelRejected) and self.status == S.PENDING_UPDATE:
            return S.PENDING_UPDATE
        if isinstance(event, (OrderUpdated, OrderCancelRejected, OrderModifyRejected)):
            return self._resume_status()
        raise IllegalOrderTransition(f"unknown order event {type(event).__name__}")

    def _resume_status(self) -> int:
        """After a pending cancel/update resolves without ending the order."""
        if self.status != S.PENDING_CANCEL and self.status != S.PENDING_UPDATE:
            return self.status
        previous = self._before_pending
        if previous == S.SUBMITTED:
            return S.ACCEPTED
        return previous

    def __repr__(self) -> str:
        px = f" @ {self.price}" if self.price is not None else ""
        return (
            f"Order({self.client_order_id} {OrderSide.name(self.side)} {self.qty} "
            f"{self.instrument_id} {OrderType.NAMES[self.order_type]}{px} "
            f"{TimeInForce.NAMES[self.time_in_force]} {S.NAMES[self.status]} "
            f"filled {Qty(self.filled_qty_raw)})"
        )
