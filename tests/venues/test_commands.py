"""Cancel, modify and venue-side validation."""

from __future__ import annotations

from core.enums import Liquidity, OrderSide, OrderType, TimeInForce
from core.events import (
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderFilled,
    OrderModifyRejected,
    OrderRejected,
    OrderUpdated,
)
from core.values import Price, Qty
from venues.simulated import FillConfig

SEC = 1_000_000_000
MS = 1_000_000
MIN = 60 * SEC
T0 = 1_704_205_800 * SEC
B = [T0 + k * MIN for k in range(10)]
NEXT_DAY = 1_704_240_000 * SEC  # 2024-01-03 00:00 UTC
BUY, SELL = OrderSide.BUY, OrderSide.SELL
LIMIT, STOP, STOP_LIMIT = OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT


def started(venue_harness, **kwargs):
    h = venue_harness(**kwargs)
    h.bar(B[1], "100.00", "100.00", "100.00", "100.00")
    return h


def test_cancel_by_request(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, LIMIT, price="99.00")
    h.cancel(coid)
    (canceled,) = h.of(coid, OrderCanceled)
    assert canceled.reason == "canceled by request"
    assert h.venue.is_idle
    h.bar(B[2], "99.00", "99.00", "98.00", "98.50")  # would have filled
    assert h.fills(coid) == []


def test_cancel_of_an_order_that_is_gone_is_rejected_with_the_reason(venue_harness):
    h = started(venue_harness)
    filled = h.submit(BUY, 10)
    h.bar(B[2], "100.00", "100.00", "100.00", "100.00")
    h.cancel(filled)
    canceled = h.submit(BUY, 10, LIMIT, price="90.00")
    h.cancel(canceled)
    h.cancel(canceled)
    h.cancel("never-sent")
    assert [e.reason for e in h.of(filled, OrderCancelRejected)] == ["order already filled"]
    assert [e.reason for e in h.of(canceled, OrderCancelRejected)] == ["order already canceled"]
    assert [e.reason for e in h.of("never-sent", OrderCancelRejected)] == [
        "unknown order never-sent"
    ]


def test_unknown_instrument_is_rejected_by_the_venue(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, iid="ZZZ.SIM")
    (rejected,) = h.of(coid, OrderRejected)
    assert rejected.reason == "unknown instrument ZZZ.SIM at venue SIM"
    h.cancel(coid)
    assert h.of(coid, OrderCancelRejected)[0].reason == "order was rejected"


def test_an_absurd_limit_price_is_the_risk_engines_business(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, LIMIT, price="1000000.00")
    assert h.kinds(coid) == ["OrderAccepted"]
    h.bar(B[2], "100.00", "100.50", "99.50", "100.00")
    assert h.fills(coid) == [("10", "100")]  # marketable: fills at the open


def test_modify_price_and_quantity_of_a_resting_limit(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, LIMIT, price="99.00")
    h.modify(coid, quantity=15, price="99.60")
    (updated,) = h.of(coid, OrderUpdated)
    # the event carries the full new values, not only what changed
    assert (updated.qty, updated.price, updated.trigger_price) == (
        Qty.of(15),
        Price.parse("99.60"),
        None,
    )
    h.bar(B[2], "100.00", "100.20", "99.50", "99.90")  # reaches 99.60, not 99.00
    assert h.fills(coid) == [("15", "99.6")]


def test_modify_trigger_of_a_stop(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, STOP_LIMIT, price="102.00", trigger="101.50")
    h.modify(coid, trigger="100.50")
    (updated,) = h.of(coid, OrderUpdated)
    assert (updated.qty, updated.price, updated.trigger_price) == (
        Qty.of(10),
        Price.parse("102"),
        Price.parse("100.50"),
    )
    h.bar(B[2], "100.00", "100.80", "99.90", "100.70")  # up through 100.50, not 101.50
    assert h.kinds(coid) == ["OrderAccepted", "OrderUpdated", "OrderTriggered", "OrderFilled"]
    assert h.fills(coid) == [("10", "100.5")]


def test_modify_keeps_filled_quantity_and_expiry(venue_harness):
    h = started(venue_harness, fill=FillConfig(participation=0.1))
    coid = h.submit(BUY, 10, LIMIT, price="100.00", tif=TimeInForce.DAY)
    h.bar(B[2], "100.00", "100.00", "99.90", "100.00", v=40)  # 4 of 10 fill
    h.modify(coid, quantity=12)
    h.bar(B[3], "100.00", "100.00", "99.90", "100.00", v=50)  # 5 more: 9 of 12
    assert h.fills(coid) == [("4", "100"), ("5", "100")]
    assert h.venue.leaves_raw(coid) == Qty.of(3).raw
    h.at(NEXT_DAY + 1)  # still a DAY order: it expires at the session close
    assert h.of(coid, OrderExpired)[0].ts_event == NEXT_DAY


def test_modify_rejections(venue_harness):
    h = started(venue_harness, fill=FillConfig(participation=0.1))
    partial = h.submit(BUY, 10, LIMIT, price="100.00")
    h.bar(B[2], "100.00", "100.00", "99.90", "100.00", v=40)  # 4 filled
    h.modify(partial, quantity=4)  # not above the 4 already filled
    market = h.submit(BUY, 10)
    h.modify(market, price="100.00")
    limit = h.submit(SELL, 10, LIMIT, price="105.00")
    h.modify(limit, trigger="104.00")
    done = h.submit(BUY, 1)
    h.bar(B[3], "100.00", "100.00", "100.00", "100.00", v=0)
    h.modify(done, quantity=2)
    reasons = {
        coid: [e.reason for e in h.of(coid, OrderModifyRejected)]
        for coid in (partial, market, limit, done)
    }
    assert reasons == {
        partial: ["new quantity 4 is not above the 4 already filled"],
        market: ["a MARKET order has no limit price"],
        limit: ["a LIMIT order has no trigger price"],
        done: ["order already filled"],
    }
    # a rejected modify changes nothing: the partial order still works for 10 (4 + 6)
    assert h.fills(partial) == [("4", "100"), ("6", "100")]


def test_modify_trigger_after_trigger_is_rejected(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, STOP_LIMIT, price="101.20", trigger="101.00")
    h.bar(B[2], "102.00", "103.00", "101.50", "102.50")  # triggered, not filled
    h.modify(coid, trigger="102.00")
    assert h.of(coid, OrderModifyRejected)[0].reason == "the order has already triggered"
    h.modify(coid, price="102.60")  # the limit may still move
    h.bar(B[3], "102.50", "102.80", "102.40", "102.60")
    assert h.fills(coid) == [("10", "102.5")]


def test_modify_to_cross_the_quote_fills_at_once_as_taker(venue_harness):
    h = venue_harness()
    h.quote(T0 + MS, "99.98", "100.02", bid_size=100, ask_size=100)
    coid = h.submit(BUY, 50, LIMIT, price="99.90")
    assert h.fills(coid) == []
    h.modify(coid, price="100.05")
    assert h.kinds(coid) == ["OrderAccepted", "OrderUpdated", "OrderFilled"]
    assert h.fills(coid) == [("50", "100.02")]
    assert h.of(coid, OrderFilled)[0].liquidity == Liquidity.TAKER
