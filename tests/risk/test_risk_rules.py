"""The built-in pre-trade order checks: each rule's boundary by hand, then through the kernel."""

from __future__ import annotations

from core.clock import SimClock
from core.commands import SubmitOrder
from core.data import generate_bars
from core.enums import OrderSide, OrderStatus, OrderType
from core.events import Event, OrderAccepted, OrderDenied, OrderEvent, OrderSubmitted
from core.instruments import Instrument, equity
from core.kernel import Kernel
from core.market import Bar
from core.portfolio import Portfolio
from core.risk import Adjustment, Denial, RiskEngine, RiskRule, RiskView
from core.riskrules import MaxOrderNotional, MaxOrderQty, MaxPosition, OrderRateLimit, PriceCollar
from core.session import TradingSession
from core.strategy import Strategy
from core.values import Money, Price, Qty
from venues.simulated import FillConfig, SimulatedVenue

SPY = "SPY.SIM"
QQQ = "QQQ.SIM"
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def usd(text: str) -> Money:
    return Money.parse(text, "USD")


def cmd(
    qty: str = "10",
    *,
    side: int = BUY,
    price: str | None = None,
    trigger: str | None = None,
    instrument_id: str = SPY,
    strategy_id: str = "S1",
    ts: int = 0,
    coid: str = "C1",
) -> SubmitOrder:
    if price is not None and trigger is not None:
        kind = OrderType.STOP_LIMIT
    elif price is not None:
        kind = OrderType.LIMIT
    elif trigger is not None:
        kind = OrderType.STOP
    else:
        kind = OrderType.MARKET
    return SubmitOrder(
        strategy_id=strategy_id,
        client_order_id=coid,
        instrument_id=instrument_id,
        side=side,
        order_type=kind,
        qty=Qty.parse(qty),
        price=Price.parse(price) if price is not None else None,
        trigger_price=Price.parse(trigger) if trigger is not None else None,
        ts_init=ts,
    )


def portfolio(last: str | None = None, position: int = 0) -> RiskView:
    """What a rule sees: one strategy S1 with ``position`` SPY shares (bought or sold at 100),
    SPY marked at ``last``, no working orders."""
    pf = Portfolio("USD")
    account = pf.open_account("S1", usd("1000000"))
    if position:
        side = BUY if position > 0 else SELL
        account.apply_fill(
            equity("SPY"), side, Qty.of(abs(position)).raw, Price.parse("100").raw, 0, 1
        )
    if last is not None:
        pf.mark(SPY, Price.parse(last).raw)
    es = Instrument(
        instrument_id="ES.SIM",
        tick_size=Price.parse("0.25"),
        lot_size=Qty.of(1),
        quote_currency="USD",
        multiplier=50,
    )
    return RiskView(pf, {SPY: equity("SPY"), es.id: es}, {})


def sent(rule: RiskRule, order: SubmitOrder, view: RiskView) -> Denial | Adjustment | None:
    """Check, and tell the rule the order went out when it passed (as the engine does)."""
    outcome = rule.check(order, view)
    if outcome is None:
        rule.approved(order)
    return outcome


def reason(denial: Denial | Adjustment | None) -> str:
    assert isinstance(denial, Denial)
    return denial.reason


# MaxOrderQty -------------------------------------------------------------------------------------
def test_max_order_qty_boundary_and_reason() -> None:
    rule = MaxOrderQty(Qty.parse("100"))
    pf = portfolio()
    assert rule.name == "max_order_qty"
    assert rule.check(cmd("100"), pf) is None
    denial = rule.check(cmd("100.5"), pf)
    assert denial is not None and denial.rule == "max_order_qty"
    assert denial.reason == "order quantity 100.5 of SPY.SIM is over the maximum 100"
    assert rule.check(cmd("100.000000001", side=SELL), pf) is not None


def test_max_order_qty_for_one_instrument_ignores_others() -> None:
    rule = MaxOrderQty(Qty.of(5), SPY)
    pf = portfolio()
    assert rule.check(cmd("1000", instrument_id=QQQ), pf) is None
    assert reason(rule.check(cmd("6"), pf)) == "order quantity 6 of SPY.SIM is over the maximum 5"


# MaxOrderNotional --------------------------------------------------------------------------------
def test_max_order_notional_uses_the_limit_price() -> None:
    rule = MaxOrderNotional(usd("10000"))
    pf = portfolio(last="1")  # the limit price wins over the last price
    assert rule.check(cmd("100", price="100"), pf) is None  # 100 x 100 = 10000, exactly the max
    assert reason(rule.check(cmd("100", price="100.01"), pf)) == (
        "order notional 10001 USD (100 SPY.SIM at limit price 100.01) is over the maximum 10000 USD"
    )


def test_max_order_notional_uses_the_trigger_then_the_last_price() -> None:
    rule = MaxOrderNotional(usd("999.99"))
    pf = portfolio(last="10")
    assert rule.check(cmd("3", trigger="333.33"), pf) is None  # 999.99
    assert reason(rule.check(cmd("3", trigger="333.34"), pf)) == (
        "order notional 1000.02 USD (3 SPY.SIM at trigger price 333.34) "
        "is over the maximum 999.99 USD"
    )
    assert rule.check(cmd("99.999"), pf) is None  # market: 99.999 x 10 = 999.99
    assert reason(rule.check(cmd("100"), pf)) == (
        "order notional 1000 USD (100 SPY.SIM at last price 10) is over the maximum 999.99 USD"
    )


def test_max_order_notional_denies_a_market_order_with_no_price_known() -> None:
    rule = MaxOrderNotional(usd("1000000"))
    assert reason(rule.check(cmd("1"), portfolio())) == (
        "no price is known for SPY.SIM to value a 1 market order"
    )


def test_max_order_notional_applies_a_contract_multiplier() -> None:
    rule = MaxOrderNotional(usd("200000"))
    pf = portfolio()
    assert rule.check(cmd("1", price="4000", instrument_id="ES.SIM"), pf) is None
    assert reason(rule.check(cmd("1", price="4000.25", instrument_id="ES.SIM"), pf)) == (
        "order notional 200012.5 USD (1 ES.SIM at limit price 4000.25 x 50) "
        "is over the maximum 200000 USD"
    )


# MaxPosition -------------------------------------------------------------------------------------
def test_max_position_counts_the_order_on_top_of_the_position() -> None:
    rule = MaxPosition(Qty.of(100))
    pf = portfolio(position=60)
    assert rule.check(cmd("40"), pf) is None  # 60 + 40 = 100
    assert reason(rule.check(cmd("41"), pf)) == (
        "buying 41 SPY.SIM would take the position from 60 to 101, "
        "past the maximum 100 long or short"
    )
    assert rule.check(cmd("160", side=SELL), pf) is None  # to -100
    assert reason(rule.check(cmd("161", side=SELL), pf)) == (
        "selling 161 SPY.SIM would take the position from 60 to -101, "
        "past the maximum 100 long or short"
    )


def test_max_position_short_side_and_other_strategies_and_instruments() -> None:
    rule = MaxPosition(Qty.of(10), SPY)
    pf = portfolio(position=-10)
    assert rule.check(cmd("20", side=BUY), pf) is None  # -10 -> +10
    assert reason(rule.check(cmd("1", side=SELL), pf)) == (
        "selling 1 SPY.SIM would take the position from -10 to -11, "
        "past the maximum 10 long or short"
    )
    assert rule.check(cmd("10", side=SELL, strategy_id="OTHER"), pf) is None  # flat, no account
    assert rule.check(cmd("1000", instrument_id=QQQ), pf) is None  # another instrument


# PriceCollar -------------------------------------------------------------------------------------
def test_price_collar_boundary_both_sides() -> None:
    rule = PriceCollar(500)  # 5 %
    pf = portfolio(last="100")
    assert rule.check(cmd("1", price="105"), pf) is None
    assert rule.check(cmd("1", price="95"), pf) is None
    assert reason(rule.check(cmd("1", price="105.01"), pf)) == (
        "limit price 105.01 is 5.01 from the last price 100 of SPY.SIM, more than 500 bps"
    )
    assert reason(rule.check(cmd("1", price="94.99", side=SELL), pf)) == (
        "limit price 94.99 is 5.01 from the last price 100 of SPY.SIM, more than 500 bps"
    )


def test_price_collar_checks_the_trigger_and_lets_market_and_unknown_pass() -> None:
    rule = PriceCollar(1)  # 1 bp of 200 = 0.02
    pf = portfolio(last="200")
    assert rule.check(cmd("1", trigger="200.02"), pf) is None
    assert reason(rule.check(cmd("1", price="200", trigger="199.97"), pf)) == (
        "trigger price 199.97 is 0.03 from the last price 200 of SPY.SIM, more than 1 bps"
    )
    assert rule.check(cmd("1"), pf) is None  # market order: nothing to collar
    assert rule.check(cmd("1", price="1", instrument_id=QQQ), pf) is None  # no last price yet


# OrderRateLimit ----------------------------------------------------------------------------------
def test_order_rate_limit_sliding_window_per_strategy() -> None:
    rule = OrderRateLimit(2, 1_000)
    pf = portfolio()
    assert sent(rule, cmd(ts=0), pf) is None
    assert sent(rule, cmd(ts=500), pf) is None
    assert reason(sent(rule, cmd(ts=999), pf)) == (
        "strategy S1 already sent 2 orders in the last 1000 ns (maximum 2)"
    )
    assert sent(rule, cmd(ts=999, strategy_id="S2"), pf) is None  # its own window
    assert sent(rule, cmd(ts=1_000), pf) is None  # the order at 0 left the window
    # the denied order at 999 did not count: the window at 1499 holds 500 and 1000
    assert sent(rule, cmd(ts=1_499), pf) is not None
    assert sent(rule, cmd(ts=1_500), pf) is None


# through the kernel ------------------------------------------------------------------------------
class Submitter(Strategy):
    """Sends the orders it is given on the first bar and writes down its order events."""

    def __init__(self, orders: list[tuple[int, str, str | None]]) -> None:
        super().__init__(strategy_id="S1", instrument_ids=[SPY])
        self.orders = orders
        self.events: list[OrderEvent] = []

    def on_bar(self, bar: Bar) -> None:
        orders, self.orders = self.orders, []
        for side, qty, price in orders:
            kind = OrderType.LIMIT if price is not None else OrderType.MARKET
            self.ctx.submit_order(
                SPY,
                side,
                Qty.parse(qty),
                order_type=kind,
                price=Price.parse(price) if price is not None else None,
            )

    def on_order_event(self, event: OrderEvent) -> None:
        self.events.append(event)


def run_kernel(
    rules: list[RiskRule], orders: list[tuple[int, str, str | None]]
) -> tuple[Kernel, SimulatedVenue, Submitter, list[Event]]:
    inst = equity("SPY")
    kernel = Kernel(SimClock(1_000), risk=RiskEngine(rules))
    kernel.add_instrument(inst)
    venue = SimulatedVenue("SIM", instruments=[inst], fill=FillConfig(participation=None))
    kernel.add_venue(venue)
    events: list[Event] = []
    kernel.add_listener(events.append)
    strategy = Submitter(orders)
    kernel.add_strategy(strategy, usd("1000000"))
    kernel.start()
    c = Price.parse("100")
    kernel.on_bar(Bar.of(SPY, 60_000_000_000, c, c, c, c, Qty.of(1000)))
    return kernel, venue, strategy, events


def test_a_denial_reaches_the_strategy_and_nothing_reaches_the_venue() -> None:
    kernel, venue, strategy, events = run_kernel([PriceCollar(500)], [(BUY, "10", "150")])
    (order,) = kernel.orders
    assert order.status == OrderStatus.DENIED
    (denied,) = [e for e in strategy.events if isinstance(e, OrderDenied)]
    assert denied.rule == "price_collar"
    assert denied.reason == (
        "limit price 150 is 50 from the last price 100 of SPY.SIM, more than 500 bps"
    )
    assert order.reason == denied.reason
    assert not any(isinstance(e, (OrderSubmitted, OrderAccepted)) for e in events)
    assert venue.working_order_ids() == [] and venue.in_flight == 0


def test_rules_run_in_order_and_the_first_denial_wins() -> None:
    rules: list[RiskRule] = [MaxOrderQty(Qty.of(50)), MaxOrderNotional(usd("1000"))]
    orders: list[tuple[int, str, str | None]] = [
        (BUY, "60", "100"),  # breaks both: the quantity rule is listed first
        (BUY, "20", "100"),  # only the notional (2000 USD)
        (BUY, "5", "100"),  # passes both
    ]
    kernel, venue, strategy, _ = run_kernel(rules, orders)
    denials = [e for e in strategy.events if isinstance(e, OrderDenied)]
    assert [(d.rule, d.reason) for d in denials] == [
        ("max_order_qty", "order quantity 60 of SPY.SIM is over the maximum 50"),
        (
            "max_order_notional",
            "order notional 2000 USD (20 SPY.SIM at limit price 100) is over the maximum 1000 USD",
        ),
    ]
    statuses = [o.status for o in kernel.orders]
    assert statuses[:2] == [OrderStatus.DENIED, OrderStatus.DENIED]
    assert statuses[2] != OrderStatus.DENIED
    assert venue.in_flight + len(venue.working_order_ids()) == 1  # only the third went out

    reordered = [MaxOrderNotional(usd("1000")), MaxOrderQty(Qty.of(50))]
    _, _, strategy2, _ = run_kernel(reordered, [(BUY, "60", "100")])
    (denied,) = [e for e in strategy2.events if isinstance(e, OrderDenied)]
    assert denied.rule == "max_order_notional"


def test_the_rate_limit_in_the_kernel_counts_only_approved_orders() -> None:
    orders: list[tuple[int, str, str | None]] = [(BUY, "1", "99")] * 4
    kernel, _, strategy, _ = run_kernel([OrderRateLimit(3, 1_000_000_000)], orders)
    statuses = [o.status == OrderStatus.DENIED for o in kernel.orders]
    assert statuses == [False, False, False, True]
    (denied,) = [e for e in strategy.events if isinstance(e, OrderDenied)]
    assert denied.reason == (
        "strategy S1 already sent 3 orders in the last 1000000000 ns (maximum 3)"
    )


# a backtest --------------------------------------------------------------------------------------
class KeepBuying(Strategy):
    """Buys 7 shares on every bar, forever, and writes down its position after each bar."""

    def __init__(self) -> None:
        super().__init__(strategy_id="BUYER", instrument_ids=["SYN.SIM"])
        self.positions: list[int] = []
        self.denied: list[OrderDenied] = []

    def on_bar(self, bar: Bar) -> None:
        self.positions.append(self.ctx.position(bar.instrument_id).signed_qty_raw)
        self.ctx.submit_order(bar.instrument_id, BUY, Qty.of(7))

    def on_order_event(self, event: OrderEvent) -> None:
        if isinstance(event, OrderDenied):
            self.denied.append(event)


def test_max_position_caps_a_strategy_that_keeps_buying_in_a_backtest() -> None:
    inst = equity("SYN")
    venue = SimulatedVenue("SIM", instruments=[inst], fill=FillConfig(participation=None))
    session = TradingSession(
        instruments=[inst], venues=[venue], risk=RiskEngine([MaxPosition(Qty.of(50))])
    )
    buyer = KeepBuying()
    session.add_strategy(buyer, usd("1000000"))
    session.run_backtest([generate_bars(40, seed=7)])
    final = session.kernel.portfolio.accounts["BUYER"].positions["SYN.SIM"].signed_qty_raw
    limit = Qty.of(50).raw
    assert max(buyer.positions) <= limit and final <= limit
    assert final == Qty.of(49).raw  # 7 fills of 7; an eighth would make 56
    assert buyer.denied and {d.rule for d in buyer.denied} == {"max_position"}
    assert buyer.denied[0].reason == (
        "buying 7 SYN.SIM would take the position from 49 to 56, past the maximum 50 long or short"
    )
