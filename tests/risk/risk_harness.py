"""A kernel with a simulated venue and scripted strategies, driven bar by bar, for the risk
controls' tests. Market orders fill at the next bar's open; limit orders rest."""

from __future__ import annotations

from core.clock import SimClock
from core.enums import OrderSide, OrderType
from core.events import Event, OrderRiskDecision
from core.instruments import equity
from core.kernel import Kernel
from core.market import Bar
from core.orders import Order
from core.risk import RiskEngine, RiskRule
from core.riskctl import RiskControl
from core.strategy import Strategy
from core.values import Money, Price, Qty
from venues.simulated import FillConfig, SimulatedVenue

SPY = "SPY.SIM"
BUY, SELL = OrderSide.BUY, OrderSide.SELL
MINUTE = 60_000_000_000
DAY = 86_400_000_000_000
T0 = 1_700_000_000_000_000_000 - 1_700_000_000_000_000_000 % DAY  # a UTC midnight


def usd(text: str) -> Money:
    return Money.parse(text, "USD")


class Scripted(Strategy):
    """A strategy whose orders the test sends through its context; it writes down every
    risk event it is told about."""

    def __init__(self, strategy_id: str) -> None:
        super().__init__(strategy_id=strategy_id, instrument_ids=[SPY])
        self.risk_events: list[Event] = []

    def on_risk_event(self, event: Event) -> None:
        self.risk_events.append(event)

    def market(self, side: int, qty: int, dedup_key: str = "") -> Order:
        return self.ctx.submit_order(SPY, side, Qty.of(qty), dedup_key=dedup_key)

    def limit(self, side: int, qty: int, price: str) -> Order:
        return self.ctx.submit_order(
            SPY, side, Qty.of(qty), order_type=OrderType.LIMIT, price=Price.parse(price)
        )

    def decisions(self) -> list[OrderRiskDecision]:
        return [e for e in self.risk_events if isinstance(e, OrderRiskDecision)]


class Desk:
    """The kernel, its venue, strategies by id, every published event, and a bar clock."""

    def __init__(
        self,
        strategies: dict[str, str],
        rules: list[RiskRule] | None = None,
        start_ns: int = T0,
    ) -> None:
        inst = equity("SPY")
        self.kernel = Kernel(SimClock(start_ns), risk=RiskEngine(rules))
        self.kernel.add_instrument(inst)
        self.venue = SimulatedVenue("SIM", instruments=[inst], fill=FillConfig(participation=None))
        self.kernel.add_venue(self.venue)
        self.events: list[Event] = []
        self.kernel.add_listener(self.events.append)
        self.strategies: dict[str, Scripted] = {}
        for sid, allocation in strategies.items():
            strategy = Scripted(sid)
            self.kernel.add_strategy(strategy, usd(allocation))
            self.strategies[sid] = strategy
        self.kernel.start()
        self.ts = start_ns

    def __getitem__(self, strategy_id: str) -> Scripted:
        return self.strategies[strategy_id]

    @property
    def control(self) -> RiskControl:
        return self.kernel.control

    def bar(self, close: str, *, open_: str | None = None, step_ns: int = MINUTE) -> None:
        self.ts += step_ns
        o = Price.parse(open_ if open_ is not None else close)
        c = Price.parse(close)
        hi, lo = (o, c) if o.raw >= c.raw else (c, o)
        self.kernel.on_bar(Bar.of(SPY, self.ts, o, hi, lo, c, Qty.of(1_000_000)))

    def of_type(self, kind: type[Event]) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]

    def position(self, strategy_id: str) -> int:
        pos = self.kernel.record(strategy_id).account.positions.get(SPY)
        return 0 if pos is None else pos.signed_qty_raw
