"""Volume participation: our fills per bar are capped at floor(participation x volume) in lots."""

from __future__ import annotations

import pytest

from core.enums import OrderSide, OrderType
from core.events import OrderFilled
from core.instruments import Instrument
from core.values import Price, Qty
from venues.simulated import FillConfig

SEC = 1_000_000_000
MIN = 60 * SEC
T0 = 1_704_205_800 * SEC
B = [T0 + k * MIN for k in range(10)]
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def test_market_order_fills_over_several_bars(venue_harness):
    h = venue_harness(fill=FillConfig(participation=0.1))
    h.bar(B[1], "100.00", "100.00", "100.00", "100.00", v=100)
    coid = h.submit(BUY, 25)
    # each bar trades 100 shares: 10 % = 10 for us, at each bar's open, until 25 are done
    h.bar(B[2], "100.10", "100.50", "100.00", "100.20", v=100)
    h.bar(B[3], "100.30", "100.50", "100.00", "100.20", v=100)
    h.bar(B[4], "100.40", "100.50", "100.00", "100.20", v=100)
    h.bar(B[5], "100.50", "100.50", "100.00", "100.20", v=100)
    assert h.fills(coid) == [("10", "100.1"), ("10", "100.3"), ("5", "100.4")]
    assert h.kinds(coid) == ["OrderAccepted", "OrderFilled", "OrderFilled", "OrderFilled"]
    assert h.venue.position_raw("S1", h.iid) == Qty.of(25).raw
    assert h.venue.is_idle


def test_limit_order_partial_fills_across_bars_only_when_reached(venue_harness):
    h = venue_harness(fill=FillConfig(participation=0.2))
    h.bar(B[1], "100.00", "100.00", "100.00", "100.00", v=100)
    coid = h.submit(SELL, 50, OrderType.LIMIT, price="100.50")
    h.bar(B[2], "100.20", "100.60", "100.10", "100.40", v=100)  # reached: 20 % of 100 = 20
    h.bar(B[3], "100.20", "100.40", "100.10", "100.30", v=500)  # high 100.40: not reached
    h.bar(B[4], "100.20", "100.90", "100.10", "100.30", v=60)  # reached: 12
    h.bar(B[5], "100.60", "100.90", "100.50", "100.70", v=1000)  # opens above: 18 at 100.60
    assert h.fills(coid) == [("20", "100.5"), ("12", "100.5"), ("18", "100.6")]


def test_volume_zero_means_unknown_and_sets_no_cap(venue_harness):
    h = venue_harness(fill=FillConfig(participation=0.1))
    h.bar(B[1], "100.00", "100.00", "100.00", "100.00", v=0)
    coid = h.submit(BUY, 1_000_000)
    h.bar(B[2], "100.10", "100.50", "100.00", "100.20", v=0)
    assert h.fills(coid) == [("1000000", "100.1")]


def test_participation_none_sets_no_cap(venue_harness):
    h = venue_harness(fill=FillConfig(participation=None))
    h.bar(B[1], "100.00", "100.00", "100.00", "100.00", v=10)
    coid = h.submit(BUY, 500)
    h.bar(B[2], "100.10", "100.50", "100.00", "100.20", v=10)
    assert h.fills(coid) == [("500", "100.1")]


def test_cap_rounds_down_to_whole_lots(venue_harness):
    lots = Instrument(
        instrument_id="BBB.SIM",
        tick_size=Price.parse("0.01"),
        lot_size=Qty.of(100),
        quote_currency="USD",
    )
    h = venue_harness(fill=FillConfig(participation=0.1), instruments=[lots])
    h.bar(B[1], "50.00", "50.00", "50.00", "50.00", v=1000)
    coid = h.submit(BUY, 300)
    # 10 % of 1550 = 155 shares, rounded down to lots of 100: 100; then 10 % of 2999 = 299 -> 200
    h.bar(B[2], "50.10", "50.20", "50.00", "50.10", v=1550)
    h.bar(B[3], "50.20", "50.20", "50.00", "50.10", v=2999)
    assert h.fills(coid) == [("100", "50.1"), ("200", "50.2")]


def test_budget_is_shared_by_all_our_orders_on_the_instrument(venue_harness):
    h = venue_harness(fill=FillConfig(participation=0.1))
    h.bar(B[1], "100.00", "100.00", "100.00", "100.00", v=100)
    first = h.submit(BUY, 8)
    second = h.submit(BUY, 8, strategy="S2")
    # 10 shares for everyone: both market orders fill at the open, in arrival order: 8 then 2
    h.bar(B[2], "100.10", "100.50", "100.00", "100.20", v=100)
    assert h.fills(first) == [("8", "100.1")]
    assert h.fills(second) == [("2", "100.1")]
    h.bar(B[3], "100.30", "100.50", "100.00", "100.20", v=100)
    assert h.fills(second) == [("2", "100.1"), ("6", "100.3")]


def test_each_partial_fill_is_its_own_event_with_its_own_trade_id(venue_harness):
    h = venue_harness(fill=FillConfig(participation=0.5))
    h.bar(B[1], "10.00", "10.00", "10.00", "10.00", v=4)
    coid = h.submit(BUY, 5)
    for k in range(2, 5):
        h.bar(B[k], "10.00", "10.00", "10.00", "10.00", v=4)
    fills = [e for e in h.events if isinstance(e, OrderFilled)]
    assert [str(f.last_qty) for f in fills] == ["2", "2", "1"]
    assert [f.trade_id for f in fills] == ["SIM-T1", "SIM-T2", "SIM-T3"]
    assert all(f.client_order_id == coid for f in fills)


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5])
def test_participation_must_be_a_fraction(bad):
    with pytest.raises(ValueError, match="participation"):
        FillConfig(participation=bad)
