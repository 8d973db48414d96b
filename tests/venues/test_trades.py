"""Matching on trade ticks (market prints): next-print fills, strict crossing, print-size caps."""

from __future__ import annotations

from core.enums import Liquidity, OrderSide, OrderType, TimeInForce
from core.events import OrderFilled
from venues.simulated import FillConfig

SEC = 1_000_000_000
MS = 1_000_000
T0 = 1_704_205_800 * SEC
BUY, SELL = OrderSide.BUY, OrderSide.SELL
LIMIT, STOP, STOP_LIMIT = OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT


def printed(venue_harness, **kwargs):
    h = venue_harness(**kwargs)
    h.trade(T0 + 1 * MS, "100.00", 500)
    return h


def test_market_order_fills_at_the_next_print(venue_harness):
    h = printed(venue_harness, fill=FillConfig(participation=None))
    coid = h.submit(BUY, 10)
    assert h.kinds(coid) == ["OrderAccepted"]  # the print it was decided on is gone
    h.trade(T0 + 2 * MS, "100.03", 500)
    assert h.fills(coid) == [("10", "100.03")]
    assert h.of(coid, OrderFilled)[0].liquidity == Liquidity.TAKER


def test_print_size_caps_our_fills(venue_harness):
    h = printed(venue_harness, fill=FillConfig(participation=0.1))
    coid = h.submit(SELL, 25)
    h.trade(T0 + 2 * MS, "99.99", 100)  # 10 % of 100 = 10
    h.trade(T0 + 3 * MS, "99.98", 0)  # size unknown: no cap, the other 15
    assert h.fills(coid) == [("10", "99.99"), ("15", "99.98")]


def test_resting_limit_needs_a_print_strictly_through_it(venue_harness):
    h = printed(venue_harness, fill=FillConfig(participation=None))
    coid = h.submit(BUY, 10, LIMIT, price="99.50")
    h.trade(T0 + 2 * MS, "99.50", 1000)  # at the limit: others were ahead of us, no fill
    assert h.fills(coid) == []
    h.trade(T0 + 3 * MS, "99.49", 1000)  # through it: we were filled at our limit
    assert h.fills(coid) == [("10", "99.5")]
    assert h.of(coid, OrderFilled)[0].liquidity == Liquidity.MAKER


def test_resting_sell_limit_and_participation(venue_harness):
    h = printed(venue_harness, fill=FillConfig(participation=0.5))
    coid = h.submit(SELL, 10, LIMIT, price="100.20")
    h.trade(T0 + 2 * MS, "100.25", 8)  # through 100.20: half of 8 = 4 at 100.20
    h.trade(T0 + 3 * MS, "100.21", 100)  # the other 6
    assert h.fills(coid) == [("4", "100.2"), ("6", "100.2")]


def test_marketable_limit_fills_at_the_next_print_price(venue_harness):
    h = printed(venue_harness, fill=FillConfig(participation=None))
    coid = h.submit(BUY, 10, LIMIT, price="100.10")  # above the last print 100.00: a taker
    h.trade(T0 + 2 * MS, "100.05", 100)
    assert h.fills(coid) == [("10", "100.05")]
    assert h.of(coid, OrderFilled)[0].liquidity == Liquidity.TAKER


def test_ioc_limit_meets_only_the_next_print(venue_harness):
    h = printed(venue_harness, fill=FillConfig(participation=None))
    coid = h.submit(BUY, 10, LIMIT, price="99.90", tif=TimeInForce.IOC)
    h.trade(T0 + 2 * MS, "100.01", 100)  # above the limit: canceled
    h.trade(T0 + 3 * MS, "99.80", 100)
    assert h.fills(coid) == []
    assert h.reasons(coid) == ["IOC remainder"]


def test_stops_trigger_on_prints(venue_harness):
    h = printed(venue_harness, fill=FillConfig(participation=None))
    stop = h.submit(SELL, 10, STOP, trigger="99.50")
    stop_limit = h.submit(BUY, 10, STOP_LIMIT, price="100.60", trigger="100.50")
    h.trade(T0 + 2 * MS, "99.60", 100)
    assert h.fills(stop) == []
    h.trade(T0 + 3 * MS, "99.45", 100)  # <= 99.50: triggered, fills at this print
    assert h.fills(stop) == [("10", "99.45")]
    h.trade(T0 + 4 * MS, "100.70", 100)  # >= 100.50: triggered, but 100.70 > the limit
    assert h.kinds(stop_limit) == ["OrderAccepted", "OrderTriggered"]
    h.trade(T0 + 5 * MS, "100.55", 100)  # strictly through 100.60: fill at the limit
    assert h.fills(stop_limit) == [("10", "100.6")]
