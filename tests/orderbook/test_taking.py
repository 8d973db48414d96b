"""Taking liquidity on the order-book venue: walking levels, consumption memory, IOC/FOK,
maker/taker fees, modify, and what the venue refuses."""

from __future__ import annotations

from decimal import Decimal

from core.enums import OrderSide, OrderType, TimeInForce
from core.events import OrderFilled, OrderRejected, OrderUpdated
from core.values import SCALE
from venues.orderbook import NOT_SUPPORTED
from venues.simulated import MakerTakerFee

MS = 1_000_000
T0 = 1_704_205_800_000_000_000
BUY, SELL = OrderSide.BUY, OrderSide.SELL
IOC, FOK, DAY = TimeInForce.IOC, TimeInForce.FOK, TimeInForce.DAY


def booked(book_harness, **kwargs):
    h = book_harness(**kwargs)
    h.snapshot(
        T0,
        bids=[("100.00", 4), ("99.98", 6), ("99.95", 10)],
        asks=[("100.01", 3), ("100.02", 5), ("100.05", 10)],
    )
    return h


def test_a_market_order_walks_the_levels_with_a_fill_per_level(book_harness):
    h = booked(book_harness)
    buy = h.submit(BUY, 10)
    assert h.fills(buy) == [
        ("3", "100.01", "TAKER"),
        ("5", "100.02", "TAKER"),
        ("2", "100.05", "TAKER"),
    ]
    sell = h.submit(SELL, 5)
    assert h.fills(sell) == [("4", "100", "TAKER"), ("1", "99.98", "TAKER")]
    assert all(e.ts_event == T0 for e in h.events if isinstance(e, OrderFilled))


def test_consumed_liquidity_is_remembered_until_the_book_updates_the_level(book_harness):
    h = booked(book_harness)
    first = h.submit(BUY, 10)
    second = h.submit(BUY, 10)  # 3 and 5 are gone, 8 of the 10 at 100.05 are left
    assert h.fills(second) == [("8", "100.05", "TAKER")]
    assert h.venue.leaves_raw(second) == 2 * SCALE
    assert h.venue.taken_raw(h.iid, -1, h.book.best_ask_raw()) == 3 * SCALE
    # an update elsewhere in the book keeps the memory: nothing more to take
    h.update(T0 + 1 * MS, bids=[("100.00", 9)])
    assert h.fills(second) == [("8", "100.05", "TAKER")]
    # the venue shows the 100.01 level again with another size: it is available again
    h.update(T0 + 2 * MS, asks=[("100.01", 1)])
    assert h.fills(second) == [("8", "100.05", "TAKER"), ("1", "100.01", "TAKER")]
    h.update(T0 + 3 * MS, asks=[("100.05", 10)])  # same size as when we took: still taken
    assert h.venue.leaves_raw(second) == 1 * SCALE
    h.update(T0 + 4 * MS, asks=[("100.05", 11)])
    assert h.fills(second)[-1] == ("1", "100.05", "TAKER")
    assert h.kinds(first) == ["OrderAccepted", "OrderFilled", "OrderFilled", "OrderFilled"]


def test_a_crossing_limit_takes_through_its_price_and_rests_the_rest(book_harness):
    h = booked(book_harness)
    coid = h.submit(BUY, 10, "100.02")
    assert h.fills(coid) == [("3", "100.01", "TAKER"), ("5", "100.02", "TAKER")]
    assert h.ahead(coid) == "0"  # nothing was displayed on the bid at 100.02
    h.trade(T0 + 1 * MS, "100.02", 2)
    assert h.fills(coid)[-1] == ("2", "100.02", "MAKER")
    assert h.venue.working_order_ids() == []


def test_ioc_fills_what_it_can_and_cancels_the_rest(book_harness):
    h = booked(book_harness)
    coid = h.submit(BUY, 10, "100.02", tif=IOC)
    assert h.fills(coid) == [("3", "100.01", "TAKER"), ("5", "100.02", "TAKER")]
    assert h.kinds(coid)[-1] == "OrderCanceled"
    assert h.reasons(coid) == ["IOC remainder"]
    passive = h.submit(BUY, 1, "100.00", tif=IOC)
    assert h.kinds(passive) == ["OrderAccepted", "OrderCanceled"]
    market = h.submit(SELL, 50, tif=IOC)
    assert [f[0] for f in h.fills(market)] == ["4", "6", "10"]
    assert h.reasons(market) == ["IOC remainder"]


def test_fok_fills_completely_or_not_at_all(book_harness):
    h = booked(book_harness)
    too_big = h.submit(BUY, 19, "100.05", tif=FOK)  # 18 offered through 100.05
    assert h.kinds(too_big) == ["OrderAccepted", "OrderCanceled"]
    assert h.reasons(too_big) == ["FOK could not fill completely"]
    fits = h.submit(BUY, 18, "100.05", tif=FOK)
    assert [f[0] for f in h.fills(fits)] == ["3", "5", "10"]
    again = h.submit(BUY, 1, tif=FOK)  # everything offered is taken now
    assert h.reasons(again) == ["FOK could not fill completely"]
    passive = h.submit(SELL, 1, "100.01", tif=FOK)
    assert h.reasons(passive) == ["FOK could not fill completely"]


def test_a_gtc_market_order_waits_for_liquidity(book_harness):
    h = booked(book_harness)
    coid = h.submit(BUY, 25)
    assert sum(int(f[0]) for f in h.fills(coid)) == 18
    h.update(T0 + 1 * MS, asks=[("100.06", 4)])
    assert h.fills(coid)[-1] == ("4", "100.06", "TAKER")
    assert h.venue.leaves_raw(coid) == 3 * SCALE


def test_orders_before_the_first_book_wait_for_it(book_harness):
    h = book_harness()
    market = h.submit(BUY, 2)
    ioc = h.submit(BUY, 5, "100.01", tif=IOC)
    assert h.kinds(market) == ["OrderAccepted"]
    h.snapshot(T0 + 1 * MS, bids=[("100.00", 4)], asks=[("100.01", 3)])
    assert h.fills(market) == [("2", "100.01", "TAKER")]
    assert h.fills(ioc) == [("1", "100.01", "TAKER")]
    assert h.reasons(ioc) == ["IOC remainder"]


def test_maker_and_taker_fees_are_exact(book_harness):
    # a maker rebate of 0.25 bp, a taker fee of 4 bp
    h = booked(book_harness, fees=MakerTakerFee("-0.25", "4"))
    taker = h.submit(BUY, 5)
    fees = [e.fee.as_decimal() for e in h.of(taker, OrderFilled)]
    # 3 x 100.01 x 4 bp = 0.120012; 2 x 100.02 x 4 bp = 0.080016
    assert fees == [Decimal("0.120012"), Decimal("0.080016")]
    maker = h.submit(SELL, 3, "100.03")
    h.trade(T0 + 1 * MS, "100.03", 3, aggressor=1)  # a buyer lifts our offer
    fills = h.of(maker, OrderFilled)
    assert [(str(f.last_qty), str(f.last_px)) for f in fills] == [("3", "100.03")]
    assert fills[0].fee.as_decimal() == Decimal("-0.00750225")  # 300.09 x -0.25 bp
    assert fills[0].fee.currency == "USD"


def test_modify_reprices_to_the_back_of_the_queue_and_resizes(book_harness):
    h = booked(book_harness)
    coid = h.submit(BUY, 5, "99.98")
    assert h.ahead(coid) == "6"
    h.trade(T0 + 1 * MS, "99.98", 2)
    h.modify(coid, quantity=4)  # smaller: keeps its place
    assert h.ahead(coid) == "4"
    h.update(T0 + 2 * MS, bids=[("99.98", 9)])  # 5 join behind
    h.modify(coid, quantity=6)  # larger: to the back
    assert h.ahead(coid) == "9"
    h.modify(coid, price="100.00")
    assert h.ahead(coid) == "4"
    updated = h.of(coid, OrderUpdated)
    assert [(str(u.qty), str(u.price)) for u in updated] == [
        ("4", "99.98"),
        ("6", "99.98"),
        ("6", "100"),
    ]
    h.modify(coid, price="100.02")  # now it crosses: takes like a new arrival
    assert h.fills(coid) == [("3", "100.01", "TAKER"), ("3", "100.02", "TAKER")]


def test_modify_and_cancel_of_an_ended_order_are_refused(book_harness):
    h = booked(book_harness)
    coid = h.submit(BUY, 1)
    h.cancel(coid)
    h.modify(coid, quantity=3)
    assert h.kinds(coid) == [
        "OrderAccepted",
        "OrderFilled",
        "OrderCancelRejected",
        "OrderModifyRejected",
    ]
    assert h.reasons(coid) == ["order already filled", "order already filled"]
    market = h.submit(BUY, 100)
    h.modify(market, price="100.00")
    assert h.reasons(market) == ["a MARKET order has no limit price"]


def test_stop_and_day_orders_are_rejected(book_harness):
    h = booked(book_harness)
    stop = h.submit(BUY, 1, order_type=OrderType.STOP, trigger="100.05")
    day = h.submit(BUY, 1, "100.00", tif=DAY)
    for coid, what in ((stop, "STOP GTC"), (day, "LIMIT DAY")):
        (rejected,) = h.of(coid, OrderRejected)
        assert rejected.reason == f"{NOT_SUPPORTED}, not {what}"


def test_reduce_only_never_flips_the_position(book_harness):
    h = booked(book_harness)
    h.submit(BUY, 2)
    exit_order = h.submit(SELL, 5, reduce_only=True)
    assert h.fills(exit_order) == [("2", "100", "TAKER")]
    assert h.reasons(exit_order) == ["reduce-only: position already flat"]
    assert h.venue.position_raw("S1", h.iid) == 0
