"""The risk step in every submit and modify path: the same in backtest, paper and live.

Layers, in the order they run for each command:

1. **Trading state** (not a pluggable rule, named ``trading_state`` in decisions): the strictest
   of the global state and the strategy's own. ACTIVE lets everything through; REDUCING only
   orders that shrink the position (an order that would flip it is cut down to the position's
   size: a *modified* decision); HALTED nothing but cancels. A state is the strictest of what a
   person set, the kill switch (global HALTED) and any tripped drawdown breaker covering it.
2. **Rules**, in the configured order; the first denial wins. A rule is a small object with a
   ``check`` that sees the command and a :class:`RiskView` (portfolio, instruments, working
   orders) and returns None (pass), a :class:`Denial`, or an :class:`Adjustment` (go on with a
   smaller quantity). After every rule passed, each rule's ``approved`` hook runs, so a rule that
   counts orders counts only orders that really went out.

Everything is integer-exact: prices, quantities and money are raw 1e-9 ints, and every reason
quotes the numbers in their exact decimal text. The kernel turns each outcome into an
``OrderRiskDecision`` event (see ``core.kernel``). The built-in rules are in ``core.riskrules``;
``core.riskctl`` holds the runtime controls (kill switch, states, breakers, allocations) that the
GUI and the config file (``core.riskconfig``) use.
"""

from __future__ import annotations

from typing import Final, final

from mypy_extensions import mypyc_attr

from core.commands import SubmitOrder
from core.enums import TradingState
from core.instruments import Instrument
from core.orders import Order
from core.portfolio import Portfolio
from core.values import Price, Qty

APPROVED: Final = "approved"
MODIFIED: Final = "modified"
DENIED: Final = "denied"
DAY_NS: Final = 86_400 * 1_000_000_000


@final
class Denial:
    """Why a rule refused a command."""

    def __init__(self, rule: str, reason: str) -> None:
        self.rule: Final = rule
        self.reason: Final = reason


@final
class Adjustment:
    """A rule lets the command through with a smaller quantity (``qty_raw`` > 0)."""

    def __init__(self, rule: str, reason: str, qty_raw: int) -> None:
        self.rule: Final = rule
        self.reason: Final = reason
        self.qty_raw: Final = qty_raw


@final
class RiskResult:
    """The risk step's answer: ``decision`` with the rule and reason behind it, and the command
    that goes on (the original, or one with an adjusted quantity; None when denied)."""

    def __init__(self, decision: str, rule: str, reason: str, cmd: SubmitOrder | None) -> None:
        self.decision: Final = decision
        self.rule: Final = rule
        self.reason: Final = reason
        self.cmd: Final = cmd


@final
class RiskView:
    """What rules see: the kernel's portfolio, instruments and working orders (live views).

    ``replacing`` is the client order id a modify would change ("" for a submit): that order's
    remaining quantity is not counted as working, since the command under check replaces it.
    """

    def __init__(
        self,
        portfolio: Portfolio,
        instruments: dict[str, Instrument],
        open_orders: dict[str, Order],
    ) -> None:
        self.portfolio: Final = portfolio
        self.instruments: Final = instruments
        self.open_orders: Final = open_orders
        self.replacing = ""

    def position_raw(self, strategy_id: str, instrument_id: str) -> int:
        account = self.portfolio.accounts.get(strategy_id)
        if account is None:
            return 0
        pos = account.positions.get(instrument_id)
        return 0 if pos is None else pos.signed_qty_raw

    def working_raw(self, strategy_id: str, instrument_id: str) -> tuple[int, int]:
        """Remaining quantity of the strategy's working buy and sell orders in an instrument."""
        buys = 0
        sells = 0
        replacing = self.replacing
        for order in self.open_orders.values():
            if (
                order.strategy_id != strategy_id
                or order.instrument_id != instrument_id
                or order.client_order_id == replacing
            ):
                continue
            if order.side > 0:
                buys += order.leaves_qty_raw
            else:
                sells += order.leaves_qty_raw
        return buys, sells

    def multiplier(self, instrument_id: str) -> int:
        inst = self.instruments.get(instrument_id)
        return 1 if inst is None else inst.multiplier

    def order_price_raw(self, cmd: SubmitOrder) -> tuple[int | None, str]:
        """The price an order is valued at: its limit, else its trigger, else the last price."""
        if cmd.price is not None:
            return cmd.price.raw, "limit price"
        if cmd.trigger_price is not None:
            return cmd.trigger_price.raw, "trigger price"
        return self.portfolio.last_price_raw(cmd.instrument_id), "last price"


@mypyc_attr(allow_interpreted_subclasses=True)
class RiskRule:
    """A small object with a check; ``name`` appears in every decision it causes.

    ``check`` returns None to pass, a Denial, or an Adjustment. ``approved`` is called once the
    command passed every rule (and would go out). ``describe`` is the rule's settings for people
    (the risk panel, the journal's record of changes).
    """

    name: str = "rule"

    def check(self, cmd: SubmitOrder, view: RiskView) -> Denial | Adjustment | None:
        raise NotImplementedError

    def approved(self, cmd: SubmitOrder) -> None:
        """The command passed every rule."""

    def describe(self) -> str:
        return self.name


# Trading states ---------------------------------------------------------------------------------


def _state_check(state: int, cmd: SubmitOrder, view: RiskView) -> Denial | Adjustment | None:
    if state == TradingState.ACTIVE:
        return None
    who = f"strategy {cmd.strategy_id} is {TradingState.NAMES[state]}"
    if state == TradingState.HALTED:
        return Denial("trading_state", f"{who}: no new orders or modifications, only cancels")
    pos = view.position_raw(cmd.strategy_id, cmd.instrument_id)
    if pos == 0 or (pos > 0) == (cmd.side > 0):
        verb = "opens" if pos == 0 else "grows"
        return Denial(
            "trading_state", f"{who}: only orders that shrink a position pass, this one {verb} it"
        )
    held = -pos if pos < 0 else pos
    if cmd.qty.raw > held:
        return Adjustment(
            "trading_state",
            f"{who}: {cmd.qty} would flip the position, cut to the {Qty(held)} held",
            held,
        )
    return None


# The engine -------------------------------------------------------------------------------------


@final
class RiskEngine:
    """Trading states, then the configured rules in order (see the module docstring)."""

    def __init__(self, rules: list[RiskRule] | None = None) -> None:
        self.rules: list[RiskRule] = list(rules) if rules is not None else []
        # effective states (kept current by core.riskctl): global, and per strategy
        self.global_state = TradingState.ACTIVE
        self.states: dict[str, int] = {}

    def state_of(self, strategy_id: str) -> int:
        state = self.states.get(strategy_id, TradingState.ACTIVE)
        return state if state > self.global_state else self.global_state

    def rule(self, name: str) -> RiskRule | None:
        for rule in self.rules:
            if rule.name == name:
                return rule
        return None

    def check_submit(self, cmd: SubmitOrder, view: RiskView) -> RiskResult | None:
        """None: approved as it is (the common case allocates nothing)."""
        view.replacing = ""
        return self._check(cmd, view)

    def check_modify(self, order: Order, after: SubmitOrder, view: RiskView) -> RiskResult | None:
        """A modify is checked as the order it would leave working (``after``, same id)."""
        view.replacing = order.client_order_id
        try:
            return self._check(after, view)
        finally:
            view.replacing = ""

    def _check(self, cmd: SubmitOrder, view: RiskView) -> RiskResult | None:
        adjusted: Adjustment | None = None
        state = self.state_of(cmd.strategy_id)
        if state != TradingState.ACTIVE:
            outcome = _state_check(state, cmd, view)
            if isinstance(outcome, Denial):
                return RiskResult(DENIED, outcome.rule, outcome.reason, None)
            if outcome is not None:
                adjusted = outcome
                cmd = _with_qty(cmd, outcome.qty_raw)
        for rule in self.rules:
            try:
                result = rule.check(cmd, view)
            except Exception as exc:
                return RiskResult(
                    DENIED, rule.name, f"rule raised {type(exc).__name__}: {exc}", None
                )
            if result is None:
                continue
            if isinstance(result, Denial):
                return RiskResult(DENIED, result.rule, result.reason, None)
            if not 0 < result.qty_raw < cmd.qty.raw:
                return RiskResult(
                    DENIED,
                    rule.name,
                    f"rule adjusted the quantity to {format_qty(result.qty_raw)}, which is not "
                    f"between zero and the order's {cmd.qty}",
                    None,
                )
            adjusted = result
            cmd = _with_qty(cmd, result.qty_raw)
        for rule in self.rules:
            rule.approved(cmd)
        if adjusted is None:
            return None
        return RiskResult(MODIFIED, adjusted.rule, adjusted.reason, cmd)


def _with_qty(cmd: SubmitOrder, qty_raw: int) -> SubmitOrder:
    return SubmitOrder(
        strategy_id=cmd.strategy_id,
        client_order_id=cmd.client_order_id,
        instrument_id=cmd.instrument_id,
        side=cmd.side,
        order_type=cmd.order_type,
        qty=Qty(qty_raw),
        price=cmd.price,
        trigger_price=cmd.trigger_price,
        time_in_force=cmd.time_in_force,
        reduce_only=cmd.reduce_only,
        ts_init=cmd.ts_init,
        dedup_key=cmd.dedup_key,
    )


# Text -------------------------------------------------------------------------------------------


def format_qty(raw: int) -> str:
    """A signed quantity's exact decimal text (Qty itself refuses negatives)."""
    return f"-{Qty(-raw)}" if raw < 0 else str(Qty(raw))


def amount_text(raw: int, currency: str) -> str:
    # Money's str rounds to cents; Price's str is the exact (possibly signed) decimal text
    return f"{Price(raw)} {currency}"


# Drawdown breakers ------------------------------------------------------------------------------


@final
class DrawdownBreaker:
    """Trips when equity falls from its peak by more than a limit: ``limit_bps`` of the peak
    (500 = 5%) or an absolute ``limit_raw`` amount (exactly one of them is set).

    ``scope`` is a strategy id, or "" for the whole portfolio. ``intraday``: the peak starts
    afresh every trading day (days begin at UTC midnight plus ``day_start_ns``) and a tripped
    breaker re-arms at the next day; otherwise the peak is the highest equity since the start
    and a trip lasts until reset. ``action`` is the trading state it imposes (REDUCING, HALTED).
    """

    def __init__(
        self,
        name: str,
        scope: str,
        *,
        action: int,
        limit_bps: int = 0,
        limit_raw: int = 0,
        intraday: bool = False,
        day_start_ns: int = 0,
    ) -> None:
        if (limit_bps > 0) == (limit_raw > 0):
            raise ValueError(f"breaker {name}: give exactly one positive limit (percent or amount)")
        if action != TradingState.REDUCING and action != TradingState.HALTED:
            raise ValueError(f"breaker {name}: the action must be reduce or halt")
        if not 0 <= day_start_ns < DAY_NS:
            raise ValueError(f"breaker {name}: the trading day must start within a day")
        self.name: Final = name
        self.scope: Final = scope
        self.action = action
        self.limit_bps = limit_bps
        self.limit_raw = limit_raw
        self.intraday: Final = intraday
        self.day_start_ns: Final = day_start_ns
        self.peak_raw = 0
        self.equity_raw = 0
        self.started = False
        self.tripped = False
        # the largest drawdown allowed at the current peak (bps x peak / 10,000 rounded down:
        # drawdown > it <=> drawdown x 10,000 > bps x peak), recomputed only when the peak moves
        self._allowed_raw = limit_raw
        self._next_day_ns = 0  # intraday: when the current trading day ends

    def limit_text(self, currency: str) -> str:
        if self.limit_bps:
            peak = "the day's peak" if self.intraday else "the peak"
            return f"{self.limit_bps / 100:g}% of {peak}"
        return amount_text(self.limit_raw, currency)

    def drawdown_raw(self) -> int:
        return self.peak_raw - self.equity_raw

    @property
    def allowed_raw(self) -> int:
        """The largest drawdown allowed at the current peak."""
        return self._allowed_raw

    def _new_peak(self, equity_raw: int) -> None:
        self.peak_raw = equity_raw
        if self.limit_bps:
            self._allowed_raw = self.limit_bps * equity_raw // 10_000

    def update(self, ts: int, equity_raw: int) -> int:
        """Feed one equity value: 1 if the breaker trips now, -1 if it re-armed (a new day),
        else 0. Per market event: two compares in the common case."""
        rearmed = 0
        if self.intraday and ts >= self._next_day_ns:
            day_start = ts - (ts - self.day_start_ns) % DAY_NS
            self._next_day_ns = day_start + DAY_NS
            self._new_peak(equity_raw)
            if self.tripped:
                self.tripped = False
                rearmed = -1
        if not self.started:
            self.started = True
            self._new_peak(equity_raw)
        elif equity_raw > self.peak_raw:
            self._new_peak(equity_raw)
        self.equity_raw = equity_raw
        if not self.tripped and self.peak_raw - equity_raw > self._allowed_raw:
            self.tripped = True
            return 1
        return rearmed

    def reset(self) -> None:
        """Re-arm by hand; the peak restarts at the current equity."""
        self.tripped = False
        self._new_peak(self.equity_raw)
