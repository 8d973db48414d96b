"""The built-in order checks of the risk step (see ``core.risk`` for the step itself).

Each rule is deterministic and integer-exact: prices, quantities and money are compared as raw
1e-9 ints, never floats, and every reason quotes the numbers in their exact decimal text.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Final, final

from core.commands import SubmitOrder
from core.enums import OrderSide
from core.risk import Adjustment, Denial, RiskRule, RiskView, amount_text, format_qty
from core.values import Money, Price, Qty, notional_raw


@final
class MaxOrderQty(RiskRule):
    """Deny an order for more than ``max_qty`` (of ``instrument_id``, or of any instrument)."""

    def __init__(self, max_qty: Qty, instrument_id: str = "") -> None:
        self.name = "max_order_qty"
        self.max_qty: Final = max_qty
        self.instrument_id: Final = instrument_id

    def check(self, cmd: SubmitOrder, view: RiskView) -> Denial | Adjustment | None:
        if self.instrument_id and cmd.instrument_id != self.instrument_id:
            return None
        if cmd.qty.raw <= self.max_qty.raw:
            return None
        return Denial(
            self.name,
            f"order quantity {cmd.qty} of {cmd.instrument_id} is over the maximum {self.max_qty}",
        )

    def describe(self) -> str:
        where = f" of {self.instrument_id}" if self.instrument_id else ""
        return f"at most {self.max_qty}{where} per order"


@final
class MaxOrderNotional(RiskRule):
    """Deny an order whose notional (quantity x price x multiplier) is over ``max_notional``.

    The price is the limit price, else the trigger price, else the instrument's last price; an
    order with none of these is denied.
    """

    def __init__(self, max_notional: Money) -> None:
        self.name = "max_order_notional"
        self.max_notional: Final = max_notional

    def check(self, cmd: SubmitOrder, view: RiskView) -> Denial | Adjustment | None:
        px_raw, source = view.order_price_raw(cmd)
        if px_raw is None:
            return Denial(
                self.name,
                f"no price is known for {cmd.instrument_id} to value a {cmd.qty} market order",
            )
        multiplier = view.multiplier(cmd.instrument_id)
        notional = notional_raw(px_raw, cmd.qty.raw, multiplier)
        limit = self.max_notional
        if notional <= limit.raw:
            return None
        mult_text = f" x {multiplier}" if multiplier != 1 else ""
        return Denial(
            self.name,
            f"order notional {amount_text(notional, limit.currency)} "
            f"({cmd.qty} {cmd.instrument_id} at {source} {Price(px_raw)}{mult_text}) "
            f"is over the maximum {amount_text(limit.raw, limit.currency)}",
        )

    def describe(self) -> str:
        return f"at most {amount_text(self.max_notional.raw, self.max_notional.currency)} per order"


@final
class MaxPosition(RiskRule):
    """Deny an order that could take the strategy's position past ``max_qty`` long or short.

    Worst case, counting working orders: a buy is checked as if it and every working buy filled
    (position + working buys + order), a sell likewise on the short side.
    """

    def __init__(self, max_qty: Qty, instrument_id: str = "") -> None:
        self.name = "max_position"
        self.max_qty: Final = max_qty
        self.instrument_id: Final = instrument_id

    def check(self, cmd: SubmitOrder, view: RiskView) -> Denial | Adjustment | None:
        if self.instrument_id and cmd.instrument_id != self.instrument_id:
            return None
        current = view.position_raw(cmd.strategy_id, cmd.instrument_id)
        buys, sells = view.working_raw(cmd.strategy_id, cmd.instrument_id)
        if cmd.side > 0:
            working = buys
            after = current + buys + cmd.qty.raw
        else:
            working = sells
            after = current - sells - cmd.qty.raw
        if -self.max_qty.raw <= after <= self.max_qty.raw:
            return None
        verb = "buying" if cmd.side > 0 else "selling"
        also = f" with {Qty(working)} more working" if working else ""
        return Denial(
            self.name,
            f"{verb} {cmd.qty} {cmd.instrument_id}{also} would take the position from "
            f"{format_qty(current)} to {format_qty(after)}, past the maximum "
            f"{self.max_qty} long or short",
        )

    def describe(self) -> str:
        where = f" of {self.instrument_id}" if self.instrument_id else " per instrument"
        return f"position at most {self.max_qty}{where} long or short"


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

    def check(self, cmd: SubmitOrder, view: RiskView) -> Denial | Adjustment | None:
        if cmd.price is None and cmd.trigger_price is None:
            return None
        last = view.portfolio.last_price_raw(cmd.instrument_id)
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

    def describe(self) -> str:
        return f"limit and trigger prices within {self.max_deviation_bps} bps of the last price"


@final
class OrderRateLimit(RiskRule):
    """Deny a strategy's order when it already sent ``max_orders`` within ``per_ns`` before it.

    A sliding window on ``ts_init``: an order at ``t`` counts the orders that went out (passed
    every rule) with ``t - per_ns < ts_init <= t``. Modifies count: they are messages too.
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

    def _window(self, strategy_id: str, now: int) -> deque[int]:
        sent = self._sent.get(strategy_id)
        if sent is None:
            sent = deque()
            self._sent[strategy_id] = sent
        while sent and sent[0] <= now - self.per_ns:
            sent.popleft()
        return sent

    def check(self, cmd: SubmitOrder, view: RiskView) -> Denial | Adjustment | None:
        sent = self._window(cmd.strategy_id, cmd.ts_init)
        if len(sent) >= self.max_orders:
            return Denial(
                self.name,
                f"strategy {cmd.strategy_id} already sent {len(sent)} orders in the last "
                f"{self.per_ns} ns (maximum {self.max_orders})",
            )
        return None

    def approved(self, cmd: SubmitOrder) -> None:
        self._window(cmd.strategy_id, cmd.ts_init).append(cmd.ts_init)

    def describe(self) -> str:
        return f"at most {self.max_orders} orders per {self.per_ns / 1e9:g} s per strategy"


@final
class DuplicateGuard(RiskRule):
    """Deny an order whose deduplication key the strategy already used.

    Only orders that carry a key (``SubmitOrder.dedup_key``: the same trading intent gives the
    same key, after a restart too) are checked. Keys are remembered when an order goes out;
    ``sent_before(strategy_id, key)`` looks further back (the journal, across runs). The
    journal's UNIQUE(strategy, dedup key) constraint is the last line behind this rule.
    """

    def __init__(self, sent_before: Callable[[str, str], bool] | None = None) -> None:
        self.name = "duplicate_guard"
        self.sent_before = sent_before
        self._keys: Final[set[tuple[str, str]]] = set()

    def check(self, cmd: SubmitOrder, view: RiskView) -> Denial | Adjustment | None:
        key = cmd.dedup_key
        if not key or view.replacing:
            return None
        lookup = self.sent_before
        if (cmd.strategy_id, key) in self._keys or (
            lookup is not None and lookup(cmd.strategy_id, key)
        ):
            return Denial(
                self.name,
                f"strategy {cmd.strategy_id} already sent an order with deduplication key {key!r}",
            )
        return None

    def approved(self, cmd: SubmitOrder) -> None:
        if cmd.dedup_key:
            self._keys.add((cmd.strategy_id, cmd.dedup_key))

    def describe(self) -> str:
        return "one order per deduplication key"


@final
class CapitalAllocation(RiskRule):
    """A strategy cannot commit more than its allocation (its account's ``allocation_raw``,
    changeable while running).

    Committed capital, per instrument, is the worse of the two sides if every working order
    filled: long ``max(position + working buys, 0)`` x price x multiplier (cash), or short
    ``max(-(position - working sells), 0)`` x price x multiplier x the short margin
    (``short_margin_bps`` of the notional, per strategy or ``default_short_margin_bps``). The
    price is the last price (the order's own price when the instrument has none yet). An order
    that does not raise the commitment always passes, so reducing is never blocked.
    """

    def __init__(
        self, default_short_margin_bps: int = 10_000, short_margin_bps: dict[str, int] | None = None
    ) -> None:
        if default_short_margin_bps < 0:
            raise ValueError("short margin must not be negative")
        self.name = "capital_allocation"
        self.default_short_margin_bps = default_short_margin_bps
        self.short_margin_bps: dict[str, int] = (
            dict(short_margin_bps) if short_margin_bps is not None else {}
        )

    def margin_bps(self, strategy_id: str) -> int:
        return self.short_margin_bps.get(strategy_id, self.default_short_margin_bps)

    def check(self, cmd: SubmitOrder, view: RiskView) -> Denial | Adjustment | None:
        account = view.portfolio.accounts.get(cmd.strategy_id)
        if account is None:
            return None
        px_raw = view.portfolio.last_price_raw(cmd.instrument_id)
        if px_raw is None:
            px_raw, _ = view.order_price_raw(cmd)
            if px_raw is None:
                return Denial(
                    self.name,
                    f"no price is known for {cmd.instrument_id} to value a {cmd.qty} order",
                )
        margin = self.margin_bps(cmd.strategy_id)
        sid = cmd.strategy_id
        before = 0
        for iid in _instruments_of(view, sid):
            if iid != cmd.instrument_id:
                before += self._committed(view, sid, iid, 0, margin, None)
        here_before = self._committed(view, sid, cmd.instrument_id, 0, margin, px_raw)
        signed = cmd.qty.raw if cmd.side > 0 else -cmd.qty.raw
        here_after = self._committed(view, sid, cmd.instrument_id, signed, margin, px_raw)
        after = before + here_after
        if here_after <= here_before or after <= account.allocation_raw:
            return None
        cur = account.currency
        return Denial(
            self.name,
            f"{OrderSide.name(cmd.side).lower()} {cmd.qty} {cmd.instrument_id} would commit "
            f"{amount_text(after, cur)} (now {amount_text(before + here_before, cur)}), over "
            f"the allocation of {amount_text(account.allocation_raw, cur)} "
            f"(short margin {margin / 100:g}%)",
        )

    def _committed(
        self,
        view: RiskView,
        strategy_id: str,
        instrument_id: str,
        extra_raw: int,
        margin_bps: int,
        px_raw: int | None,
    ) -> int:
        if px_raw is None:
            px_raw = view.portfolio.last_price_raw(instrument_id)
            if px_raw is None:
                return 0
        pos = view.position_raw(strategy_id, instrument_id)
        buys, sells = view.working_raw(strategy_id, instrument_id)
        if extra_raw > 0:
            buys += extra_raw
        else:
            sells -= extra_raw
        long_qty = pos + buys
        short_qty = sells - pos
        multiplier = view.multiplier(instrument_id)
        long_value = notional_raw(px_raw, long_qty, multiplier) if long_qty > 0 else 0
        short_value = 0
        if short_qty > 0:
            short_value = notional_raw(px_raw, short_qty, multiplier) * margin_bps // 10_000
        return long_value if long_value > short_value else short_value

    def describe(self) -> str:
        return (
            f"commit at most the allocation (short margin {self.default_short_margin_bps / 100:g}%)"
        )


def _instruments_of(view: RiskView, strategy_id: str) -> list[str]:
    """The instruments a strategy holds or has working orders in."""
    seen: list[str] = []
    account = view.portfolio.accounts.get(strategy_id)
    if account is not None:
        for pos in account.open:
            seen.append(pos.instrument_id)
    for order in view.open_orders.values():
        if order.strategy_id == strategy_id and order.instrument_id not in seen:
            seen.append(order.instrument_id)
    return seen
