"""core.orders: the order state machine, checked transition by transition.

Every (status, event) pair is generated: an order is driven into each status along a legal path,
then offered each kind of event. Pairs in LEGAL_TRANSITIONS must move the order there; every
other pair must raise IllegalOrderTransition and leave the order exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.commands import SubmitOrder
from core.enums import Liquidity, OrderSide, OrderStatus, OrderType, TimeInForce
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
from core.orders import LEGAL_TRANSITIONS, TERMINAL, IllegalOrderTransition, Order
from core.values import Money, Price, Qty

S = OrderStatus
COID = "O-1"
IID = "SPY.SIM"
ORDER_QTY = 10


def new_order(order_type: int = OrderType.STOP_LIMIT, qty: int = ORDER_QTY, side: int = 1) -> Order:
    needs_price = order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
    needs_trigger = order_type in (OrderType.STOP, OrderType.STOP_LIMIT)
    return Order(
        SubmitOrder(
            strategy_id="S1",
            client_order_id=COID,
            instrument_id=IID,
            side=side,
            order_type=order_type,
            qty=Qty.of(qty),
            price=Price.parse("100") if needs_price else None,
            trigger_price=Price.parse("101") if needs_trigger else None,
            ts_init=5,
        )
    )


_ts = [100]


def _next_ts() -> int:
    _ts[0] += 1
    return _ts[0]


def _base(order: Order) -> dict[str, object]:
    return {
        "strategy_id": order.strategy_id,
        "client_order_id": order.client_order_id,
        "instrument_id": order.instrument_id,
        "ts_event": _next_ts(),
    }


def submitted(o: Order) -> OrderEvent:
    return OrderSubmitted(**_base(o))  # type: ignore[arg-type]


def accepted(o: Order) -> OrderEvent:
    return OrderAccepted(**_base(o), venue_order_id="V-1")  # type: ignore[arg-type]


def denied(o: Order) -> OrderEvent:
    return OrderDenied(**_base(o), rule="max_qty", reason="too big")  # type: ignore[arg-type]


def rejected(o: Order) -> OrderEvent:
    return OrderRejected(**_base(o), reason="no margin")  # type: ignore[arg-type]


def canceled(o: Order) -> OrderEvent:
    return OrderCanceled(**_base(o), reason="user")  # type: ignore[arg-type]


def expired(o: Order) -> OrderEvent:
    return OrderExpired(**_base(o), reason="DAY")  # type: ignore[arg-type]


def triggered(o: Order) -> OrderEvent:
    return OrderTriggered(**_base(o))  # type: ignore[arg-type]


def pending_cancel(o: Order) -> OrderEvent:
    return OrderPendingCancel(**_base(o))  # type: ignore[arg-type]


def pending_update(o: Order) -> OrderEvent:
    return OrderPendingUpdate(**_base(o))  # type: ignore[arg-type]


def cancel_rejected(o: Order) -> OrderEvent:
    return OrderCancelRejected(**_base(o), reason="too late")  # type: ignore[arg-type]


def modify_rejected(o: Order) -> OrderEvent:
    return OrderModifyRejected(**_base(o), reason="too late")  # type: ignore[arg-type]


def updated(o: Order, qty: int = 20, price: str = "99", trigger: str | None = None) -> OrderEvent:
    return OrderUpdated(
        **_base(o),  # type: ignore[arg-type]
        qty=Qty.of(qty),
        price=Price.parse(price),
        trigger_price=Price.parse(trigger) if trigger is not None else None,
    )


def fill(
    o: Order, qty: int, price: str = "100", fee: str = "0.5", side: int | None = None
) -> OrderEvent:
    return OrderFilled(
        **_base(o),  # type: ignore[arg-type]
        trade_id=f"T-{_next_ts()}",
        side=o.side if side is None else side,
        last_qty=Qty.of(qty),
        last_px=Price.parse(price),
        fee=Money.parse(fee, "USD"),
        liquidity=Liquidity.MAKER,
    )


def partial_fill(o: Order) -> OrderEvent:
    return fill(o, 1)


def full_fill(o: Order) -> OrderEvent:
    return OrderFilled(
        **_base(o),  # type: ignore[arg-type]
        trade_id=f"T-{_next_ts()}",
        side=o.side,
        last_qty=Qty(o.leaves_qty_raw),
        last_px=Price.parse("100"),
        fee=Money.parse("0.5", "USD"),
        liquidity=Liquidity.MAKER,
    )


Make = Callable[[Order], OrderEvent]

# the event that moves an order to each status (the status it targets)
EVENT_FOR_TARGET: dict[int, Make] = {
    S.SUBMITTED: submitted,
    S.ACCEPTED: accepted,
    S.DENIED: denied,
    S.REJECTED: rejected,
    S.CANCELED: canceled,
    S.EXPIRED: expired,
    S.TRIGGERED: triggered,
    S.PENDING_CANCEL: pending_cancel,
    S.PENDING_UPDATE: pending_update,
    S.PARTIALLY_FILLED: partial_fill,
    S.FILLED: full_fill,
}

# a legal path from INITIALIZED into each status
PATH_TO: dict[int, list[Make]] = {
    S.INITIALIZED: [],
    S.DENIED: [denied],
    S.SUBMITTED: [submitted],
    S.ACCEPTED: [submitted, accepted],
    S.REJECTED: [submitted, rejected],
    S.CANCELED: [submitted, accepted, canceled],
    S.EXPIRED: [submitted, accepted, expired],
    S.TRIGGERED: [submitted, accepted, triggered],
    S.PENDING_CANCEL: [submitted, accepted, pending_cancel],
    S.PENDING_UPDATE: [submitted, accepted, pending_update],
    S.PARTIALLY_FILLED: [submitted, accepted, partial_fill],
    S.FILLED: [submitted, accepted, full_fill],
}


def order_in(status: int, order_type: int = OrderType.STOP_LIMIT) -> Order:
    order = new_order(order_type)
    for make in PATH_TO[status]:
        order.apply(make(order))
    assert order.status == status, order
    return order


def snapshot(order: Order) -> tuple[object, ...]:
    avg = order.avg_px()
    return (
        order.status,
        order.qty.raw,
        None if order.price is None else order.price.raw,
        None if order.trigger_price is None else order.trigger_price.raw,
        order.filled_qty_raw,
        order.leaves_qty_raw,
        None if avg is None else avg.raw,
        order.fee_raw,
        order.venue_order_id,
        order.triggered,
        order.reason,
        order.ts_last,
        len(order.events),
        order.is_open,
        order.is_closed,
    )


def test_every_status_is_in_the_table() -> None:
    assert set(LEGAL_TRANSITIONS) == set(S.NAMES)
    assert set(PATH_TO) == set(S.NAMES)
    assert {s for s, targets in LEGAL_TRANSITIONS.items() if not targets} == set(TERMINAL)


LEGAL_PAIRS = sorted((s, t) for s, targets in LEGAL_TRANSITIONS.items() for t in targets)
ILLEGAL_PAIRS = sorted(
    (s, t) for s in S.NAMES for t in EVENT_FOR_TARGET if t not in LEGAL_TRANSITIONS[s]
)


def _pair_id(pair: tuple[int, int]) -> str:
    return f"{S.NAMES[pair[0]]}->{S.NAMES[pair[1]]}"


@pytest.mark.parametrize("pair", LEGAL_PAIRS, ids=_pair_id)
def test_every_legal_transition_is_accepted(pair: tuple[int, int]) -> None:
    status, target = pair
    order = order_in(status)
    event = EVENT_FOR_TARGET[target](order)
    order.apply(event)
    assert order.status == target
    assert order.events[-1] is event
    assert order.ts_last == event.ts_event


@pytest.mark.parametrize("pair", ILLEGAL_PAIRS, ids=_pair_id)
def test_every_illegal_transition_raises_and_changes_nothing(pair: tuple[int, int]) -> None:
    status, target = pair
    order = order_in(status)
    before = snapshot(order)
    with pytest.raises(IllegalOrderTransition, match=r"illegal in state|exceeds|empty fill"):
        order.apply(EVENT_FOR_TARGET[target](order))
    assert snapshot(order) == before


def test_matrix_covers_every_pair() -> None:
    assert len(LEGAL_PAIRS) + len(ILLEGAL_PAIRS) == len(S.NAMES) * len(EVENT_FOR_TARGET)
    assert len(ILLEGAL_PAIRS) > 0


# replies to a request: OrderUpdated, OrderCancelRejected, OrderModifyRejected ---------------------
RESUMING: dict[str, Make] = {
    "updated": updated,
    "cancel_rejected": cancel_rejected,
    "modify_rejected": modify_rejected,
}


@pytest.mark.parametrize("status", sorted(TERMINAL | {S.INITIALIZED, S.SUBMITTED}), ids=S.NAMES.get)
def test_order_updated_is_refused_where_nothing_works(status: int) -> None:
    order = order_in(status)
    before = snapshot(order)
    with pytest.raises(IllegalOrderTransition):
        order.apply(updated(order))
    assert snapshot(order) == before


@pytest.mark.parametrize(
    "status", sorted(set(S.NAMES) - {S.PENDING_CANCEL, S.PENDING_UPDATE}), ids=S.NAMES.get
)
@pytest.mark.parametrize("make", [cancel_rejected, modify_rejected], ids=lambda f: f.__name__)
def test_a_refused_request_never_changes_a_settled_order(status: int, make: Make) -> None:
    order = order_in(status)
    before = snapshot(order)
    order.apply(make(order))  # e.g. the fill won the race with the cancel: nothing to undo
    after = snapshot(order)
    assert after[:12] == before[:12]
    assert after[12] == before[12] + 1  # the reply is kept in the order's history


@pytest.mark.parametrize(
    ("start", "ask", "reply"),
    [
        (S.ACCEPTED, pending_cancel, cancel_rejected),
        (S.ACCEPTED, pending_update, modify_rejected),
        (S.TRIGGERED, pending_cancel, cancel_rejected),
        (S.TRIGGERED, pending_update, modify_rejected),
        (S.PARTIALLY_FILLED, pending_cancel, cancel_rejected),
        (S.PARTIALLY_FILLED, pending_update, modify_rejected),
    ],
    ids=lambda v: S.NAMES.get(v) if isinstance(v, int) else v.__name__,
)
def test_a_refused_request_returns_to_the_state_before_pending(
    start: int, ask: Make, reply: Make
) -> None:
    order = order_in(start)
    before = snapshot(order)
    order.apply(ask(order))
    assert order.status in (S.PENDING_CANCEL, S.PENDING_UPDATE)
    order.apply(reply(order))
    assert order.status == start
    assert snapshot(order)[1:11] == before[1:11]


def test_cancel_rejected_for_an_order_never_accepted_counts_it_accepted() -> None:
    order = order_in(S.SUBMITTED)
    order.apply(pending_cancel(order))
    order.apply(cancel_rejected(order))
    assert order.status == S.ACCEPTED


def test_order_updated_changes_quantity_and_price() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(pending_update(order))
    order.apply(updated(order, qty=20, price="99.5"))
    assert order.status == S.ACCEPTED
    assert order.qty == Qty.of(20)
    assert order.price == Price.parse("99.5")
    assert order.trigger_price == Price.parse("101")  # None keeps the current trigger
    assert order.leaves_qty_raw == Qty.of(20).raw
    order.apply(pending_update(order))
    order.apply(updated(order, qty=20, price="99.5", trigger="102"))
    assert order.trigger_price == Price.parse("102")


def test_order_updated_after_a_partial_fill_keeps_the_fills() -> None:
    order = order_in(S.PARTIALLY_FILLED)
    order.apply(pending_update(order))
    order.apply(updated(order, qty=5))
    assert order.status == S.PARTIALLY_FILLED
    assert order.filled_qty_raw == Qty.of(1).raw
    assert order.leaves_qty_raw == Qty.of(4).raw


def test_order_updated_below_the_filled_quantity_raises() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(fill(order, 6))
    order.apply(pending_update(order))
    before = snapshot(order)
    with pytest.raises(IllegalOrderTransition, match="below"):
        order.apply(updated(order, qty=5))
    assert snapshot(order) == before


def test_order_updated_down_to_the_filled_quantity_completes_the_order() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(fill(order, 6))
    order.apply(pending_update(order))
    order.apply(updated(order, qty=6))
    assert order.leaves_qty_raw == 0
    assert order.status == S.FILLED
    assert order.is_closed


@pytest.mark.parametrize("status", [S.ACCEPTED, S.TRIGGERED], ids=S.NAMES.get)
def test_order_updated_without_a_pending_request_is_applied(status: int) -> None:
    order = order_in(status)
    order.apply(updated(order, qty=15, price="98"))
    assert (order.status, order.qty, order.price) == (status, Qty.of(15), Price.parse("98"))


def test_order_updated_without_a_pending_request_after_a_fill_is_applied() -> None:
    order = order_in(S.PARTIALLY_FILLED)
    order.apply(updated(order, qty=15, price="98"))
    assert (order.status, order.qty) == (S.PARTIALLY_FILLED, Qty.of(15))


def test_a_modify_reject_keeps_a_later_cancel_pending() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(pending_update(order))
    order.apply(pending_cancel(order))
    order.apply(modify_rejected(order))
    assert order.status == S.PENDING_CANCEL


# fills -------------------------------------------------------------------------------------------
def test_partial_then_full_fill_gives_filled_with_exact_average() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(fill(order, 4, "100.00", fee="0.40"))
    assert order.status == S.PARTIALLY_FILLED
    assert order.avg_px() == Price.parse("100")
    assert order.leaves_qty_raw == Qty.of(6).raw
    order.apply(fill(order, 6, "101.00", fee="0.60"))
    assert order.status == S.FILLED
    assert order.avg_px() == Price.parse("100.6")  # (4*100 + 6*101) / 10
    assert order.filled_qty_raw == Qty.of(10).raw
    assert order.leaves_qty_raw == 0
    assert order.fee_raw == Money.parse("1.00", "USD").raw
    assert order.is_closed and not order.is_open


def test_average_fill_price_is_rounded_half_even_at_nano() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(fill(order, 1, "100.00"))
    order.apply(fill(order, 2, "100.01"))
    assert order.avg_px() == Price(100_006_666_667)  # 300.02 / 3
    tie = order_in(S.ACCEPTED)
    tie.apply(fill(tie, 1, "0.000000002"))
    tie.apply(fill(tie, 1, "0.000000003"))
    assert tie.avg_px() == Price(2)  # 2.5e-9 -> 2e-9 (even)
    assert order_in(S.ACCEPTED).avg_px() is None


def test_fill_straight_from_submitted_is_allowed() -> None:
    order = order_in(S.SUBMITTED)
    order.apply(full_fill(order))
    assert order.status == S.FILLED


@pytest.mark.parametrize(
    "status", [S.SUBMITTED, S.ACCEPTED, S.PARTIALLY_FILLED, S.TRIGGERED], ids=S.NAMES.get
)
def test_overfill_raises_and_changes_nothing(status: int) -> None:
    order = order_in(status)
    before = snapshot(order)
    with pytest.raises(IllegalOrderTransition, match="exceeds"):
        order.apply(fill(order, 11))
    assert snapshot(order) == before


def test_empty_fill_raises() -> None:
    order = order_in(S.ACCEPTED)
    with pytest.raises(IllegalOrderTransition, match="empty fill"):
        order.apply(fill(order, 0))
    assert order.status == S.ACCEPTED


def test_a_fill_on_the_wrong_side_is_illegal() -> None:
    order = order_in(S.ACCEPTED)
    with pytest.raises(IllegalOrderTransition):
        order.apply(fill(order, 1, side=OrderSide.SELL))


@pytest.mark.parametrize("status", sorted(TERMINAL), ids=S.NAMES.get)
def test_terminal_orders_take_no_fill(status: int) -> None:
    order = order_in(status)
    before = snapshot(order)
    with pytest.raises(IllegalOrderTransition):
        order.apply(fill(order, 1))
    assert snapshot(order) == before


def test_event_of_another_order_raises() -> None:
    order = order_in(S.ACCEPTED)
    other = OrderCanceled(
        strategy_id="S1", client_order_id="O-2", instrument_id=IID, ts_event=1, reason="x"
    )
    with pytest.raises(IllegalOrderTransition, match="does not belong"):
        order.apply(other)
    assert order.status == S.ACCEPTED


@pytest.mark.parametrize("order_type", [OrderType.MARKET, OrderType.LIMIT], ids=OrderType.NAMES.get)
def test_only_stop_orders_can_trigger(order_type: int) -> None:
    order = order_in(S.ACCEPTED, order_type)
    with pytest.raises(IllegalOrderTransition):
        order.apply(triggered(order))


def test_bookkeeping_on_the_way() -> None:
    order = order_in(S.ACCEPTED)
    assert order.venue_order_id == "V-1"
    order.apply(triggered(order))
    assert order.triggered
    order.apply(canceled(order))
    assert order.reason == "user"
    assert [type(e).__name__ for e in order.events] == [
        "OrderSubmitted",
        "OrderAccepted",
        "OrderTriggered",
        "OrderCanceled",
    ]
    assert order.status_name() == "CANCELED"
    assert "CANCELED" in repr(order)
    denied_order = order_in(S.DENIED)
    assert denied_order.reason == "too big"
    assert not denied_order.is_open and denied_order.is_closed
    assert not order_in(S.INITIALIZED).is_open


# commands validate on construction ----------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"side": 0}, "side must be BUY"),
        ({"qty": Qty(0)}, "quantity must be positive"),
        ({"order_type": 9}, "unknown order type"),
        ({"order_type": OrderType.LIMIT}, "needs a limit price"),
        ({"price": Price.parse("1")}, "must not have a limit price"),
        ({"order_type": OrderType.STOP}, "needs a trigger price"),
        ({"trigger_price": Price.parse("1")}, "must not have a trigger price"),
        ({"time_in_force": 9}, "unknown time in force"),
        ({"order_type": OrderType.LIMIT, "price": Price.parse("-1")}, "must be positive"),
    ],
)
def test_submit_order_validates(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "strategy_id": "S1",
        "client_order_id": "X",
        "instrument_id": IID,
        "side": OrderSide.BUY,
        "order_type": OrderType.MARKET,
        "qty": Qty.of(1),
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        SubmitOrder(**args)  # type: ignore[arg-type]


def test_enum_parsing() -> None:
    assert OrderSide.parse(" buy ") == OrderSide.BUY
    assert OrderSide.parse("SELL") == OrderSide.SELL
    assert OrderSide.name(OrderSide.SELL) == "SELL"
    assert TimeInForce.parse("ioc") == TimeInForce.IOC
    with pytest.raises(ValueError, match="BUY or SELL"):
        OrderSide.parse("hold")
    with pytest.raises(ValueError, match="GTC, DAY, IOC, FOK"):
        TimeInForce.parse("GTD")
