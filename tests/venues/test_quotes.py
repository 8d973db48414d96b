"""Matching on quote ticks: the touch, displayed sizes, resting limits and stops."""

from __future__ import annotations

from core.enums import Liquidity, OrderSide, OrderType, TimeInForce
from core.events import OrderFilled
from venues.simulated import LatencyModel

SEC = 1_000_000_000
MS = 1_000_000
T0 = 1_704_205_800 * SEC
BUY, SELL = OrderSide.BUY, OrderSide.SELL
LIMIT, STOP, STOP_LIMIT = OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT
IOC, FOK = TimeInForce.IOC, TimeInForce.FOK


def quoted(venue_harness, **kwargs):
    h = venue_harness(**kwargs)
    h.quote(T0 + 1 * MS, "99.98", "100.02", bid_size=300, ask_size=200)
    return h


def test_market_buy_fills_at_once_at_the_ask_capped_by_its_size(venue_harness):
    h = quoted(venue_harness)
    coid = h.submit(BUY, 500)
    # 200 shown at 100.02: they fill immediately (no latency) at the last quote seen
    assert h.fills(coid) == [("200", "100.02")]
    assert h.of(coid, OrderFilled)[0].ts_event == T0 + 1 * MS
    h.quote(T0 + 2 * MS, "99.99", "100.03", bid_size=100, ask_size=100)  # 100 more at 100.03
    h.quote(T0 + 3 * MS, "99.97", "100.01", bid_size=100, ask_size=1000)  # the last 200
    assert h.fills(coid) == [("200", "100.02"), ("100", "100.03"), ("200", "100.01")]
    assert all(e.liquidity == Liquidity.TAKER for e in h.of(coid, OrderFilled))


def test_market_sell_fills_at_the_bid(venue_harness):
    h = quoted(venue_harness)
    coid = h.submit(SELL, 100)
    assert h.fills(coid) == [("100", "99.98")]


def test_market_ioc_cancels_what_the_touch_cannot_fill(venue_harness):
    h = quoted(venue_harness)
    coid = h.submit(BUY, 500, tif=IOC)
    assert h.fills(coid) == [("200", "100.02")]
    assert h.reasons(coid) == ["IOC remainder"]


def test_market_fok_larger_than_the_touch_is_canceled(venue_harness):
    h = quoted(venue_harness)
    coid = h.submit(BUY, 500, tif=FOK)
    assert h.fills(coid) == []
    assert h.reasons(coid) == ["FOK could not fill completely"]
    ok = h.submit(BUY, 200, tif=FOK)
    assert h.fills(ok) == [("200", "100.02")]


def test_displayed_size_is_shared_between_our_orders(venue_harness):
    h = quoted(venue_harness)
    first = h.submit(BUY, 150)
    second = h.submit(BUY, 150)
    # 200 shown: 150 to the first order, the 50 left to the second; its rest waits
    assert h.fills(first) == [("150", "100.02")]
    assert h.fills(second) == [("50", "100.02")]
    h.quote(T0 + 2 * MS, "99.99", "100.04", bid_size=100, ask_size=1000)
    assert h.fills(second) == [("50", "100.02"), ("100", "100.04")]


def test_market_order_before_any_quote_fills_at_the_next_quote(venue_harness):
    h = venue_harness()
    coid = h.submit(BUY, 10)
    assert h.kinds(coid) == ["OrderAccepted"]
    h.quote(T0 + 5 * MS, "50.00", "50.05", bid_size=10, ask_size=10)
    assert h.fills(coid) == [("10", "50.05")]


def test_size_zero_means_unknown_and_sets_no_cap(venue_harness):
    h = venue_harness()
    h.quote(T0 + 1 * MS, "1.1000", "1.1002")  # FX-style data without sizes
    coid = h.submit(BUY, 1_000_000)
    assert h.fills(coid) == [("1000000", "1.1002")]


def test_marketable_limit_fills_at_the_ask_as_taker(venue_harness):
    h = quoted(venue_harness)
    coid = h.submit(BUY, 300, LIMIT, price="100.05")
    # crosses the 100.02 ask: fills there (better than its limit), capped at the 200 shown
    assert h.fills(coid) == [("200", "100.02")]
    assert h.of(coid, OrderFilled)[0].liquidity == Liquidity.TAKER
    # the rest rests at 100.05; the next ask at 100.04 crosses it: 100 fill at the limit 100.05
    h.quote(T0 + 2 * MS, "100.00", "100.04", bid_size=100, ask_size=500)
    assert h.fills(coid) == [("200", "100.02"), ("100", "100.05")]
    assert h.of(coid, OrderFilled)[1].liquidity == Liquidity.MAKER


def test_resting_limit_fills_at_its_price_on_a_later_quote_that_crosses_it(venue_harness):
    h = quoted(venue_harness)
    buy = h.submit(BUY, 100, LIMIT, price="100.00")
    sell = h.submit(SELL, 100, LIMIT, price="100.05")
    assert h.fills(buy) == h.fills(sell) == []
    h.quote(T0 + 2 * MS, "99.96", "100.01", bid_size=100, ask_size=100)  # crosses neither
    assert h.fills(buy) == []
    h.quote(T0 + 3 * MS, "99.95", "99.99", bid_size=100, ask_size=60)  # ask <= 100.00: 60 fill
    assert h.fills(buy) == [("60", "100")]
    h.quote(T0 + 4 * MS, "100.05", "100.08", bid_size=500, ask_size=100)  # bid >= 100.05
    assert h.fills(sell) == [("100", "100.05")]
    assert h.of(sell, OrderFilled)[0].liquidity == Liquidity.MAKER


def test_limit_ioc_that_does_not_cross_is_canceled_at_once(venue_harness):
    h = quoted(venue_harness)
    coid = h.submit(BUY, 100, LIMIT, price="100.00", tif=IOC)
    assert h.kinds(coid) == ["OrderAccepted", "OrderCanceled"]
    assert h.reasons(coid) == ["IOC remainder"]


def test_stop_triggers_on_the_touch(venue_harness):
    h = quoted(venue_harness)
    buy = h.submit(BUY, 50, STOP, trigger="100.10")
    sell = h.submit(SELL, 50, STOP, trigger="99.90")
    h.quote(T0 + 2 * MS, "100.02", "100.06", bid_size=100, ask_size=100)  # ask 100.06 < 100.10
    assert h.fills(buy) == []
    h.quote(T0 + 3 * MS, "100.08", "100.12", bid_size=100, ask_size=30)  # ask >= 100.10
    assert h.fills(buy) == [("30", "100.12")]
    h.quote(T0 + 4 * MS, "100.09", "100.13", bid_size=100, ask_size=100)  # now a market order
    assert h.fills(buy) == [("30", "100.12"), ("20", "100.13")]
    h.quote(T0 + 5 * MS, "99.89", "99.93", bid_size=100, ask_size=100)  # bid <= 99.90
    assert h.fills(sell) == [("50", "99.89")]


def test_stop_limit_on_quotes(venue_harness):
    h = quoted(venue_harness)
    coid = h.submit(BUY, 50, STOP_LIMIT, price="100.11", trigger="100.10")
    h.quote(
        T0 + 2 * MS, "100.08", "100.12", bid_size=100, ask_size=100
    )  # triggered; 100.12 > limit
    assert h.kinds(coid) == ["OrderAccepted", "OrderTriggered"]
    h.quote(T0 + 3 * MS, "100.07", "100.11", bid_size=100, ask_size=100)  # ask <= limit
    assert h.fills(coid) == [("50", "100.11")]


def test_stop_limit_marketable_when_triggered_fills_at_the_touch(venue_harness):
    h = quoted(venue_harness)
    coid = h.submit(SELL, 50, STOP_LIMIT, price="99.80", trigger="99.90")
    h.quote(T0 + 2 * MS, "99.85", "99.88", bid_size=100, ask_size=100)  # bid 99.85 >= 99.80
    assert h.kinds(coid) == ["OrderAccepted", "OrderTriggered", "OrderFilled"]
    assert h.fills(coid) == [("50", "99.85")]
    assert h.of(coid, OrderFilled)[0].liquidity == Liquidity.TAKER


def test_with_latency_the_order_meets_the_quote_current_at_its_arrival(venue_harness):
    h = quoted(venue_harness, latency=LatencyModel(order_ns=50 * MS))
    sent = T0 + 1 * MS
    coid = h.submit(BUY, 10)
    h.quote(sent + 30 * MS, "100.00", "100.04", bid_size=100, ask_size=100)
    assert h.kinds(coid) == []  # still on its way
    # the next event is at +80 ms: the order arrived at +50 ms, when the ask was 100.04
    h.quote(sent + 80 * MS, "100.02", "100.06", bid_size=100, ask_size=100)
    assert h.kinds(coid) == ["OrderAccepted", "OrderFilled"]
    assert h.fills(coid) == [("10", "100.04")]
    assert [e.ts_event for e in h.of(coid, OrderFilled)] == [sent + 50 * MS]


def test_bars_do_not_match_an_instrument_that_has_quotes(venue_harness):
    h = quoted(venue_harness)
    coid = h.submit(BUY, 10, LIMIT, price="99.00")
    # a bar built from the same market would reach 99.00, but quotes are the finer truth
    h.bar(T0 + 60 * SEC, "100.00", "100.10", "98.00", "100.00")
    assert h.fills(coid) == []
