"""The venue inside the real kernel: no look-ahead, event order as a strategy sees it, the order
state machine accepting every event the venue sends, and positions agreeing with the portfolio."""

from __future__ import annotations

from core.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from core.events import OrderCancelRejected
from core.market import Bar
from core.values import Money, Price, Qty
from venues.simulated import BarConvention, FillConfig, LatencyModel, SimulatedVenue

SEC = 1_000_000_000
MIN = 60 * SEC
T0 = 1_704_205_800 * SEC
B = [T0 + k * MIN for k in range(20)]
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def buy_ten_at_market(strategy, bar):
    strategy.ctx.submit_order(strategy.iid, BUY, Qty.of(10), client_order_id="entry")


def test_next_open_no_fill_on_the_bar_the_order_was_decided_on(kernel_harness):
    k = kernel_harness(SimulatedVenue("SIM"), {1: buy_ten_at_market})
    k.bar(B[1], "100.00", "100.50", "99.50", "100.20")
    order = k.ctx.order("entry")
    assert order is not None
    assert order.status == OrderStatus.ACCEPTED  # accepted, not filled, on its decision bar
    k.bar(B[2], "100.30", "100.80", "100.10", "100.60")
    # the fill (at bar 2's open) reaches the strategy before bar 2 itself
    assert k.strategy.log == [
        "bar 1",
        "OrderSubmitted",
        "OrderAccepted",
        "OrderFilled",
        "fill 10@100.3",
        "bar 2",
    ]
    assert order.status == OrderStatus.FILLED
    assert order.ts_last == B[2]
    assert k.ctx.position(k.iid).signed_qty_raw == Qty.of(10).raw
    assert k.venue.position_raw("S1", k.iid) == Qty.of(10).raw
    # cash: 1,000,000 - 10 x 100.30
    assert k.ctx.cash() == Money.parse("998997", "USD")
    assert k.errors() == []


def test_same_close_opt_in_fills_at_the_close_of_the_decision_bar(kernel_harness):
    venue = SimulatedVenue("SIM", fill=FillConfig(bar_convention=BarConvention.SAME_CLOSE))
    k = kernel_harness(venue, {1: buy_ten_at_market})
    k.bar(B[1], "100.00", "100.50", "99.50", "100.20")
    assert k.fills("entry") == [("10", "100.2")]  # bar 1's close: look-ahead-prone, opt-in
    assert k.strategy.log[-2:] == ["OrderFilled", "fill 10@100.2"]
    k.bar(B[2], "100.30", "100.80", "100.10", "100.60")
    assert k.fills("entry") == [("10", "100.2")]
    assert k.errors() == []


def test_same_close_remainder_fills_at_later_closes(kernel_harness):
    venue = SimulatedVenue(
        "SIM",
        fill=FillConfig(bar_convention=BarConvention.SAME_CLOSE, participation=0.1),
    )
    k = kernel_harness(venue, {1: buy_ten_at_market})
    k.bar(B[1], "100.00", "100.50", "99.50", "100.20", v=60)  # 6 at 100.20
    k.bar(B[2], "100.30", "100.80", "100.10", "100.60", v=100)  # the other 4 at its close
    assert k.fills("entry") == [("6", "100.2"), ("4", "100.6")]
    assert k.ctx.order("entry").status == OrderStatus.FILLED


def test_partial_fills_move_the_order_through_partially_filled(kernel_harness):
    k = kernel_harness(SimulatedVenue("SIM", fill=FillConfig(participation=0.1)))
    k.bar(B[1], "100.00", "100.00", "100.00", "100.00", v=100)
    order = k.ctx.submit_order(k.iid, SELL, Qty.of(25), client_order_id="big")
    statuses = []
    for i in range(2, 5):
        k.bar(B[i], "100.00", "100.00", "100.00", "100.00", v=100)
        statuses.append(order.status_name())
    assert statuses == ["PARTIALLY_FILLED", "PARTIALLY_FILLED", "FILLED"]
    assert order.filled_qty_raw == Qty.of(25).raw
    assert k.errors() == []


def test_cancel_losing_the_race_leaves_the_order_filled(kernel_harness):
    k = kernel_harness(SimulatedVenue("SIM", latency=LatencyModel(cancel_ns=2 * MIN)))
    k.bar(B[1], "100.00", "100.00", "100.00", "100.00")
    order = k.ctx.submit_order(
        k.iid, BUY, Qty.of(10), order_type=OrderType.LIMIT, price=Price.parse("99.50")
    )
    k.bar(B[2], "100.00", "100.20", "99.80", "100.00")
    assert k.ctx.cancel_order(order.client_order_id)
    assert order.status == OrderStatus.PENDING_CANCEL
    k.bar(B[3], "99.80", "100.00", "99.40", "99.60")  # fills while the cancel travels
    assert order.status == OrderStatus.FILLED
    k.bar(B[4], "99.60", "99.70", "99.50", "99.60")  # the cancel arrives: rejected
    rejected = [e for e in order.events if isinstance(e, OrderCancelRejected)]
    assert [e.reason for e in rejected] == ["order already filled"]
    assert order.status == OrderStatus.FILLED
    assert k.errors() == []


def test_cancel_winning_the_race(kernel_harness):
    k = kernel_harness(SimulatedVenue("SIM", latency=LatencyModel(order_ns=SEC, cancel_ns=SEC)))
    k.bar(B[1], "100.00", "100.00", "100.00", "100.00")
    order = k.ctx.submit_order(
        k.iid, BUY, Qty.of(10), order_type=OrderType.LIMIT, price=Price.parse("99.50")
    )
    assert order.status == OrderStatus.SUBMITTED  # still travelling
    k.bar(B[2], "100.00", "100.20", "99.80", "100.00")
    assert order.status == OrderStatus.ACCEPTED
    k.ctx.cancel_order(order.client_order_id)
    k.bar(B[3], "99.80", "100.00", "99.40", "99.60")
    assert order.status == OrderStatus.CANCELED
    assert order.filled_qty_raw == 0
    assert k.errors() == []


def test_cancel_sent_before_the_order_arrived(kernel_harness):
    k = kernel_harness(SimulatedVenue("SIM", latency=LatencyModel(order_ns=5 * SEC, cancel_ns=SEC)))
    k.bar(B[1], "100.00", "100.00", "100.00", "100.00")
    order = k.ctx.submit_order(
        k.iid, BUY, Qty.of(10), order_type=OrderType.LIMIT, price=Price.parse("99.50")
    )
    k.ctx.cancel_order(order.client_order_id)  # SUBMITTED -> PENDING_CANCEL
    k.bar(B[2], "99.00", "99.00", "98.00", "98.50")
    assert [type(e).__name__ for e in order.events] == [
        "OrderSubmitted",
        "OrderPendingCancel",
        "OrderAccepted",
        "OrderCanceled",
    ]
    assert order.status == OrderStatus.CANCELED
    assert k.errors() == []


def test_stop_limit_ioc_trigger_then_cancel_is_legal_for_the_order(kernel_harness):
    k = kernel_harness(SimulatedVenue("SIM"))
    k.bar(B[1], "100.00", "100.00", "100.00", "100.00")
    order = k.ctx.submit_order(
        k.iid,
        BUY,
        Qty.of(10),
        order_type=OrderType.STOP_LIMIT,
        price=Price.parse("101.20"),
        trigger_price=Price.parse("101.00"),
        time_in_force=TimeInForce.IOC,
    )
    k.bar(B[2], "102.00", "102.50", "101.10", "101.15")
    assert order.status == OrderStatus.CANCELED
    assert order.triggered
    assert k.errors() == []


def test_modify_through_the_kernel(kernel_harness):
    k = kernel_harness(SimulatedVenue("SIM"))
    k.bar(B[1], "100.00", "100.00", "100.00", "100.00")
    order = k.ctx.submit_order(
        k.iid, BUY, Qty.of(10), order_type=OrderType.LIMIT, price=Price.parse("99.00")
    )
    assert k.ctx.modify_order(order.client_order_id, qty=Qty.of(12), price=Price.parse("99.70"))
    assert (order.qty, order.price, order.status) == (
        Qty.of(12),
        Price.parse("99.70"),
        OrderStatus.ACCEPTED,
    )
    k.bar(B[2], "100.00", "100.10", "99.60", "99.80")
    assert k.fills(order.client_order_id) == [("12", "99.7")]
    assert k.errors() == []


def test_day_expiry_through_the_kernel(kernel_harness):
    k = kernel_harness(SimulatedVenue("SIM"))  # session close 00:00 UTC
    k.bar(B[1], "100.00", "100.00", "100.00", "100.00")
    order = k.ctx.submit_order(
        k.iid,
        BUY,
        Qty.of(10),
        order_type=OrderType.LIMIT,
        price=Price.parse("90.00"),
        time_in_force=TimeInForce.DAY,
    )
    k.kernel.advance_time(1_704_240_000 * SEC + 1)  # just after 2024-01-03 00:00 UTC
    assert order.status == OrderStatus.EXPIRED
    assert k.errors() == []


def test_take_profit_and_stop_loss_through_the_kernel(kernel_harness):
    def protect(strategy, bar):
        ctx = strategy.ctx
        ctx.submit_order(
            strategy.iid,
            SELL,
            Qty.of(10),
            order_type=OrderType.LIMIT,
            price=Price.parse("102.00"),
            reduce_only=True,
            client_order_id="tp",
        )
        ctx.submit_order(
            strategy.iid,
            SELL,
            Qty.of(10),
            order_type=OrderType.STOP,
            trigger_price=Price.parse("98.00"),
            reduce_only=True,
            client_order_id="sl",
        )

    k = kernel_harness(SimulatedVenue("SIM"), {1: buy_ten_at_market, 2: protect})
    k.bar(B[1], "100.00", "100.00", "100.00", "100.00")
    k.bar(B[2], "100.00", "100.00", "100.00", "100.00")  # entry fills; bar 2 places TP and SL
    k.bar(B[3], "100.00", "103.00", "97.50", "99.00")  # low first: the stop loss wins
    assert k.fills("sl") == [("10", "98")]
    assert k.ctx.order("tp").status == OrderStatus.CANCELED
    assert k.ctx.order("tp").reason == "reduce-only: position already flat"
    assert k.ctx.position(k.iid).signed_qty_raw == 0
    # realized: 10 x (98 - 100) = -20
    assert k.ctx.realized_pnl() == Money.parse("-20", "USD")
    assert k.errors() == []


def test_an_idle_venue_passes_data_through_untouched(kernel_harness):
    k = kernel_harness(SimulatedVenue("SIM"))
    for i in range(1, 2_000):
        hundred = Price.parse("100")
        k.kernel.on_bar(Bar.of(k.iid, T0 + i * MIN, hundred, hundred, hundred, hundred, Qty.of(1)))
    assert k.venue.is_idle
    assert k.published == []
