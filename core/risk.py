"""The risk step in the submit path: the same in backtest, paper and live."""

from __future__ import annotations

from collections import deque
from typing import Final, final

from mypy_extensions import mypyc_attr

from core.commands import SubmitOrder
from core.portfolio import Portfolio
from core.values import Money, Price, Qty, notional_raw


@final
class Denial:
    """Why a rule refused a command."""

    def __init__(self, rule: str, reason: str) -> None:
        self.rule: Final = rule
        self.reason: Final = reason


@mypyc_attr(allow_interpreted_subclasses=True)
class RiskRule:
    """A small object with a check; ``name`` appears in every denial it causes."""

    name: str = "rule"

    def check(self, cmd: SubmitOrder, portfolio: Portfolio) -> Denial | None:
        raise NotImplementedError


@final
class RiskEngine:
    """Runs the configured rules in order; the first denial wins."""

    def __init__(self, rules: list[RiskRule] | None = None) -> None:
        self.rules: list[RiskRule] = list(rules) if rules is not None else []

    def check_submit(self, cmd: SubmitOrder, portfolio: Portfolio) -> Denial | None:
        for rule in self.rules:
            try:
                denial = rule.check(cmd, portfolio)
            except Exception as exc:
                return Denial(rule.name, f"rule raised {type(exc).__name__}: {exc}")
            if denial is not None:
                return denial
        return None


# Built-in order checks -------------------------------------------------------------------------
# Each rule is deterministic and integer-exact: prices, quantities and money are compared as raw
# 1e-9 ints, never floats, and every reason quotes the numbers in their exact decimal text.


def _amount_text(raw: int, currency: str) -> str:
    # Money's str rounds to cents; Price's str is the exact (possibly signed) decimal text
    return f"{Price(raw)} {currency}"


def _signed_qty_text(raw: int) -> str:
    # Qty refuses negative values, and a position may be short
    return f"-{Qty(-raw)}" if raw < 0 else str(Qty(raw))


@final
class MaxOrderQty(RiskRule):
    """Deny an order for more than ``max_qty`` (of ``instrument_id``, or of any instrument)."""

    def __init__(self, max_qty: Qty, instrument_id: str = "") -> None:
        self.name = "max_order_qty"
        self.max_qty: Final = max_qty
        self.instrument_id: Final = instrument_id

    def check(self, cmd: SubmitOrder, portfolio: Portfolio) -> Denial | None:
        if self.instrument_id and cmd.instrument_id != self.instrument_id:
            return None
        if cmd.qty.raw <= self.max_qty.raw:
            return None
        return Denial(
            self.name,
            f"order quantity {cmd.qty} of {cmd.instrument_id} is over the maximum {self.max_qty}",
        )


@final
class MaxOrderNotional(RiskRule):
    """Deny an order whose notional (quantity x price x multiplier) is over ``max_notional``.

    The price is the limit price, else the trigger price, else the instrument's last price; an
    order with none of these is denied. A rule sees the command and the portfolio, not the
    instrument, so contract multipliers other than 1 are passed in ``multipliers`` by id.
    """

    def __init__(self, max_notional: Money, multipliers: dict[str, int] | None = None) -> None:
        self.name = "max_order_notional"
        self.max_notional: Final = max_notional
        self.multipliers: Final[dict[str, int]] = (
            dict(multipliers) if multipliers is not None else {}
        )

    def check(self, cmd: SubmitOrder, portfolio: Portfolio) -> Denial | None:
        if cmd.price is not None:
            px_raw: int | None = cmd.price.raw
            source = "limit price"
        elif cmd.trigger_price is not None:
            px_raw = cmd.trigger_price.raw
            source = "trigger price"
        else:
            px_raw = portfolio.last_price_raw(cmd.instrument_id)
            source = "last price"
        if px_raw is None:
            return Denial(
                self.name,
                f"no price is known for {cmd.instrument_id} to value a {cmd.qty} market order",
            )
        multiplier = self.multipliers.get(cmd.instrument_id, 1)
        notional = notional_raw(px_raw, cmd.qty.raw, multiplier)
        limit = self.max_notional
        if notional <= limit.raw:
            return None
        mult_text = f" x {multiplier}" if multiplier != 1 else ""
        return Denial(
            self.name,
            f"order notional {_amount_text(notional, limit.currency)} "
            f"({cmd.qty} {cmd.instrument_id} at {source} {Price(px_raw)}{mult_text}) "
            f"is over the maximum {_amount_text(limit.raw, limit.currency)}",
        )


@final
class MaxPosition(RiskRule):
    """Deny an order that could take the strategy's position past ``max_qty`` long or short.

    The order counts at its full quantity on top of the filled position. Orders still working
    are not counted: the portfolio the rule sees holds fills, not open orders.
    """

    def __init__(self, max_qty: Qty, instrument_id: str = "") -> None:
        self.name = "max_position"
        self.max_qty: Final = max_qty
        self.instrument_id: Final = instrument_id

    def check(self, cmd: SubmitOrder, portfolio: Portfolio) -> Denial | None:
        if self.instrument_id and cmd.instrument_id != self.instrument_id:
            return None
        current = 0
        account = portfolio.accounts.get(cmd.strategy_id)
        if account is not None:
            pos = account.positions.get(cmd.instrument_id)
            if pos is not None:
                current = pos.signed_qty_raw
        after = current + cmd.side * cmd.qty.raw
        if -self.max_qty.raw <= after <= self.max_qty.raw:
            return None
        verb = "buying" if cmd.side > 0 else "selling"
        return Denial(
            self.name,
            f"{verb} {cmd.qty} {cmd.instrument_id} would take the position from "
            f"{_signed_qty_text(current)} to {_signed_qty_text(after)}, past the maximum "
            f"{self.max_qty} long or short",
        )


@final
class PriceCollar(RiskRule):
    """Deny a limit or trigger price more than ``max_deviation_bps`` from the last price.

    The fat-finger check. Market orders, and orders for an instrument with no last price yet,
    pass: there is no price to check, or nothing to check it against.
    """

    def __init__(self, max_deviation_bps: int) -> None:
        if max_deviation_bps < 0:
            raise ValueError(f"max_deviation_bps must not be negative, got {max_deviation_bps}")
        self.name = "price_collar"
        self.max_deviation_bps: Final = max_deviation_bps

    def check(self, cmd: SubmitOrder, portfolio: Portfolio) -> Denial | None:
        if cmd.price is None and cmd.trigger_price is None:
            return None
        last = portfolio.last_price_raw(cmd.instrument_id)
        if last is None:
            return None
        if cmd.price is not None:
            denial = self._check_one("limit price", cmd.price.raw, last, cmd.instrument_id)
            if denial is not None:
                return denial
        if cmd.trigger_price is not None:
            return self._check_one("trigger price", cmd.trigger_price.raw, last, cmd.instrument_id)
        return None

    def _check_one(self, what: str, px_raw: int, last: int, instrument_id: str) -> Denial | None:
        deviation = abs(px_raw - last)
        # |px - last| / |last| > bps / 10_000, cross-multiplied to stay in exact ints
        if deviation * 10_000 <= self.max_deviation_bps * abs(last):
            return None
        return Denial(
            self.name,
            f"{what} {Price(px_raw)} is {Price(deviation)} from the last price {Price(last)} "
            f"of {instrument_id}, more than {self.max_deviation_bps} bps",
        )


@final
class OrderRateLimit(RiskRule):
    """Deny a strategy's order when it already sent ``max_orders`` within ``per_ns`` before it.

    A sliding window on ``ts_init``: an order at ``t`` counts the approved orders with
    ``t - per_ns < ts_init <= t``. Orders this rule denies do not count; orders a later rule
    denies do (this rule has approved them), so list it last to count only orders that pass.
    """

    def __init__(self, max_orders: int, per_ns: int) -> None:
        if max_orders < 1:
            raise ValueError(f"max_orders must be at least 1, got {max_orders}")
        if per_ns <= 0:
            raise ValueError(f"per_ns must be positive, got {per_ns}")
        self.name = "order_rate"
        self.max_orders: Final = max_orders
        self.per_ns: Final = per_ns
        self._sent: Final[dict[str, deque[int]]] = {}

    def check(self, cmd: SubmitOrder, portfolio: Portfolio) -> Denial | None:
        sent = self._sent.get(cmd.strategy_id)
        if sent is None:
            sent = deque()
            self._sent[cmd.strategy_id] = sent
        now = cmd.ts_init
        while sent and sent[0] <= now - self.per_ns:
            sent.popleft()
        if len(sent) >= self.max_orders:
            return Denial(
                self.name,
                f"strategy {cmd.strategy_id} already sent {len(sent)} orders in the last "
                f"{self.per_ns} ns (maximum {self.max_orders})",
            )
        sent.append(now)
        return None
