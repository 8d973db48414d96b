"""Trading states, the kill switch, drawdown breakers, capital allocation, the duplicate guard,
the modify path and the order rules run in: through a real kernel and simulated venue."""

from __future__ import annotations

import pytest
from risk_harness import BUY, DAY, SELL, SPY, Desk, usd

from core.commands import SubmitOrder
from core.enums import OrderStatus, TradingState
from core.events import (
    BreakerTripped,
    OrderDenied,
    OrderRiskDecision,
    RiskConfigChanged,
    TradingStateChanged,
)
from core.orders import Order
from core.risk import Adjustment, Denial, DrawdownBreaker, RiskRule, RiskView
from core.riskctl import RiskControlError
from core.riskrules import CapitalAllocation, DuplicateGuard, MaxOrderQty, MaxPosition
from core.values import Price, Qty

HALTED, REDUCING, ACTIVE = TradingState.HALTED, TradingState.REDUCING, TradingState.ACTIVE


def denial_reason(order: Order) -> tuple[str, str]:
    assert order.status == OrderStatus.DENIED
    event = next(e for e in order.events if isinstance(e, OrderDenied))
    return event.rule, event.reason


# trading states ----------------------------------------------------------------------------------
def test_halted_denies_new_orders_and_modifies_and_cancels_what_is_working() -> None:
    desk = Desk({"A": "100000", "B": "100000"})
    desk.bar("100")
    resting = desk["A"].limit(BUY, 10, "90")
    other = desk["B"].limit(BUY, 10, "90")
    desk.bar("100")
    assert resting.status == OrderStatus.ACCEPTED

    desk.control.set_state("A", HALTED, "alice", "earnings in a minute")
    desk.bar("100")
    assert resting.status == OrderStatus.CANCELED  # a halt cancels what is working
    assert other.status == OrderStatus.ACCEPTED  # B is not halted
    (changed,) = desk.of_type(TradingStateChanged)
    assert isinstance(changed, TradingStateChanged)
    assert (changed.scope, changed.previous, changed.state) == ("A", "ACTIVE", "HALTED")
    assert (changed.who, changed.reason) == ("alice", "earnings in a minute")
    assert changed in desk["A"].risk_events and changed not in desk["B"].risk_events

    assert denial_reason(desk["A"].market(BUY, 1)) == (
        "trading_state",
        "strategy A is HALTED: no new orders or modifications, only cancels",
    )
    assert desk["B"].market(BUY, 1).status != OrderStatus.DENIED
    desk.control.set_state("A", ACTIVE, "alice", "earnings out")
    assert desk["A"].market(BUY, 1).status != OrderStatus.DENIED


def test_reducing_lets_only_shrinking_orders_through_and_cuts_a_flip() -> None:
    desk = Desk({"A": "100000"})
    desk.bar("100")
    desk["A"].market(BUY, 10)
    desk.bar("100")
    assert desk.position("A") == Qty.of(10).raw
    grow = desk["A"].limit(BUY, 5, "95")
    shrink = desk["A"].limit(SELL, 4, "110")
    desk.bar("100")

    desk.control.set_state("A", REDUCING, "risk desk", "vol spike")
    desk.bar("100")
    assert grow.status == OrderStatus.CANCELED  # it would grow the position
    assert shrink.status == OrderStatus.ACCEPTED  # it shrinks it: stays

    assert denial_reason(desk["A"].market(BUY, 1)) == (
        "trading_state",
        "strategy A is REDUCING: only orders that shrink a position pass, this one grows it",
    )
    flip = desk["A"].market(SELL, 15)
    assert flip.qty == Qty.of(10)  # cut to the position
    decision = desk["A"].decisions()[-1]
    assert (decision.decision, decision.rule) == ("modified", "trading_state")
    assert (
        decision.reason == "strategy A is REDUCING: 15 would flip the position, cut to the 10 held"
    )
    desk.bar("100")
    assert desk.position("A") == 0


def test_the_global_state_applies_to_every_strategy_and_the_strictest_wins() -> None:
    desk = Desk({"A": "100000", "B": "100000"})
    desk.bar("100")
    desk.control.set_state("", REDUCING, "ops", "market-wide halt coming")
    desk.control.set_state("B", HALTED, "ops", "bug in B")
    assert desk.control.state_of("A") == REDUCING
    assert desk.control.state_of("B") == HALTED
    assert denial_reason(desk["A"].market(BUY, 1))[0] == "trading_state"
    desk.control.set_state("", ACTIVE, "ops", "all clear")
    assert desk.control.state_of("A") == ACTIVE and desk.control.state_of("B") == HALTED
    with pytest.raises(RiskControlError, match="give a reason"):
        desk.control.set_state("A", HALTED, "ops", " ")


# the kill switch ---------------------------------------------------------------------------------
def test_the_kill_switch_halts_all_cancels_all_flattens_and_stays_tripped() -> None:
    desk = Desk({"A": "100000", "B": "100000"})
    desk.bar("100")
    desk["A"].market(BUY, 10)
    desk["B"].market(SELL, 20)
    desk.bar("100")
    working = [desk["A"].limit(BUY, 5, "90"), desk["B"].limit(SELL, 5, "120")]
    desk.bar("100")

    event = desk.control.kill("carol", "runaway algo", flatten=True)
    assert (event.canceled, event.flatten_orders) == (2, 2)
    assert event.describe() == (
        "KILL SWITCH tripped by carol: runaway algo (2 orders canceled, 2 flattening orders sent)"
    )
    desk.bar("101")
    assert [o.status for o in working] == [OrderStatus.CANCELED, OrderStatus.CANCELED]
    assert desk.position("A") == 0 and desk.position("B") == 0  # flattened at the next open
    assert desk.venue.working_order_ids() == []
    for sid in ("A", "B"):
        assert desk.control.state_of(sid) == HALTED
        assert desk[sid].risk_events[-1] is event or event in desk[sid].risk_events
        assert denial_reason(desk[sid].market(BUY, 1))[0] == "trading_state"

    # stays tripped: setting the global state by hand does not release it
    desk.control.set_state("", ACTIVE, "carol", "trying")
    assert desk.control.state_of("A") == HALTED
    with pytest.raises(RiskControlError, match="already tripped"):
        desk.control.kill("carol", "again")
    with pytest.raises(RiskControlError, match="give a reason"):
        desk.control.reset_kill("carol", "")
    reset = desk.control.reset_kill("carol", "algo fixed, positions checked")
    assert not reset.tripped and desk.control.state_of("A") == ACTIVE
    assert desk["A"].market(BUY, 1).status != OrderStatus.DENIED


def test_the_kill_switch_policy_can_leave_positions() -> None:
    desk = Desk({"A": "100000"})
    desk.bar("100")
    desk["A"].market(BUY, 10)
    desk.bar("100")
    event = desk.control.kill("dave", "leaving for lunch")  # policy: leave positions
    assert (event.flatten, event.flatten_orders) == (False, 0)
    desk.bar("100")
    assert desk.position("A") == Qty.of(10).raw


# drawdown breakers -------------------------------------------------------------------------------
def test_a_strategy_breaker_trips_on_drawdown_from_peak_with_the_numbers() -> None:
    desk = Desk({"A": "10000", "B": "10000"})
    desk.control.set_breaker(
        DrawdownBreaker("a-total", "A", action=HALTED, limit_bps=500), "risk", "policy"
    )
    desk.bar("100")
    desk["A"].market(BUY, 100)  # all in: 10,000 USD
    desk["B"].market(BUY, 100)
    desk.bar("100")
    desk.bar("102")  # peak 10,200
    desk.bar("97")  # 9,700: 4.9 % below the peak
    assert desk.of_type(BreakerTripped) == []
    desk.bar("96.89")  # 9,689: 5.01 %
    (trip,) = desk.of_type(BreakerTripped)
    assert isinstance(trip, BreakerTripped)
    assert (trip.name, trip.scope, trip.action) == ("a-total", "A", "HALTED")
    assert (trip.peak_raw, trip.equity_raw, trip.drawdown_raw) == (
        Price.parse("10200").raw,
        Price.parse("9689").raw,
        Price.parse("511").raw,
    )
    assert trip.describe() == (
        "breaker a-total (A) tripped: drawdown 511 USD from peak 10200 to 9689 breaches 5% of "
        "the peak; action HALTED"
    )
    assert desk.control.state_of("A") == HALTED and desk.control.state_of("B") == ACTIVE
    assert trip in desk["A"].risk_events and trip not in desk["B"].risk_events
    desk.bar("120")  # a total breaker stays tripped when equity recovers
    assert desk.control.state_of("A") == HALTED
    with pytest.raises(RiskControlError, match="no breaker named 'nope'"):
        desk.control.reset_breaker("nope", "risk", "typo")
    desk.control.reset_breaker("a-total", "risk", "reviewed")
    assert desk.control.state_of("A") == ACTIVE


def test_an_intraday_breaker_reduces_and_rearms_the_next_day() -> None:
    desk = Desk({"A": "10000"})
    desk.control.set_breaker(
        DrawdownBreaker("a-day", "A", action=REDUCING, limit_raw=Qty.of(300).raw, intraday=True),
        "risk",
        "policy",
    )
    desk.bar("100")
    desk["A"].market(BUY, 100)
    desk.bar("100")
    desk.bar("96.99")  # 301 below the day's peak
    assert desk.control.state_of("A") == REDUCING
    assert denial_reason(desk["A"].market(BUY, 1))[0] == "trading_state"
    assert desk["A"].market(SELL, 10).status != OrderStatus.DENIED  # reducing passes
    desk.bar("97", step_ns=DAY)  # the next trading day
    trips = desk.of_type(BreakerTripped)
    assert [t.tripped for t in trips if isinstance(t, BreakerTripped)] == [True, False]
    assert desk.control.state_of("A") == ACTIVE


def test_a_global_breaker_sums_every_strategy() -> None:
    desk = Desk({"A": "10000", "B": "10000"})
    desk.control.set_breaker(
        DrawdownBreaker("all", "", action=HALTED, limit_bps=200), "risk", "policy"
    )
    desk.bar("100")
    desk["A"].market(BUY, 100)
    desk["B"].market(BUY, 100)
    desk.bar("100")
    desk.bar("98.01")  # 20,000 -> 19,602: 1.99 %
    assert desk.control.state_of("") == ACTIVE
    desk.bar("97.99")  # 19,598: 2.01 %
    assert desk.control.state_of("") == HALTED
    assert desk.control.state_of("A") == HALTED and desk.control.state_of("B") == HALTED


# capital allocation ------------------------------------------------------------------------------
def test_capital_allocation_cash_for_longs_margin_for_shorts_and_runtime_changes() -> None:
    desk = Desk({"A": "10000", "B": "10000"}, rules=[CapitalAllocation(5_000)])
    desk.bar("100")
    assert desk["A"].market(BUY, 100).status != OrderStatus.DENIED  # exactly 10,000
    rule, reason = denial_reason(desk["A"].market(BUY, 1))
    assert rule == "capital_allocation"
    assert reason == (
        "buy 1 SPY.SIM would commit 10100 USD (now 10000 USD), over the allocation of "
        "10000 USD (short margin 50%)"
    )
    assert desk["A"].market(SELL, 30).status != OrderStatus.DENIED  # reducing always passes
    # shorts commit 50 % of their notional: 200 short = 10,000
    assert desk["B"].market(SELL, 200).status != OrderStatus.DENIED
    assert denial_reason(desk["B"].market(SELL, 2))[0] == "capital_allocation"

    desk.control.set_allocation("B", usd("20000"), "pm", "more room for B")
    assert desk["B"].market(SELL, 2).status != OrderStatus.DENIED
    (change,) = desk.of_type(RiskConfigChanged)
    assert change.describe() == "allocation for B: 10000 USD -> 20000 USD (pm: more room for B)"


def test_capital_allocation_counts_working_orders() -> None:
    desk = Desk({"A": "10000"}, rules=[CapitalAllocation()])
    desk.bar("100")
    desk["A"].limit(BUY, 60, "99")
    assert denial_reason(desk["A"].limit(BUY, 50, "99"))[0] == "capital_allocation"  # 110 x 100
    assert desk["A"].limit(BUY, 40, "99").status != OrderStatus.DENIED


# order checks that need the engine ---------------------------------------------------------------
def test_max_position_counts_working_orders() -> None:
    desk = Desk({"A": "1000000"}, rules=[MaxPosition(Qty.of(50))])
    desk.bar("100")
    desk["A"].limit(BUY, 40, "90")
    assert denial_reason(desk["A"].limit(BUY, 20, "91")) == (
        "max_position",
        "buying 20 SPY.SIM with 40 more working would take the position from 0 to 60, past the "
        "maximum 50 long or short",
    )
    assert desk["A"].limit(SELL, 50, "110").status != OrderStatus.DENIED  # the other side


def test_the_duplicate_guard_refuses_a_key_already_used() -> None:
    journaled = {("A", "signal-2024-01-02")}
    guard = DuplicateGuard(lambda sid, key: (sid, key) in journaled)
    desk = Desk({"A": "1000000", "B": "1000000"}, rules=[guard])
    desk.bar("100")
    assert desk["A"].market(BUY, 1, dedup_key="signal-1").status != OrderStatus.DENIED
    assert denial_reason(desk["A"].market(BUY, 1, dedup_key="signal-1")) == (
        "duplicate_guard",
        "strategy A already sent an order with deduplication key 'signal-1'",
    )
    assert desk["B"].market(BUY, 1, dedup_key="signal-1").status != OrderStatus.DENIED
    assert denial_reason(desk["A"].market(BUY, 1, dedup_key="signal-2024-01-02"))[0] == (
        "duplicate_guard"
    )
    assert desk["A"].market(BUY, 1).status != OrderStatus.DENIED  # no key: not checked


def test_a_modify_goes_through_risk() -> None:
    desk = Desk({"A": "1000000"}, rules=[MaxOrderQty(Qty.of(50))])
    desk.bar("100")
    order = desk["A"].limit(BUY, 10, "90")
    desk.bar("100")
    assert not desk["A"].ctx.modify_order(order.client_order_id, qty=Qty.of(60))
    decision = desk["A"].decisions()[-1]
    assert (decision.action, decision.decision, decision.rule) == (
        "modify",
        "denied",
        "max_order_qty",
    )
    desk.bar("100")
    assert order.qty == Qty.of(10) and order.status == OrderStatus.ACCEPTED
    assert desk["A"].ctx.modify_order(order.client_order_id, price=Price.parse("91"))
    assert desk["A"].decisions()[-1].decision == "approved"
    desk.bar("100")
    assert order.price == Price.parse("91")
    desk.control.set_state("A", HALTED, "ops", "stop")
    desk.bar("100")
    assert order.status == OrderStatus.CANCELED


class CutTo(RiskRule):
    def __init__(self, qty: int) -> None:
        self.name = f"cut_to_{qty}"
        self.qty = qty

    def check(self, cmd: SubmitOrder, view: RiskView) -> Denial | Adjustment | None:
        if cmd.qty.raw > Qty.of(self.qty).raw:
            return Adjustment(self.name, f"cut to {self.qty}", Qty.of(self.qty).raw)
        return None


def test_rules_run_in_order_and_an_adjustment_feeds_the_next_rule() -> None:
    first_cap = Desk({"A": "1000000"}, rules=[MaxOrderQty(Qty.of(8)), CutTo(5)])
    first_cap.bar("100")
    assert denial_reason(first_cap["A"].market(BUY, 10))[0] == "max_order_qty"

    first_cut = Desk({"A": "1000000"}, rules=[CutTo(5), MaxOrderQty(Qty.of(8))])
    first_cut.bar("100")
    order = first_cut["A"].market(BUY, 10)
    assert order.status != OrderStatus.DENIED and order.qty == Qty.of(5)
    (decision,) = first_cut["A"].decisions()
    assert (decision.decision, decision.rule, decision.qty) == ("modified", "cut_to_5", Qty.of(5))


def test_every_decision_is_an_event_for_the_strategy_and_listeners() -> None:
    desk = Desk({"A": "1000000"}, rules=[MaxOrderQty(Qty.of(5))])
    desk.bar("100")
    desk["A"].market(BUY, 1)
    desk["A"].market(BUY, 9)
    seen = [(d.decision, d.rule) for d in desk["A"].decisions()]
    assert seen == [("approved", ""), ("denied", "max_order_qty")]
    published = [e for e in desk.events if isinstance(e, OrderRiskDecision)]
    assert [(d.decision, d.rule) for d in published] == seen
    assert published[0].instrument_id == SPY
