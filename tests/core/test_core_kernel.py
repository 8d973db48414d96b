"""core.kernel with a scripted venue: dedup, risk, fault containment, ordering, clock switch.

The venue here is a test double that accepts commands and emits exactly what each test asks
for: these tests are about the kernel's routing and bookkeeping, not about matching.
"""

from __future__ import annotations

import contextlib

import pytest
from core_harness import (
    QQQ,
    SPY,
    DenyAll,
    RecordingStrategy,
    Rig,
    px,
    usd,
)

from core.clock import SimClock
from core.enums import OrderSide, OrderStatus, OrderType, StrategyStatus
from core.events import (
    Event,
    OrderAccepted,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    OrderSubmitted,
    PositionChanged,
    StrategyFaulted,
    StrategyLogged,
)
from core.market import Bar
from core.orders import Order
from core.risk import Denial, RiskRule, RiskView
from core.values import Money, Qty

BUY, SELL = OrderSide.BUY, OrderSide.SELL
S = OrderStatus


def submit_on_bar(strategy: RecordingStrategy, **kwargs: object) -> None:
    """Make the strategy submit one order from inside its next on_bar."""

    def action(st: RecordingStrategy, bar: object) -> None:
        st.actions.pop("bar")
        st.ctx.submit_order(SPY, int(kwargs.get("side", BUY)), Qty.of(int(kwargs.get("qty", 10))))

    strategy.actions["bar"] = action


# lifecycle and plumbing ---------------------------------------------------------------------------
def test_orders_flow_to_the_venue_and_events_back_to_the_strategy() -> None:
    rig = Rig()
    strategy = rig.strategies[0]
    assert isinstance(strategy, RecordingStrategy)
    order = rig.submit(BUY, 10)
    assert order.client_order_id == "S1-1"
    assert order.status == S.SUBMITTED
    assert [c.client_order_id for c in rig.venue.submitted] == ["S1-1"]
    rig.venue.accept("S1-1")
    rig.venue.fill("S1-1", 4, "100.00", fee="0.40")
    rig.venue.fill("S1-1", 6, "101.00", fee="0.60")
    rig.flush()
    assert order.status == S.FILLED
    assert order.avg_px() == px("100.6")
    assert strategy.event_names() == [
        "OrderSubmitted",
        "OrderAccepted",
        "OrderFilled",
        "OrderFilled",
    ]
    assert [c for c in strategy.calls if c[0] == "fill"] == [
        ("fill", "S1-1", Qty.of(4).raw),
        ("fill", "S1-1", Qty.of(6).raw),
    ]
    ctx = strategy.ctx
    assert ctx.position(SPY).signed_qty_raw == Qty.of(10).raw
    assert ctx.cash() == usd("98993.00")  # 100000 - 400 - 606 - 1
    assert ctx.open_orders() == []
    changes = rig.of_type(PositionChanged)
    assert [c.signed_qty_raw for c in changes] == [Qty.of(4).raw, Qty.of(10).raw]  # type: ignore[attr-defined]
    assert changes[-1].avg_px == px("100.6")  # type: ignore[attr-defined]
    rig.bar("102.00")
    assert ctx.equity() == usd("100013.00")  # cash + 10 * 102
    assert ctx.unrealized_pnl() == usd("14.00")
    assert ctx.last_price(SPY) == px("102")
    assert rig.kernel.fills_count == 2


def test_strategy_ids_and_instruments_are_checked_on_add() -> None:
    rig = Rig()
    with pytest.raises(ValueError, match="already loaded"):
        rig.kernel.add_strategy(RecordingStrategy("S1"), usd("1"))
    with pytest.raises(KeyError, match="unknown instrument"):
        rig.kernel.add_strategy(RecordingStrategy("S2", ("NOPE.SIM",)), usd("1"))
    with pytest.raises(ValueError, match="non-empty"):
        RecordingStrategy("")
    with pytest.raises(ValueError, match="at least one instrument"):
        RecordingStrategy("S3", ())


def test_submit_before_start_is_denied() -> None:
    rig = Rig(start=False)
    order = rig.submit(BUY, 1)
    assert order.status == S.DENIED
    assert rig.of_type(OrderDenied)[0].rule == "strategy_state"  # type: ignore[attr-defined]
    assert rig.venue.submitted == []


def test_off_grid_orders_are_denied_before_the_venue() -> None:
    rig = Rig()
    qty = rig.strategies[0].ctx.submit_order(SPY, BUY, Qty.parse("1.5"))
    price = rig.strategies[0].ctx.submit_order(
        SPY, BUY, Qty.of(1), order_type=OrderType.LIMIT, price=px("10.005")
    )
    assert qty.status == S.DENIED and price.status == S.DENIED
    assert rig.venue.submitted == []
    assert [d.rule for d in rig.of_type(OrderDenied)] == ["instrument", "instrument"]  # type: ignore[attr-defined]


def test_history_keeps_the_last_bars() -> None:
    strategy = RecordingStrategy(history=3)
    rig = Rig([strategy])
    for close in ["1", "2", "3", "4", "5"]:
        rig.bar(close)
    assert [str(b.close) for b in strategy.ctx.history(SPY)] == ["3", "4", "5"]
    assert [str(b.close) for b in strategy.ctx.history(SPY, 2)] == ["4", "5"]
    assert strategy.ctx.history(QQQ) == []


def test_bars_reach_only_subscribers() -> None:
    spy_only = RecordingStrategy("A", (SPY,))
    both = RecordingStrategy("B", (SPY, QQQ))
    rig = Rig([spy_only, both])
    rig.bar("10", QQQ)
    rig.bar("11", SPY)
    assert [c for c in spy_only.calls if c[0] == "bar"] == [("bar", rig.ts)]
    assert len([c for c in both.calls if c[0] == "bar"]) == 2


# duplicate client order ids --------------------------------------------------------------------
def test_duplicate_client_order_id_never_creates_a_second_order() -> None:
    rig = Rig()
    first = rig.submit(BUY, 10, coid="MY-1")
    second = rig.submit(SELL, 99, coid="MY-1")
    assert second is first
    assert len(rig.venue.submitted) == 1
    assert [o.client_order_id for o in rig.kernel.orders] == ["MY-1"]
    assert rig.kernel.orders_submitted == 1
    assert any("duplicate submit of MY-1" in m for m in rig.logs("WARNING"))
    # still true once the order is finished
    rig.venue.accept("MY-1")
    rig.venue.fill("MY-1", 10, "100")
    rig.flush()
    assert rig.submit(BUY, 10, coid="MY-1") is first
    assert len(rig.venue.submitted) == 1


def test_duplicate_from_inside_a_callback_sends_nothing() -> None:
    strategy = RecordingStrategy()
    orders = []

    def twice(st: RecordingStrategy, bar: object) -> None:
        for _ in range(2):
            orders.append(st.ctx.submit_order(SPY, BUY, Qty.of(1), client_order_id="X"))

    strategy.actions["bar"] = twice
    rig = Rig([strategy])
    rig.bar("100")
    assert orders[0] is orders[1]
    assert len(rig.venue.submitted) == 1
    assert strategy.event_names() == ["OrderSubmitted"]


def test_a_duplicate_of_an_evicted_closed_order_is_still_refused() -> None:
    rig = Rig(keep_closed_orders=1)
    for coid in ("A", "B", "C"):
        rig.submit(BUY, 1, coid=coid)
        rig.venue.reject(coid)
        rig.flush()
    assert rig.kernel.order("A") is None  # evicted from memory
    with pytest.raises(ValueError, match="already submitted"):
        rig.submit(BUY, 1, coid="A")
    assert len(rig.venue.submitted) == 3


def test_a_client_order_id_of_another_strategy_is_not_handed_over() -> None:
    a, b = RecordingStrategy("A"), RecordingStrategy("B")
    rig = Rig([a, b])
    a_order = rig.submit(BUY, 1, strategy_id="A", coid="SHARED")
    try:
        b_order = rig.submit(BUY, 1, strategy_id="B", coid="SHARED")
    except (ValueError, KeyError):
        return  # refusing loudly is a fine answer
    assert b_order is not a_order
    assert b_order.strategy_id == "B"


# risk --------------------------------------------------------------------------------------------
def test_risk_denial_reaches_the_strategy_with_rule_and_reason() -> None:
    rule = DenyAll()
    strategy = RecordingStrategy()
    submit_on_bar(strategy)
    rig = Rig([strategy], rules=[rule])
    rig.bar("100")
    (order,) = rig.kernel.orders
    assert order.status == S.DENIED
    assert order.reason == f"no trading today ({order.client_order_id})"
    assert rig.venue.submitted == []
    assert rule.seen and rule.seen[0].client_order_id == order.client_order_id
    (denied,) = rig.of_type(OrderDenied)
    assert denied.rule == "deny_all"  # type: ignore[attr-defined]
    assert denied.reason == order.reason  # type: ignore[attr-defined]
    assert "OrderDenied" in strategy.event_names()
    assert "OrderSubmitted" not in strategy.event_names()
    assert strategy.ctx.open_orders() == []
    assert rig.kernel.record("S1").status == StrategyStatus.RUNNING


def test_the_first_denying_rule_wins_and_sees_the_kernels_portfolio() -> None:
    seen: list[object] = []

    class MaxQty(RiskRule):
        name = "max_qty"

        def check(self, cmd, view):  # type: ignore[no-untyped-def]
            seen.append(view)
            if cmd.qty > Qty.of(5):
                return Denial(self.name, f"{cmd.qty} > 5")
            return None

    rig = Rig(rules=[MaxQty(), DenyAll()])
    big = rig.submit(BUY, 6)
    assert big.status == S.DENIED
    assert rig.of_type(OrderDenied)[0].rule == "max_qty"  # type: ignore[attr-defined]
    assert isinstance(seen[0], RiskView) and seen[0].portfolio is rig.kernel.portfolio
    small = rig.submit(BUY, 5)
    assert rig.of_type(OrderDenied)[1].rule == "deny_all"  # type: ignore[attr-defined]
    assert small.status == S.DENIED


def test_reduce_only_is_denied_when_flat_and_when_it_would_grow() -> None:
    rig = Rig()
    flat = rig.submit(SELL, 1, reduce_only=True)
    assert flat.status == S.DENIED
    assert rig.of_type(OrderDenied)[-1].rule == "reduce_only"  # type: ignore[attr-defined]
    assert rig.venue.submitted == []
    rig.venue.fill_on_submit = True
    rig.submit(BUY, 10)
    rig.flush()
    assert rig.strategies[0].ctx.position(SPY).signed_qty_raw == Qty.of(10).raw
    grow = rig.submit(BUY, 1, reduce_only=True)
    assert grow.status == S.DENIED
    shrink = rig.submit(SELL, 4, reduce_only=True)
    assert shrink.status != S.DENIED


def test_reduce_only_larger_than_the_position_is_denied() -> None:
    rig = Rig()
    rig.venue.fill_on_submit = True
    rig.submit(BUY, 10)
    rig.flush()
    too_big = rig.submit(SELL, 25, reduce_only=True)
    assert too_big.status == S.DENIED


def test_a_risk_rule_that_raises_denies_the_order() -> None:
    class Broken(RiskRule):
        name = "broken"

        def check(self, cmd, view):  # type: ignore[no-untyped-def]
            raise ZeroDivisionError("oops")

    strategy = RecordingStrategy()
    submit_on_bar(strategy)
    rig = Rig([strategy], rules=[Broken()])
    rig.bar("100")
    (order,) = rig.kernel.orders
    assert order.status == S.DENIED
    assert rig.kernel.record("S1").status == StrategyStatus.RUNNING


# fault containment -------------------------------------------------------------------------------
def test_a_faulting_strategy_is_halted_and_cleaned_up_and_others_keep_running() -> None:
    bad, good = RecordingStrategy("BAD"), RecordingStrategy("GOOD")

    def setup(st: RecordingStrategy, _: object) -> None:
        st.ctx.set_timer("tick", 1_000_000)
        st.ctx.submit_order(SPY, BUY, Qty.of(5), order_type=OrderType.LIMIT, price=px("90"))

    def explode(st: RecordingStrategy, bar: object) -> None:
        if len([c for c in st.calls if c[0] == "bar"]) == 2:
            raise ValueError("boom in on_bar")

    bad.actions["start"] = setup
    bad.actions["bar"] = explode
    rig = Rig([bad, good])
    rig.venue.accept("BAD-1")
    rig.bar("100")
    assert rig.kernel.record("BAD").status == StrategyStatus.RUNNING
    assert rig.kernel.clock.timer_names("BAD") == ["BAD:tick"]

    rig.bar("101")
    record = rig.kernel.record("BAD")
    assert record.status == StrategyStatus.FAULTED
    (fault,) = rig.of_type(StrategyFaulted)
    assert isinstance(fault, StrategyFaulted)
    assert fault.strategy_id == "BAD"
    assert fault.error == "ValueError: boom in on_bar"
    assert "Traceback" in fault.traceback and "boom in on_bar" in fault.traceback
    assert "explode" in fault.traceback  # the user's own frame is in the report
    assert record.fault is fault
    # its working order gets a cancel request, its timers are gone
    assert [c.client_order_id for c in rig.venue.canceled] == ["BAD-1"]
    assert rig.kernel.order("BAD-1").status == S.PENDING_CANCEL  # type: ignore[union-attr]
    assert rig.kernel.clock.timer_names("BAD") == []
    # the other strategy keeps receiving bars; the faulted one receives nothing more
    rig.bar("102")
    assert [c for c in good.calls if c[0] == "bar-end"] == [
        ("bar-end", rig.ts - 120),
        ("bar-end", rig.ts - 60),
        ("bar-end", rig.ts),
    ]
    assert len([c for c in bad.calls if c[0] == "bar"]) == 2
    # venue replies still update the faulted strategy's order, without calling it
    calls_before = len(bad.calls)
    rig.venue.cancel_ok("BAD-1")
    rig.flush()
    assert rig.kernel.order("BAD-1").status == S.CANCELED  # type: ignore[union-attr]
    assert len(bad.calls) == calls_before
    # and a faulted strategy cannot trade any more
    assert rig.submit(BUY, 1, strategy_id="BAD").status == S.DENIED
    rig.kernel.start()
    assert rig.kernel.record("BAD").status == StrategyStatus.FAULTED


@pytest.mark.parametrize(
    "callback",
    [
        "start",
        pytest.param("order_event"),
        pytest.param("fill"),
        "timer",
        "stop",
    ],
)
def test_faults_in_every_callback_are_contained(callback: str) -> None:
    strategy = RecordingStrategy()

    def explode(st: RecordingStrategy, arg: object) -> None:
        raise RuntimeError(f"bad {callback}")

    def setup(st: RecordingStrategy, arg: object) -> None:
        st.ctx.set_alert("soon", 1_010)

    strategy.actions[callback] = explode
    if callback != "start":
        strategy.actions["start"] = setup
    rig = Rig([strategy])
    rig.venue.fill_on_submit = True
    if callback in ("order_event", "fill"):
        rig.submit(BUY, 1)
    rig.bar("100")
    if callback == "stop":
        rig.kernel.stop()
    assert rig.kernel.record("S1").status == StrategyStatus.FAULTED
    (fault,) = rig.of_type(StrategyFaulted)
    assert fault.error == f"RuntimeError: bad {callback}"  # type: ignore[attr-defined]


def test_a_venue_that_raises_on_submit_rejects_the_order() -> None:
    strategy = RecordingStrategy()
    submit_on_bar(strategy)
    rig = Rig([strategy])
    rig.venue.raise_on_submit = ConnectionError("socket closed")
    rig.bar("100")
    (order,) = rig.kernel.orders
    assert rig.kernel.record("S1").status == StrategyStatus.RUNNING
    assert order.status in (S.REJECTED, S.DENIED)


# venue events the order cannot take ----------------------------------------------------------
def test_an_illegal_venue_event_is_refused_and_changes_nothing() -> None:
    strategy = RecordingStrategy()
    rig = Rig([strategy])
    order = rig.submit(BUY, 10)
    rig.venue.accept(order.client_order_id)
    rig.venue.cancel_ok(order.client_order_id)
    rig.flush()
    assert order.status == S.CANCELED
    account = rig.account()
    cash, events = account.cash_raw, len(order.events)
    calls = list(strategy.calls)

    rig.venue.fill(order.client_order_id, 10, "100")  # a fill after the cancel
    rig.flush()
    assert order.status == S.CANCELED
    assert order.filled_qty_raw == 0 and len(order.events) == events
    assert account.cash_raw == cash
    assert strategy.ctx.position(SPY).is_flat
    assert account.round_trips == [] and account.fees_raw == 0
    assert strategy.calls == calls
    errors = rig.logs("ERROR")
    assert len(errors) == 1 and "venue event refused" in errors[0]
    assert "OrderFilled" in errors[0] and "CANCELED" in errors[0]
    assert not rig.of_type(PositionChanged)


def test_an_event_for_an_unknown_order_is_logged() -> None:
    rig = Rig()
    rig.submit(BUY, 1, coid="KNOWN")
    rig.venue.emit(
        OrderAccepted(
            strategy_id="S1",
            client_order_id="GHOST",
            instrument_id=SPY,
            ts_event=1,
            venue_order_id="V-9",
        )
    )
    rig.flush()
    assert any("unknown order" in m and "GHOST" in m for m in rig.logs("ERROR"))


def test_a_fill_with_the_wrong_side_is_refused() -> None:
    rig = Rig()
    order = rig.submit(BUY, 10)
    rig.venue.accept(order.client_order_id)
    rig.venue.fill(order.client_order_id, 10, "100", side=SELL)
    rig.flush()
    assert rig.strategies[0].ctx.position(SPY).is_flat
    assert order.filled_qty_raw == 0


def test_a_listener_that_raises_loses_no_venue_event() -> None:
    rig = Rig()
    order = rig.submit(BUY, 10)

    def grumpy(event: Event) -> None:
        if isinstance(event, OrderAccepted):
            raise RuntimeError("listener bug")

    rig.kernel.add_listener(grumpy)
    rig.venue.accept(order.client_order_id)
    rig.venue.fill(order.client_order_id, 10, "100")
    with contextlib.suppress(RuntimeError):
        rig.flush()
    rig.flush()
    assert order.status == S.FILLED
    assert rig.strategies[0].ctx.position(SPY).signed_qty_raw == Qty.of(10).raw


def test_cancel_rejected_after_a_fill_leaves_the_filled_order_alone() -> None:
    rig = Rig()
    order = rig.submit(BUY, 10)
    rig.venue.accept(order.client_order_id)
    rig.flush()
    assert rig.strategies[0].ctx.cancel_order(order.client_order_id)
    assert not rig.strategies[0].ctx.cancel_order(order.client_order_id)  # already pending
    rig.venue.fill(order.client_order_id, 10, "100")
    rig.venue.cancel_rejected(order.client_order_id)
    rig.flush()
    assert order.status == S.FILLED
    assert rig.logs("ERROR") == []
    assert not rig.strategies[0].ctx.cancel_order(order.client_order_id)  # closed


def test_keep_closed_orders_keeps_the_most_recent_closed_order() -> None:
    rig = Rig(keep_closed_orders=1)
    order = rig.submit(BUY, 1, coid="A")
    rig.venue.accept("A")
    rig.venue.fill("A", 1, "100")
    rig.venue.cancel_rejected("A")  # the cancel lost the race with the fill
    rig.flush()
    assert rig.kernel.order("A") is order


# modify ------------------------------------------------------------------------------------------
def test_modify_goes_pending_then_updates() -> None:
    rig = Rig()
    ctx = rig.strategies[0].ctx
    order = ctx.submit_order(SPY, BUY, Qty.of(10), order_type=OrderType.LIMIT, price=px("99"))
    rig.venue.accept(order.client_order_id)
    rig.flush()
    assert ctx.modify_order(order.client_order_id, qty=Qty.of(20), price=px("98"))
    assert order.status == S.PENDING_UPDATE
    assert rig.venue.modified[0].price == px("98")
    rig.venue.updated(order.client_order_id, 20, "98")
    rig.flush()
    assert (order.status, order.qty, order.price) == (S.ACCEPTED, Qty.of(20), px("98"))
    with pytest.raises(ValueError, match="tick grid"):
        ctx.modify_order(order.client_order_id, price=px("98.005"))
    with pytest.raises(KeyError, match="has no order"):
        ctx.modify_order("NOPE", price=px("1"))


@pytest.mark.parametrize("accepted_first", [False, True], ids=["submitted", "pending_update"])
def test_modify_that_cannot_be_sent_returns_false(accepted_first: bool) -> None:
    strategy = RecordingStrategy()
    answers: list[bool] = []

    def act(st: RecordingStrategy, bar: object) -> None:
        order = st.ctx.submit_order(SPY, BUY, Qty.of(1), order_type=OrderType.LIMIT, price=px("99"))
        if accepted_first:
            st.ctx.modify_order(order.client_order_id, price=px("98"))  # -> PENDING_UPDATE
        answers.append(st.ctx.modify_order(order.client_order_id, price=px("97")))

    strategy.actions["bar"] = act
    rig = Rig([strategy])
    rig.venue.accept_on_submit = accepted_first
    rig.bar("100")
    assert rig.kernel.record("S1").status == StrategyStatus.RUNNING
    assert answers == [False]


# ordering: no re-entrant callbacks ----------------------------------------------------------------
def test_events_caused_in_on_bar_arrive_after_on_bar_returns() -> None:
    strategy = RecordingStrategy()
    submit_on_bar(strategy)
    rig = Rig([strategy])
    rig.venue.fill_on_submit = True  # the venue answers synchronously inside submit()
    rig.bar("100")
    bar_calls = [c for c in strategy.calls if c[0] != "start"]
    assert bar_calls[:2] == [("bar", rig.ts), ("bar-end", rig.ts)]
    assert [c[1] for c in bar_calls[2:] if c[0] == "event"] == [
        "OrderSubmitted",
        "OrderAccepted",
        "OrderFilled",
    ]


def test_cancel_in_on_bar_is_heard_after_on_bar() -> None:
    strategy = RecordingStrategy()
    rig = Rig([strategy])
    order = rig.submit(BUY, 1)
    rig.venue.accept(order.client_order_id)
    rig.flush()

    def cancel(st: RecordingStrategy, bar: object) -> None:
        st.ctx.cancel_order(order.client_order_id)

    strategy.actions["bar"] = cancel
    start = len(strategy.calls)
    rig.bar("100")
    assert [c[0] for c in strategy.calls[start:]] == ["bar", "bar-end", "event"]


def test_events_caused_in_on_order_event_are_not_nested() -> None:
    strategy = RecordingStrategy()
    depth = [0]
    nested: list[int] = []

    def react(st: RecordingStrategy, event: object) -> None:
        depth[0] += 1
        nested.append(depth[0])
        if isinstance(event, OrderFilled) and event.client_order_id == "S1-1":
            st.ctx.submit_order(SPY, SELL, Qty.of(1))
        depth[0] -= 1

    strategy.actions["order_event"] = react
    rig = Rig([strategy])
    rig.venue.fill_on_submit = True
    rig.submit(BUY, 1)
    assert max(nested) == 1
    assert strategy.event_names() == [
        "OrderSubmitted",
        "OrderAccepted",
        "OrderFilled",
        "OrderSubmitted",
        "OrderAccepted",
        "OrderFilled",
    ]
    assert strategy.ctx.position(SPY).is_flat


def test_venue_matching_happens_before_the_strategy_sees_the_bar() -> None:
    strategy = RecordingStrategy()
    rig = Rig([strategy])
    order = rig.submit(BUY, 1)
    rig.venue.accept(order.client_order_id)
    rig.flush()

    def match(bar: Bar) -> None:
        rig.venue.fill(order.client_order_id, 1, str(bar.open))

    rig.venue.on_bar_hook = match
    start = len(strategy.calls)
    rig.bar("100")
    assert [c[0] for c in strategy.calls[start:]] == ["event", "fill", "bar", "bar-end"]


def test_queued_events_reach_listeners_in_order() -> None:
    rig = Rig()
    rig.venue.fill_on_submit = True
    rig.submit(BUY, 1)
    kinds = [type(e).__name__ for e in rig.events if not isinstance(e, StrategyLogged)]
    assert kinds == [
        "OrderRiskDecision",
        "OrderSubmitted",
        "OrderAccepted",
        "OrderFilled",
        "PositionChanged",
    ]
    assert isinstance(rig.events[1], OrderSubmitted)


# timers through the kernel -----------------------------------------------------------------------
def test_strategy_timers_fire_in_time_with_the_clock() -> None:
    strategy = RecordingStrategy()
    seen_now: list[int] = []

    def setup(st: RecordingStrategy, _: object) -> None:
        st.ctx.set_timer("every10", 10)
        st.ctx.set_alert("once", 1_025)

    def on_timer(st: RecordingStrategy, event: object) -> None:
        seen_now.append(st.ctx.now_ns())

    strategy.actions["start"] = setup
    strategy.actions["timer"] = on_timer
    rig = Rig([strategy])
    rig.kernel.advance_time(1_030)
    assert [c for c in strategy.calls if c[0] == "timer"] == [
        ("timer", "every10", 1_010),
        ("timer", "every10", 1_020),
        ("timer", "once", 1_025),
        ("timer", "every10", 1_030),
    ]
    assert seen_now == [1_010, 1_020, 1_025, 1_030]  # the clock stands at each timer's time
    strategy.ctx.cancel_timer("every10")
    rig.kernel.advance_time(1_100)
    assert len([c for c in strategy.calls if c[0] == "timer"]) == 4


def test_a_timer_canceled_by_an_earlier_timer_does_not_fire() -> None:
    strategy = RecordingStrategy()

    def setup(st: RecordingStrategy, _: object) -> None:
        st.ctx.set_alert("first", 1_010)
        st.ctx.set_alert("second", 1_020)

    def on_timer(st: RecordingStrategy, event: object) -> None:
        st.ctx.cancel_timer("second")

    strategy.actions["start"] = setup
    strategy.actions["timer"] = on_timer
    rig = Rig([strategy])
    rig.kernel.advance_time(1_030)
    assert [c[1] for c in strategy.calls if c[0] == "timer"] == ["first"]


def test_switch_clock_carries_repeating_timers() -> None:
    strategy = RecordingStrategy()

    def setup(st: RecordingStrategy, _: object) -> None:
        st.ctx.set_timer("tick", 10)
        st.ctx.set_alert("old-alert", 5_000)

    strategy.actions["start"] = setup
    rig = Rig([strategy])
    rig.kernel.advance_time(1_025)
    assert [c[2] for c in strategy.calls if c[0] == "timer"] == [1_010, 1_020]

    new_clock = SimClock(1_000_000)
    rig.kernel.switch_clock(new_clock)
    assert rig.kernel.clock is new_clock
    assert rig.venue.clock is new_clock
    assert new_clock.timer_names("S1") == ["S1:tick"]  # the alert stayed behind
    assert new_clock.next_timer_ns == 1_000_010
    rig.kernel.advance_time(1_000_030)
    assert [c for c in strategy.calls if c[0] == "timer"][2:] == [
        ("timer", "tick", 1_000_010),
        ("timer", "tick", 1_000_020),
        ("timer", "tick", 1_000_030),
    ]

    # timers of a faulted strategy are not resurrected by a switch
    def explode(st: RecordingStrategy, event: object) -> None:
        raise RuntimeError("x")

    strategy.actions["timer"] = explode
    rig.kernel.advance_time(1_000_040)
    assert rig.kernel.record("S1").status == StrategyStatus.FAULTED
    rig.kernel.switch_clock(SimClock(2_000_000))
    assert rig.kernel.clock.export_timers() == []


# shared indicators ---------------------------------------------------------------------------
def test_shared_indicators_update_before_on_bar_and_are_shared() -> None:
    a, b = RecordingStrategy("A"), RecordingStrategy("B")
    seen: list[float] = []

    def read(st: RecordingStrategy, bar: object) -> None:
        seen.append(st.ctx.sma(SPY, 2).value)

    a.actions["bar"] = read
    rig = Rig([a, b])
    sma = a.ctx.sma(SPY, 2)
    assert b.ctx.sma(SPY, 2) is sma
    assert a.ctx.ema(SPY, 2) is not sma
    rig.bar("10")
    rig.bar("20")
    assert seen[1] == 15.0
    with pytest.raises(ValueError, match="unknown shared indicator"):
        rig.kernel.shared_indicator("macd", SPY, 3)


# more containment and ordering gaps ------------------------------------------------------------
def test_an_alert_in_the_past_cannot_crash_the_kernel() -> None:
    strategy = RecordingStrategy()

    def late(st: RecordingStrategy, bar: object) -> None:
        st.actions.pop("bar")
        st.ctx.set_alert("session-close", st.ctx.now_ns() - 30)

    strategy.actions["bar"] = late
    rig = Rig([strategy])
    rig.bar("100")
    rig.bar("101")  # today: ValueError "simulated time cannot go back"
    assert rig.kernel.clock.now_ns() == rig.ts


def test_equity_is_known_right_after_a_fill_without_market_data() -> None:
    rig = Rig()
    rig.venue.fill_on_submit = True
    rig.submit(BUY, 1, instrument_id=QQQ)  # no QQQ bar or quote seen yet
    assert rig.strategies[0].ctx.equity() == usd("100000")


def test_a_fee_in_another_currency_is_not_booked_as_account_currency() -> None:
    rig = Rig()
    order = rig.submit(BUY, 1)
    rig.venue.accept(order.client_order_id)
    cmd = rig.venue.submitted[0]
    rig.venue.fill_cmd(cmd, Qty.of(1), px("100"), Money.parse("0.001", "BNB"))
    rig.flush()
    assert rig.logs("ERROR") or rig.account().fees_raw == 0


def test_listeners_see_order_events_in_the_order_they_were_applied() -> None:
    strategy = RecordingStrategy()

    def cancel_on_accept(st: RecordingStrategy, event: object) -> None:
        if isinstance(event, OrderAccepted):
            st.ctx.cancel_order(event.client_order_id)

    strategy.actions["order_event"] = cancel_on_accept
    rig = Rig([strategy])
    order = rig.submit(BUY, 1)
    rig.venue.accept(order.client_order_id)  # the venue sends both before the kernel runs
    rig.venue.fill(order.client_order_id, 1, "100")
    rig.flush()
    assert order.status == S.FILLED
    # replaying what listeners saw must rebuild the same order (the journal will do this)
    replay = Order(rig.venue.submitted[0])
    for event in rig.events:
        if isinstance(event, OrderEvent):
            replay.apply(event)
    assert replay.status == order.status


def test_a_fill_reported_twice_is_booked_once_when_trade_ids_are_tracked() -> None:
    rig = Rig()
    rig.kernel.track_trade_ids([("SIM", "T-9")])  # booked before a restart
    order = rig.submit(BUY, 10)
    rig.venue.accept(order.client_order_id)
    rig.venue.fill(order.client_order_id, 4, "100")  # T-1
    rig.venue._trade_seq = 0  # the venue (or a broker after a reconnect) reports T-1 again
    rig.venue.fill(order.client_order_id, 4, "100")
    rig.venue._trade_seq = 8
    rig.venue.fill(order.client_order_id, 4, "100")  # T-9: booked before the restart
    rig.kernel.drain_now()
    assert order.filled_qty_raw == Qty.of(4).raw
    account = rig.kernel.record("S1").account
    assert account.positions[SPY].signed_qty_raw == Qty.of(4).raw
    warnings = [e.message for e in rig.events if isinstance(e, StrategyLogged)]
    assert warnings == [
        "duplicate fill ignored: OrderFilled S1-1 BUY 4 @ 100 fee 0.00 USD",
        "duplicate fill ignored: OrderFilled S1-1 BUY 4 @ 100 fee 0.00 USD",
    ]
