"""Latency on the order-book venue: orders meet the book of their arrival, cancels race fills."""

from __future__ import annotations

from core.enums import OrderSide
from core.events import OrderAccepted, OrderCanceled, OrderFilled
from venues.simulated import LatencyModel

MS = 1_000_000
T0 = 1_704_205_800_000_000_000
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def booked(book_harness, **kwargs):
    h = book_harness(**kwargs)
    h.snapshot(T0, bids=[("100.00", 10)], asks=[("100.01", 3), ("100.02", 5)])
    return h


def test_an_order_meets_the_book_as_it_is_when_it_arrives(book_harness):
    h = booked(book_harness, latency=LatencyModel(order_ns=10 * MS))
    coid = h.submit(BUY, 4)
    assert h.kinds(coid) == []  # on its way
    assert h.venue.in_flight == 1
    h.update(T0 + 5 * MS, asks=[("100.01", 0), ("100.03", 7)])  # before it arrives
    assert h.kinds(coid) == []
    h.update(T0 + 12 * MS, asks=[("100.02", 1)])  # after: it meets the book of T0 + 5 ms
    (accepted,) = h.of(coid, OrderAccepted)
    assert accepted.ts_event == T0 + 10 * MS
    assert h.fills(coid) == [("4", "100.02", "TAKER")]
    assert [f.ts_event for f in h.of(coid, OrderFilled)] == [T0 + 10 * MS]


def test_a_cancel_that_arrives_after_the_fill_loses(book_harness):
    h = booked(book_harness, latency=LatencyModel(cancel_ns=10 * MS))
    coid = h.submit(BUY, 5, "100.00")  # arrives at once, 10 ahead
    h.at(T0 + 1 * MS)
    h.cancel(coid)
    h.trade(T0 + 5 * MS, "100.00", 15)  # the queue and our order trade before the cancel lands
    h.at(T0 + 11 * MS)
    assert h.kinds(coid) == ["OrderAccepted", "OrderFilled", "OrderCancelRejected"]
    assert h.reasons(coid) == ["order already filled"]


def test_a_cancel_that_arrives_before_the_trade_wins(book_harness):
    h = booked(book_harness, latency=LatencyModel(cancel_ns=10 * MS))
    coid = h.submit(BUY, 5, "100.00")
    h.at(T0 + 1 * MS)
    h.cancel(coid)
    h.trade(T0 + 15 * MS, "100.00", 15)  # the cancel landed at T0 + 11 ms, first
    assert h.kinds(coid) == ["OrderAccepted", "OrderCanceled"]
    (canceled,) = h.of(coid, OrderCanceled)
    assert canceled.ts_event == T0 + 11 * MS


def test_a_partial_fill_before_the_cancel_lands_keeps_its_fill(book_harness):
    h = booked(book_harness, latency=LatencyModel(cancel_ns=10 * MS))
    coid = h.submit(BUY, 5, "100.00")
    h.cancel(coid)
    h.trade(T0 + 3 * MS, "100.00", 12)
    h.trade(T0 + 20 * MS, "100.00", 50)
    assert h.kinds(coid) == ["OrderAccepted", "OrderFilled", "OrderCanceled"]
    assert h.fills(coid) == [("2", "100", "MAKER")]


def test_feed_latency_adds_to_every_command_trip(book_harness):
    h = booked(book_harness, feed_latency_ns=3 * MS, latency=LatencyModel(order_ns=2 * MS))
    coid = h.submit(BUY, 1)
    h.at(T0 + 4 * MS)
    assert h.kinds(coid) == []
    h.at(T0 + 5 * MS)
    (accepted,) = h.of(coid, OrderAccepted)
    assert accepted.ts_event == T0 + 5 * MS
    assert h.fills(coid) == [("1", "100.01", "TAKER")]


def test_commands_never_overtake_each_other(book_harness):
    # the jitter would let the cancel land before the order it cancels
    h = booked(book_harness, latency=LatencyModel(order_ns=10 * MS, cancel_ns=1 * MS))
    coid = h.submit(BUY, 1, "99.00")
    h.cancel(coid)
    h.at(T0 + 10 * MS)
    assert h.kinds(coid) == ["OrderAccepted", "OrderCanceled"]
    assert [e.ts_event for e in h.events if hasattr(e, "client_order_id")] == [
        T0 + 10 * MS,
        T0 + 10 * MS,
    ]


def test_the_same_seed_gives_the_same_arrivals(book_harness):
    def run():
        h = booked(book_harness, latency=LatencyModel(order_ns=MS, jitter_ns=5 * MS, seed=7))
        ids = [h.submit(BUY, 1, "99.99") for _ in range(5)]
        h.at(T0 + 20 * MS)
        return [h.of(c, OrderAccepted)[0].ts_event for c in ids]

    first = run()
    assert first == run()
    assert len(set(first)) > 1
    assert first == sorted(first)
