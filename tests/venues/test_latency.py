"""Latency: orders, cancels and modifies reach the matching engine late, deterministically."""

from __future__ import annotations

from core.enums import OrderSide, OrderType
from core.events import OrderAccepted, OrderCanceled, OrderCancelRejected
from core.market import Bar
from core.values import Price, Qty
from venues.simulated import BarConvention, FillConfig, LatencyModel

SEC = 1_000_000_000
MS = 1_000_000
MIN = 60 * SEC
T0 = 1_704_205_800 * SEC
B1, B2, B3, B4, B5 = (T0 + k * MIN for k in range(1, 6))
BUY, SELL = OrderSide.BUY, OrderSide.SELL
LIMIT = OrderType.LIMIT


def test_order_is_accepted_only_when_it_arrives(venue_harness):
    h = venue_harness(latency=LatencyModel(order_ns=5 * SEC))
    h.bar(B1, "100.00", "100.00", "100.00", "100.00")
    coid = h.submit(BUY, 10)
    assert h.venue.in_flight == 1
    h.at(B1 + 4 * SEC)
    assert h.kinds(coid) == []
    h.at(B1 + 5 * SEC)
    assert h.kinds(coid) == ["OrderAccepted"]
    assert h.of(coid, OrderAccepted)[0].ts_event == B1 + 5 * SEC
    # it reached the market 5 s after bar 2 opened (at B1): bar 2 cannot fill it, bar 3 can
    h.bar(B2, "100.10", "100.50", "100.00", "100.20")
    assert h.fills(coid) == []
    h.bar(B3, "100.30", "100.50", "100.00", "100.20")
    assert h.fills(coid) == [("10", "100.3")]


def test_arrival_is_delivered_by_the_next_event_of_any_kind(venue_harness):
    h = venue_harness(latency=LatencyModel(order_ns=5 * SEC))
    h.bar(B1, "100.00", "100.00", "100.00", "100.00")
    coid = h.submit(BUY, 10)
    # no on_time call: the bar itself delivers the arrival before it is matched
    p = Price.parse
    h.clock.set_time(B2)
    h.venue.on_bar(Bar.of(h.iid, B2, p("100.1"), p("100.5"), p("100"), p("100.2"), Qty(0)))
    assert h.of(coid, OrderAccepted)[0].ts_event == B1 + 5 * SEC
    assert h.fills(coid) == []


def test_a_cancel_can_lose_the_race_against_a_fill(venue_harness):
    h = venue_harness(latency=LatencyModel(cancel_ns=2 * MIN))
    h.bar(B1, "100.00", "100.00", "100.00", "100.00")
    coid = h.submit(BUY, 10, LIMIT, price="99.50")
    h.bar(B2, "100.00", "100.20", "99.80", "100.00")
    h.cancel(coid)  # sent at B2, arrives at B4
    h.bar(B3, "99.80", "100.00", "99.40", "99.60")  # reaches 99.50 first
    assert h.fills(coid) == [("10", "99.5")]
    h.bar(B4, "99.60", "99.70", "99.50", "99.60")
    (rejected,) = h.of(coid, OrderCancelRejected)
    assert rejected.reason == "order already filled"
    assert rejected.ts_event == B4


def test_a_cancel_that_arrives_first_wins(venue_harness):
    h = venue_harness(latency=LatencyModel(cancel_ns=1 * SEC))
    h.bar(B1, "100.00", "100.00", "100.00", "100.00")
    coid = h.submit(BUY, 10, LIMIT, price="99.50")
    h.bar(B2, "100.00", "100.20", "99.80", "100.00")
    h.cancel(coid)  # arrives at B2 + 1 s, before bar 3 trades
    h.bar(B3, "99.80", "100.00", "99.40", "99.60")
    assert h.fills(coid) == []
    (canceled,) = h.of(coid, OrderCanceled)
    assert canceled.reason == "canceled by request"
    assert canceled.ts_event == B2 + SEC


def test_messages_never_overtake_each_other(venue_harness):
    # a cancel is faster than an order, but it cannot overtake the order it cancels
    h = venue_harness(latency=LatencyModel(order_ns=10 * MS, cancel_ns=1 * MS))
    h.quote(T0 + MS, "99.98", "100.02", bid_size=100, ask_size=100)
    coid = h.submit(BUY, 10, LIMIT, price="99.00")
    h.cancel(coid)
    h.at(T0 + 20 * MS)
    assert h.kinds(coid) == ["OrderAccepted", "OrderCanceled"]
    assert [e.ts_event for e in h.events] == [T0 + 11 * MS, T0 + 11 * MS]


def test_modifies_arrive_late_too(venue_harness):
    h = venue_harness(latency=LatencyModel(cancel_ns=90 * SEC))
    h.bar(B1, "100.00", "100.00", "100.00", "100.00")
    coid = h.submit(BUY, 10, LIMIT, price="99.00")
    h.modify(coid, price="99.80")  # sent at B1, arrives at B1 + 90 s, while bar 3 forms
    # bar 2 trades down to 99.70: the order still has its old 99.00 limit
    h.bar(B2, "100.00", "100.10", "99.70", "99.90")
    assert h.fills(coid) == []
    assert h.kinds(coid) == ["OrderAccepted"]
    # a bar has no clock inside it: what arrived while bar 3 formed applies to all of bar 3
    h.bar(B3, "99.90", "100.00", "99.70", "99.90")
    assert h.kinds(coid) == ["OrderAccepted", "OrderUpdated", "OrderFilled"]
    assert h.fills(coid) == [("10", "99.8")]


def test_same_close_with_latency_fills_at_the_first_close_after_arrival(venue_harness):
    h = venue_harness(
        fill=FillConfig(bar_convention=BarConvention.SAME_CLOSE),
        latency=LatencyModel(order_ns=5 * SEC),
    )
    h.bar(B1, "100.00", "100.00", "100.00", "100.00")
    coid = h.submit(BUY, 10)  # arrives at B1 + 5 s: too late for bar 1's close
    assert h.fills(coid) == []
    h.bar(B2, "100.10", "100.50", "100.00", "100.20")  # bar 2 closes after the arrival
    assert h.fills(coid) == [("10", "100.2")]


def _accept_times(seed: int) -> list[int]:
    model = LatencyModel(order_ns=1 * MS, jitter_ns=1 * MS, seed=seed)
    return [model.order_delay_ns() for _ in range(50)]


def test_jitter_is_seeded_and_bounded():
    first = _accept_times(7)
    assert first == _accept_times(7)
    assert first != _accept_times(8)
    assert all(MS <= d <= 2 * MS for d in first)
    assert len(set(first)) > 40  # actually jittered


def test_same_inputs_same_events(venue_harness):
    def run() -> list[str]:
        h = venue_harness(latency=LatencyModel(order_ns=3 * MS, jitter_ns=5 * MS, seed=42))
        for k in range(1, 40):
            ts = T0 + k * 10 * MS
            bid = f"{100 + (k % 7) * 0.01:.2f}"
            ask = f"{100.02 + (k % 5) * 0.01:.2f}"
            h.quote(ts, bid, ask, bid_size=30 + k, ask_size=20 + k)
            if k % 3 == 0:
                h.submit(BUY if k % 2 else SELL, 25)
        return [f"{e.ts_event} {e.describe()}" for e in h.events]

    first = run()
    assert first == run()
    assert sum("OrderFilled" in line for line in first) > 5


class SlowOnMondays(LatencyModel):
    """An interpreted subclass of the compiled model: any delay rule a user can write."""

    def order_delay_ns(self) -> int:
        return 7 * SEC


def test_an_interpreted_latency_model_subclass_is_used(venue_harness):
    h = venue_harness(latency=SlowOnMondays())
    h.bar(B1, "100.00", "100.00", "100.00", "100.00")
    coid = h.submit(BUY, 1)
    h.at(B1 + 7 * SEC)
    assert h.of(coid, OrderAccepted)[0].ts_event == B1 + 7 * SEC
