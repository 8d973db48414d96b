"""Runtime risk controls: the kill switch, trading states, drawdown breakers, allocations and
rule settings. One per kernel (``kernel.control``); the GUI's risk panel and the risk config
file (``core.riskconfig``) both work through it, and every change is an event (journaled).

Effective trading states are derived, never stored by hand: a strategy's state is the
strictest of the global state and its own; the global state is the strictest of what a person
set, the kill switch (HALTED) and the tripped global breakers; a strategy's own state is the
strictest of what a person set and its tripped breakers. When a state tightens, the orders it
no longer allows are canceled at once: HALTED cancels every working order of the scope,
REDUCING cancels the working orders that would grow a position.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, final

from core.commands import CancelOrder, SubmitOrder
from core.enums import OrderSide, OrderType, TimeInForce, TradingState
from core.events import (
    BreakerTripped,
    Event,
    KillSwitchChanged,
    RiskConfigChanged,
    TradingStateChanged,
)
from core.orders import Order
from core.risk import DrawdownBreaker, RiskRule, amount_text
from core.values import Money, Qty

if TYPE_CHECKING:
    from core.kernel import Kernel
    from core.records import StrategyRecord

ACTIVE: Final = TradingState.ACTIVE
REDUCING: Final = TradingState.REDUCING
HALTED: Final = TradingState.HALTED


class RiskControlError(ValueError):
    """A control request that cannot be carried out (the message says why)."""


def _need_text(who: str, reason: str, what: str) -> None:
    if not who.strip():
        raise RiskControlError(f"{what}: say who is doing it")
    if not reason.strip():
        raise RiskControlError(f"{what}: give a reason (it is journaled)")


@final
class RiskControl:
    """See the module docstring. ``flatten_on_kill``: the kill switch's policy (leave positions
    as they are, or close them with market orders)."""

    def __init__(self, kernel: Kernel) -> None:
        self._kernel: Final = kernel
        self.killed = False
        self.kill_reason = ""
        self.flatten_on_kill = False
        self._manual_global = ACTIVE
        self._manual: dict[str, int] = {}
        self._own: dict[str, int] = {}  # each strategy's own state (manual + its breakers)
        self.breakers: list[DrawdownBreaker] = []
        self._global: list[DrawdownBreaker] = []

    # queries ----------------------------------------------------------------------------------
    def state_of(self, strategy_id: str) -> int:
        """The effective state of a strategy ("" for the global state)."""
        risk = self._kernel.risk
        return risk.global_state if not strategy_id else risk.state_of(strategy_id)

    def state_name(self, strategy_id: str) -> str:
        return TradingState.NAMES[self.state_of(strategy_id)]

    def breaker(self, name: str) -> DrawdownBreaker:
        for breaker in self.breakers:
            if breaker.name == name:
                return breaker
        raise RiskControlError(f"no breaker named {name!r}")

    # the kill switch --------------------------------------------------------------------------
    def kill(self, who: str, reason: str, flatten: bool | None = None) -> KillSwitchChanged:
        """Halt every strategy, cancel every working order and (by policy, or ``flatten``)
        close every position with market orders. Stays tripped until :meth:`reset_kill`."""
        _need_text(who, reason, "kill switch")
        kernel = self._kernel
        if self.killed:
            raise RiskControlError(f"the kill switch is already tripped ({self.kill_reason})")
        do_flatten = self.flatten_on_kill if flatten is None else flatten
        self.killed = True
        self.kill_reason = f"{who}: {reason}"
        canceled = self._recompute(who, reason)
        # any order still working (e.g. a cancel already pending) gets no second request
        flatten_orders = self._flatten_all() if do_flatten else 0
        event = KillSwitchChanged(
            ts_event=kernel.clock.now_ns(),
            tripped=True,
            who=who,
            reason=reason,
            flatten=do_flatten,
            canceled=canceled,
            flatten_orders=flatten_orders,
        )
        kernel.emit(event)
        return event

    def reset_kill(self, who: str, reason: str) -> KillSwitchChanged:
        _need_text(who, reason, "kill switch reset")
        if not self.killed:
            raise RiskControlError("the kill switch is not tripped")
        self.killed = False
        self.kill_reason = ""
        self._recompute(who, reason)
        event = KillSwitchChanged(
            ts_event=self._kernel.clock.now_ns(),
            tripped=False,
            who=who,
            reason=reason,
            flatten=False,
            canceled=0,
            flatten_orders=0,
        )
        self._kernel.emit(event)
        return event

    # trading states ---------------------------------------------------------------------------
    def set_state(self, strategy_id: str, state: int, who: str, reason: str) -> None:
        """Set the global state (``strategy_id`` "") or a strategy's own state by hand."""
        _need_text(who, reason, "trading state change")
        if state not in TradingState.NAMES:
            raise RiskControlError(f"unknown trading state {state}")
        if strategy_id:
            self._kernel.record(strategy_id)  # raises for an unknown strategy
            self._manual[strategy_id] = state
        else:
            self._manual_global = state
        self._recompute(who, reason)

    # breakers ---------------------------------------------------------------------------------
    def set_breaker(self, breaker: DrawdownBreaker, who: str, reason: str) -> None:
        """Add a breaker, or replace the one with the same name (which starts afresh)."""
        _need_text(who, reason, "breaker change")
        if breaker.scope:
            self._kernel.record(breaker.scope)
        old = "none"
        for i, existing in enumerate(self.breakers):
            if existing.name == breaker.name:
                old = self._breaker_text(existing)
                del self.breakers[i]
                break
        self.breakers.append(breaker)
        self._rewatch()
        self._config_changed(
            f"breaker {breaker.name}", breaker.scope, old, self._breaker_text(breaker), who, reason
        )
        self._recompute(who, reason)

    def remove_breaker(self, name: str, who: str, reason: str) -> None:
        _need_text(who, reason, "breaker change")
        breaker = self.breaker(name)
        self.breakers.remove(breaker)
        self._rewatch()
        self._config_changed(
            f"breaker {name}", breaker.scope, self._breaker_text(breaker), "none", who, reason
        )
        self._recompute(who, reason)

    def reset_breaker(self, name: str, who: str, reason: str) -> None:
        """Re-arm a tripped breaker by hand (its peak restarts at the current equity)."""
        _need_text(who, reason, "breaker reset")
        breaker = self.breaker(name)
        if not breaker.tripped:
            raise RiskControlError(f"breaker {name} is not tripped")
        breaker.reset()
        self._config_changed(f"breaker {name}", breaker.scope, "tripped", "re-armed", who, reason)
        self._recompute(who, reason)

    def _breaker_text(self, breaker: DrawdownBreaker) -> str:
        kind = "intraday" if breaker.intraday else "total"
        action = "halt" if breaker.action == HALTED else "reduce"
        return f"{kind} drawdown over {breaker.limit_text(self._currency())} -> {action}"

    def _rewatch(self) -> None:
        self._global = [b for b in self.breakers if not b.scope]
        scoped: set[str] = set()
        for record in self._kernel.records:
            record.breakers = [b for b in self.breakers if b.scope == record.strategy_id]
            if record.breakers:
                scoped.add(record.strategy_id)
        self._kernel.set_watched(bool(self._global), scoped)

    def watch(self, records: list[StrategyRecord], ts: int) -> None:
        """Feed the breakers equity after market data moved (the kernel calls this with the
        strategies trading the instrument, when any breaker exists). Runs per event: no
        allocation unless a breaker moved."""
        portfolio = self._kernel.portfolio
        moved: list[DrawdownBreaker] | None = None
        equity = 0
        for record in records:
            scoped = record.breakers
            if scoped:
                equity = portfolio.equity_of(record.account)
                for breaker in scoped:
                    if breaker.update(ts, equity) != 0:
                        if moved is None:
                            moved = []
                        moved.append(breaker)
        global_breakers = self._global
        if global_breakers:
            accounts = portfolio.accounts
            if len(accounts) == 1 and len(records) == 1 and records[0].breakers:
                total = equity  # the one account's equity, computed just above
            else:
                total = 0
                for account in accounts.values():
                    total += portfolio.equity_of(account)
            for breaker in global_breakers:
                if breaker.update(ts, total) != 0:
                    if moved is None:
                        moved = []
                    moved.append(breaker)
        if moved is not None:
            self._breakers_moved(moved, ts)

    def _breakers_moved(self, moved: list[DrawdownBreaker], ts: int) -> None:
        kernel = self._kernel
        currency = self._currency()
        for breaker in moved:
            kernel.emit(
                BreakerTripped(
                    name=breaker.name,
                    scope=breaker.scope,
                    ts_event=ts,
                    tripped=breaker.tripped,
                    intraday=breaker.intraday,
                    action=TradingState.NAMES[breaker.action],
                    peak_raw=breaker.peak_raw,
                    equity_raw=breaker.equity_raw,
                    drawdown_raw=breaker.drawdown_raw(),
                    limit_text=breaker.limit_text(currency),
                    currency=currency,
                )
            )
        names = ", ".join(b.name for b in moved)
        tripped = any(b.tripped for b in moved)
        self._recompute(f"breaker {names}", "drawdown" if tripped else "new trading day")

    # allocations and rules --------------------------------------------------------------------
    def set_allocation(self, strategy_id: str, allocation: Money, who: str, reason: str) -> None:
        """Change a strategy's allocation while running (the difference moves in or out of its
        cash); the capital-allocation rule checks orders against it."""
        _need_text(who, reason, "allocation change")
        if allocation.raw < 0:
            raise RiskControlError(f"an allocation must not be negative, got {allocation}")
        account = self._kernel.record(strategy_id).account
        if allocation.currency != account.currency:
            raise RiskControlError(
                f"allocation for {strategy_id} must be in {account.currency}, "
                f"got {allocation.currency}"
            )
        old = amount_text(account.allocation_raw, account.currency)
        account.set_allocation(allocation)
        new = amount_text(allocation.raw, allocation.currency)
        self._config_changed("allocation", strategy_id, old, new, who, reason)

    def set_rule(self, rule: RiskRule, who: str, reason: str) -> None:
        """Add a rule at the end, or replace the rule with the same name in its place."""
        _need_text(who, reason, "rule change")
        rules = self._kernel.risk.rules
        old = "none"
        for i, existing in enumerate(rules):
            if existing.name == rule.name:
                old = existing.describe()
                rules[i] = rule
                break
        else:
            rules.append(rule)
        self._config_changed(f"rule {rule.name}", "", old, rule.describe(), who, reason)

    def remove_rule(self, name: str, who: str, reason: str) -> None:
        _need_text(who, reason, "rule change")
        rules = self._kernel.risk.rules
        for i, existing in enumerate(rules):
            if existing.name == name:
                del rules[i]
                self._config_changed(f"rule {name}", "", existing.describe(), "none", who, reason)
                return
        raise RiskControlError(f"no rule named {name!r}")

    def set_flatten_on_kill(self, flatten: bool, who: str, reason: str) -> None:
        _need_text(who, reason, "kill switch policy")
        old = "flatten" if self.flatten_on_kill else "leave positions"
        self.flatten_on_kill = flatten
        new = "flatten" if flatten else "leave positions"
        self._config_changed("kill switch policy", "", old, new, who, reason)

    # internals --------------------------------------------------------------------------------
    def _currency(self) -> str:
        return self._kernel.portfolio.base_currency

    def _config_changed(
        self, what: str, scope: str, old: str, new: str, who: str, reason: str
    ) -> None:
        kernel = self._kernel
        kernel.emit(
            RiskConfigChanged(
                ts_event=kernel.clock.now_ns(),
                what=what,
                scope=scope,
                old=old,
                new=new,
                who=who,
                reason=reason,
            )
        )

    def _recompute(self, who: str, reason: str) -> int:
        """Derive every state again; announce and enforce what changed. Returns the number of
        orders canceled."""
        kernel = self._kernel
        risk = kernel.risk
        now = kernel.clock.now_ns()
        new_global = self._manual_global
        if self.killed:
            new_global = HALTED
        for breaker in self.breakers:
            if breaker.tripped and not breaker.scope and breaker.action > new_global:
                new_global = breaker.action
        old_effective = {r.strategy_id: risk.state_of(r.strategy_id) for r in kernel.records}
        old_global = risk.global_state
        if new_global != old_global:
            risk.global_state = new_global
            kernel.emit(self._state_event("", old_global, new_global, now, who, reason))
        for record in kernel.records:
            sid = record.strategy_id
            own = self._manual.get(sid, ACTIVE)
            for breaker in self.breakers:
                if breaker.tripped and breaker.scope == sid and breaker.action > own:
                    own = breaker.action
            old_own = self._own.get(sid, ACTIVE)
            if own != old_own:
                self._own[sid] = own
                risk.states[sid] = own
                kernel.emit(self._state_event(sid, old_own, own, now, who, reason))
        canceled = 0
        for record in kernel.records:
            sid = record.strategy_id
            new = risk.state_of(sid)
            if new > old_effective[sid]:
                canceled += self._enforce(record, new, f"{TradingState.NAMES[new]}: {reason}")
        kernel.drain_now()
        return canceled

    def _state_event(
        self, scope: str, old: int, new: int, now: int, who: str, reason: str
    ) -> TradingStateChanged:
        return TradingStateChanged(
            scope=scope,
            ts_event=now,
            previous=TradingState.NAMES[old],
            state=TradingState.NAMES[new],
            who=who,
            reason=reason,
        )

    def _enforce(self, record: StrategyRecord, state: int, why: str) -> int:
        """Cancel the working orders the new state does not allow."""
        kernel = self._kernel
        count = 0
        for order in kernel.open_orders_of(record.strategy_id, ""):
            if state == REDUCING and self._reduces(record, order):
                continue
            if kernel.cancel(
                CancelOrder(
                    strategy_id=order.strategy_id,
                    client_order_id=order.client_order_id,
                    instrument_id=order.instrument_id,
                    ts_init=kernel.clock.now_ns(),
                )
            ):
                count += 1
        if count:
            kernel.log(record.strategy_id, "WARNING", f"{count} working orders canceled ({why})")
        return count

    @staticmethod
    def _reduces(record: StrategyRecord, order: Order) -> bool:
        pos = record.account.positions.get(order.instrument_id)
        held = 0 if pos is None else pos.signed_qty_raw
        return held != 0 and (held > 0) != (order.side > 0) and order.leaves_qty_raw <= abs(held)

    def _flatten_all(self) -> int:
        kernel = self._kernel
        sent = 0
        for record in kernel.records:
            for pos in list(record.account.open):
                held = pos.signed_qty_raw
                if held == 0:
                    continue
                cmd = SubmitOrder(
                    strategy_id=record.strategy_id,
                    client_order_id=record.next_client_order_id(),
                    instrument_id=pos.instrument_id,
                    side=OrderSide.SELL if held > 0 else OrderSide.BUY,
                    order_type=OrderType.MARKET,
                    qty=Qty(held if held > 0 else -held),
                    time_in_force=TimeInForce.GTC,
                    reduce_only=True,
                    ts_init=kernel.clock.now_ns(),
                )
                kernel.submit_flatten(cmd)
                sent += 1
        return sent


def risk_audience(event: Event) -> str | None:
    """Which strategy a risk event concerns: its id, "" for all, None for other events."""
    if isinstance(event, TradingStateChanged):
        return event.scope
    if isinstance(event, KillSwitchChanged):
        return ""
    if isinstance(event, BreakerTripped):
        return event.scope
    if isinstance(event, RiskConfigChanged):
        return event.scope
    return None
