"""Random sequences of submits, cancels, modifies and bars through the kernel and the venue.

Whatever the sequence: no order is ever overfilled, no limit fills at a worse price than the
limit in force, fills stay inside the bar they happened on and never on the bar an order was
decided on, the order state machine accepts every venue event, and the venue's position equals
the sum of its fills and the portfolio's position.
"""

from __future__ import annotations

from hypothesis import event as label
from hypothesis import given, settings
from hypothesis import strategies as st

from core.clock import SimClock
from core.enums import OrderSide, OrderType, TimeInForce
from core.events import OrderAccepted, OrderFilled, OrderUpdated, StrategyLogged
from core.instruments import equity
from core.kernel import Kernel
from core.market import Bar
from core.strategy import Strategy
from core.values import Money, Price, Qty
from venues.simulated import BarConvention, FillConfig, LatencyModel, SimulatedVenue

SEC = 1_000_000_000
MIN = 60 * SEC
T0 = 1_704_205_800 * SEC
TICK = 10_000_000  # 0.01 in raw units
BASE = 100 * 1_000_000_000
STRATEGIES = ("A", "B")

submits = st.tuples(
    st.just("submit"),
    st.sampled_from(STRATEGIES),
    st.sampled_from([OrderSide.BUY, OrderSide.SELL]),
    st.sampled_from([OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT]),
    st.integers(1, 30),  # quantity
    st.integers(-15, 15),  # limit offset in ticks
    st.integers(-15, 15),  # trigger offset in ticks
    st.sampled_from([TimeInForce.GTC, TimeInForce.DAY, TimeInForce.IOC, TimeInForce.FOK]),
    st.sampled_from([False, False, False, True]),  # reduce only
)
cancels = st.tuples(st.just("cancel"), st.integers(0, 50))
modifies = st.tuples(
    st.just("modify"), st.integers(0, 50), st.integers(1, 40), st.integers(-40, 40)
)
bars = st.tuples(
    st.just("bar"),
    st.integers(-15, 15),  # open
    st.integers(-15, 15),  # close
    st.integers(0, 10),  # high above max(open, close)
    st.integers(0, 10),  # low below min(open, close)
    st.sampled_from([0, 20, 100, 400]),  # volume
    st.sampled_from([1, 1, 1, 3, 600]),  # minutes since the last bar (600: a session close)
)
# rounds of a few commands followed by a bar, so that commands meet the market
rounds = st.tuples(st.lists(st.one_of(submits, submits, cancels, modifies), max_size=3), bars)
operations = rounds.map(lambda r: [*r[0], r[1]])
sequences = st.lists(operations, min_size=6, max_size=30).map(
    lambda rs: [op for r in rs for op in r]
)


class Idle(Strategy):
    pass


def price(offset_ticks: int) -> Price:
    return Price(BASE + offset_ticks * TICK)


@settings(max_examples=200, deadline=None)
@given(
    ops=sequences,
    participation=st.sampled_from([None, 0.1, 0.5]),
    convention=st.sampled_from([BarConvention.NEXT_OPEN, BarConvention.SAME_CLOSE]),
    order_ns=st.sampled_from([0, 0, 5 * SEC, 90 * SEC]),
    cancel_ns=st.sampled_from([0, 0, 5 * SEC, 90 * SEC]),
    jitter_ns=st.sampled_from([0, 3 * SEC]),
)
def test_random_sequences_keep_the_invariants(
    ops, participation, convention, order_ns, cancel_ns, jitter_ns
):
    inst = equity("AAA")
    venue = SimulatedVenue(
        "SIM",
        fill=FillConfig(participation=participation, bar_convention=convention),
        latency=LatencyModel(order_ns=order_ns, cancel_ns=cancel_ns, jitter_ns=jitter_ns, seed=1),
        instruments=[inst],
    )
    kernel = Kernel(SimClock(T0))
    kernel.add_instrument(inst)
    kernel.add_venue(venue)
    ctx = {}
    for sid in STRATEGIES:
        ctx[sid] = kernel.add_strategy(
            Idle(strategy_id=sid, instrument_ids=(inst.id,)), Money.parse("1000000", "USD")
        )
    published = []
    kernel.add_listener(published.append)
    kernel.start()

    orders = []
    submitted_limit = {}
    bar_ranges = {}  # bar ts -> (low, high)
    now = T0
    for op in ops:
        if op[0] == "submit":
            _, sid, side, kind, quantity, limit, trigger, tif, reduce_only = op
            needs_price = kind in (OrderType.LIMIT, OrderType.STOP_LIMIT)
            needs_trigger = kind in (OrderType.STOP, OrderType.STOP_LIMIT)
            order = ctx[sid].submit_order(
                inst.id,
                side,
                Qty.of(quantity),
                order_type=kind,
                price=price(limit) if needs_price else None,
                trigger_price=price(trigger) if needs_trigger else None,
                time_in_force=tif,
                reduce_only=reduce_only,
            )
            orders.append(order)
            submitted_limit[order.client_order_id] = price(limit).raw if needs_price else None
        elif op[0] == "cancel":
            if orders:
                order = orders[op[1] % len(orders)]
                ctx[order.strategy_id].cancel_order(order.client_order_id)
        elif op[0] == "modify":
            if orders:
                order = orders[op[1] % len(orders)]
                # the kernel itself refuses a modify the order's state does not allow
                kind = order.order_type
                has_price = kind in (OrderType.LIMIT, OrderType.STOP_LIMIT)
                has_trigger = kind in (OrderType.STOP, OrderType.STOP_LIMIT)
                ctx[order.strategy_id].modify_order(
                    order.client_order_id,
                    qty=Qty.of(op[2]),
                    price=price(op[3]) if has_price else None,
                    trigger_price=price(op[3] - 2) if has_trigger and op[3] % 2 == 0 else None,
                )
        else:
            _, o, c, up, down, volume, minutes = op
            now += minutes * MIN
            high = max(o, c) + up
            low = min(o, c) - down
            bar_ranges[now] = (price(low).raw, price(high).raw)
            kernel.on_bar(
                Bar.of(inst.id, now, price(o), price(high), price(low), price(c), Qty.of(volume))
            )

    errors = [e.message for e in published if isinstance(e, StrategyLogged) and e.level == "ERROR"]
    assert errors == []

    net = {sid: 0 for sid in STRATEGIES}
    for order in orders:
        filled = 0
        limit_in_force = submitted_limit[order.client_order_id]
        accepted_ts = None
        for event in order.events:
            if isinstance(event, OrderAccepted):
                accepted_ts = event.ts_event
            if isinstance(event, OrderUpdated) and event.price is not None:
                limit_in_force = event.price.raw
            if not isinstance(event, OrderFilled):
                continue
            filled += event.last_qty.raw
            net[order.strategy_id] += event.side * event.last_qty.raw
            px = event.last_px.raw
            if order.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
                if order.side == OrderSide.BUY:
                    assert px <= limit_in_force, (order, event.describe())
                else:
                    assert px >= limit_in_force, (order, event.describe())
            low, high = bar_ranges[event.ts_event]
            assert low <= px <= high
            assert accepted_ts is not None
            if convention == BarConvention.NEXT_OPEN:
                assert event.ts_event > accepted_ts  # never on the bar it was decided on
        assert filled <= order.qty.raw
        assert filled == order.filled_qty_raw
    fills = sum(1 for e in published if isinstance(e, OrderFilled))
    label("fills: none" if fills == 0 else "fills: 1-5" if fills <= 5 else "fills: 6+")
    for sid in STRATEGIES:
        assert venue.position_raw(sid, inst.id) == net[sid]
        assert ctx[sid].position(inst.id).signed_qty_raw == net[sid]
