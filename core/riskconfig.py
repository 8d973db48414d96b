"""The risk configuration file (TOML) and the one factory that builds rules and breakers from
settings, shared by the file and the runtime API (the GUI edits settings, not objects).

Example (every section optional; rules run in the order written)::

    [kill_switch]
    flatten = true                     # close positions with market orders when tripped

    [[rules]]
    type = "max_order_qty"
    max_qty = "1000"
    instrument = "SPY.SIM"             # optional: only this instrument

    [[rules]]
    type = "max_order_notional"
    max_notional = "250000"

    [[rules]]
    type = "max_position"
    max_qty = "5000"

    [[rules]]
    type = "price_collar"
    max_deviation_pct = "5"

    [[rules]]
    type = "order_rate"
    max_orders = 20
    per_seconds = 1

    [[rules]]
    type = "duplicate_guard"

    [[rules]]
    type = "capital_allocation"
    short_margin_pct = "50"            # margin committed per unit of short notional

    [[breakers]]
    name = "portfolio-total"
    max_drawdown_pct = "10"            # or max_drawdown = "25000" (account currency)
    action = "halt"                    # or "reduce"

    [[breakers]]
    name = "sma-daily"
    strategy = "sma"                   # omitted: the whole portfolio
    intraday = true
    max_drawdown = "2000"
    action = "reduce"

    [allocations]
    sma = "50000"

Amounts and percentages are decimal strings (or integers), turned into exact integers; a
float such as ``0.1`` is refused, since its binary value is not the decimal a person wrote.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from core.enums import TradingState
from core.kernel import Kernel
from core.risk import DrawdownBreaker, RiskRule
from core.riskrules import (
    CapitalAllocation,
    DuplicateGuard,
    MaxOrderNotional,
    MaxOrderQty,
    MaxPosition,
    OrderRateLimit,
    PriceCollar,
)
from core.values import SCALE, Money, Qty

RULE_TYPES = (
    "max_order_qty",
    "max_order_notional",
    "max_position",
    "price_collar",
    "order_rate",
    "duplicate_guard",
    "capital_allocation",
)


class RiskConfigError(ValueError):
    """A risk setting that cannot be used; the message names the file, the entry and why."""


@dataclass(frozen=True)
class RiskConfig:
    """What a risk file holds: rules in order, breakers, allocations, the kill switch policy."""

    rules: list[Mapping[str, Any]] = field(default_factory=list)
    breakers: list[Mapping[str, Any]] = field(default_factory=list)
    allocations: dict[str, object] = field(default_factory=dict)
    flatten_on_kill: bool = False
    source: str = "settings"


def _decimal(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RiskConfigError(
            f"{where}: write the number as a string or an integer (got {value!r}); floats are "
            f"not exact"
        )
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise RiskConfigError(f"{where}: {value!r} is not a number") from None
    if not number.is_finite():
        raise RiskConfigError(f"{where}: {value!r} is not a finite number")
    return number


def _positive(value: object, where: str) -> Decimal:
    number = _decimal(value, where)
    if number <= 0:
        raise RiskConfigError(f"{where}: must be positive, got {value}")
    return number


def _raw(number: Decimal, where: str) -> int:
    scaled = number * SCALE
    if scaled != scaled.to_integral_value():
        raise RiskConfigError(f"{where}: {number} has more than 9 decimal places")
    return int(scaled)


def _bps(value: object, where: str) -> int:
    """A percentage ("5" = 5 %) as whole basis points."""
    bps = _decimal(value, where) * 100
    if bps < 0 or bps != bps.to_integral_value():
        raise RiskConfigError(f"{where}: {value}% is not a whole number of basis points >= 0")
    return int(bps)


def _known(entry: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        names = ", ".join(sorted(allowed))
        raise RiskConfigError(f"{where}: unknown setting(s) {', '.join(unknown)}; allowed: {names}")


def _required(entry: Mapping[str, Any], key: str, where: str) -> object:
    if key not in entry:
        raise RiskConfigError(f"{where}: missing {key}")
    return entry[key]


def build_rule(settings: Mapping[str, Any], currency: str, where: str = "rule") -> RiskRule:
    """One built-in rule from its settings (``type`` plus that rule's keys)."""
    kind = settings.get("type")
    where = f"{where} ({kind})" if kind else where
    if kind == "max_order_qty":
        _known(settings, {"type", "max_qty", "instrument"}, where)
        qty = _positive(_required(settings, "max_qty", where), f"{where} max_qty")
        return MaxOrderQty(Qty(_raw(qty, where)), str(settings.get("instrument", "")))
    if kind == "max_order_notional":
        _known(settings, {"type", "max_notional"}, where)
        amount = _positive(_required(settings, "max_notional", where), f"{where} max_notional")
        return MaxOrderNotional(Money(_raw(amount, where), currency))
    if kind == "max_position":
        _known(settings, {"type", "max_qty", "instrument"}, where)
        qty = _positive(_required(settings, "max_qty", where), f"{where} max_qty")
        return MaxPosition(Qty(_raw(qty, where)), str(settings.get("instrument", "")))
    if kind == "price_collar":
        _known(settings, {"type", "max_deviation_pct"}, where)
        pct = _required(settings, "max_deviation_pct", where)
        return PriceCollar(_bps(pct, f"{where} max_deviation_pct"))
    if kind == "order_rate":
        _known(settings, {"type", "max_orders", "per_seconds"}, where)
        count = _required(settings, "max_orders", where)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise RiskConfigError(f"{where}: max_orders must be a whole number >= 1")
        seconds = _positive(_required(settings, "per_seconds", where), f"{where} per_seconds")
        per_ns = seconds * 1_000_000_000
        if per_ns != per_ns.to_integral_value():
            raise RiskConfigError(f"{where}: per_seconds {seconds} is finer than a nanosecond")
        return OrderRateLimit(count, int(per_ns))
    if kind == "duplicate_guard":
        _known(settings, {"type"}, where)
        return DuplicateGuard()
    if kind == "capital_allocation":
        _known(settings, {"type", "short_margin_pct"}, where)
        margin = _bps(settings.get("short_margin_pct", "100"), f"{where} short_margin_pct")
        return CapitalAllocation(margin)
    raise RiskConfigError(
        f"{where}: unknown rule type {kind!r}; use one of {', '.join(RULE_TYPES)}"
    )


def build_breaker(
    settings: Mapping[str, Any], currency: str, where: str = "breaker"
) -> DrawdownBreaker:
    """One drawdown breaker from its settings."""
    name = settings.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RiskConfigError(f"{where}: every breaker needs a name")
    where = f"{where} {name}"
    _known(
        settings,
        {
            "name",
            "strategy",
            "intraday",
            "max_drawdown_pct",
            "max_drawdown",
            "action",
            "day_start_hour_utc",
        },
        where,
    )
    has_pct = "max_drawdown_pct" in settings
    if has_pct == ("max_drawdown" in settings):
        raise RiskConfigError(f"{where}: give exactly one of max_drawdown_pct and max_drawdown")
    limit_bps = _bps(settings["max_drawdown_pct"], where) if has_pct else 0
    limit_raw = 0 if has_pct else _raw(_positive(settings["max_drawdown"], where), where)
    if has_pct and limit_bps <= 0:
        raise RiskConfigError(f"{where}: max_drawdown_pct must be positive")
    action_text = str(settings.get("action", "halt")).strip().lower()
    actions = {"halt": TradingState.HALTED, "reduce": TradingState.REDUCING}
    if action_text not in actions:
        raise RiskConfigError(f"{where}: action must be halt or reduce, got {action_text!r}")
    intraday = settings.get("intraday", False)
    if not isinstance(intraday, bool):
        raise RiskConfigError(f"{where}: intraday must be true or false")
    hour = settings.get("day_start_hour_utc", 0)
    if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour < 24:
        raise RiskConfigError(f"{where}: day_start_hour_utc must be a whole hour 0-23")
    return DrawdownBreaker(
        name.strip(),
        str(settings.get("strategy", "")),
        action=actions[action_text],
        limit_bps=limit_bps,
        limit_raw=limit_raw,
        intraday=intraday,
        day_start_ns=hour * 3_600_000_000_000,
    )


def parse_amount(value: object, currency: str, where: str) -> Money:
    number = _decimal(value, where)
    if number < 0:
        raise RiskConfigError(f"{where}: must not be negative, got {value}")
    return Money(_raw(number, where), currency)


def load_risk_config(path: str | os.PathLike[str]) -> RiskConfig:
    """Read and check a risk file (structure only: amounts need the account currency, so
    rules are built by :func:`apply_risk_config`)."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RiskConfigError(f"risk file {file} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RiskConfigError(f"risk file {file} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"kill_switch", "rules", "breakers", "allocations"})
    if unknown:
        raise RiskConfigError(f"risk file {file}: unknown section(s) {', '.join(unknown)}")
    kill = data.get("kill_switch", {})
    if not isinstance(kill, dict):
        raise RiskConfigError(f"risk file {file}: [kill_switch] must be a table")
    _known(kill, {"flatten"}, f"risk file {file} [kill_switch]")
    flatten = kill.get("flatten", False)
    if not isinstance(flatten, bool):
        raise RiskConfigError(f"risk file {file}: kill_switch.flatten must be true or false")
    rules = data.get("rules", [])
    breakers = data.get("breakers", [])
    for name, items in (("rules", rules), ("breakers", breakers)):
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise RiskConfigError(f"risk file {file}: write {name} as [[{name}]] tables")
    allocations = data.get("allocations", {})
    if not isinstance(allocations, dict):
        raise RiskConfigError(f"risk file {file}: [allocations] must be a table")
    config = RiskConfig(
        rules=rules,
        breakers=breakers,
        allocations={str(k): v for k, v in allocations.items()},
        flatten_on_kill=flatten,
        source=str(file),
    )
    check_risk_config(config, "USD")
    return config


def check_risk_config(config: RiskConfig, currency: str) -> None:
    """Build everything once, so a bad entry is reported before anything runs."""
    for i, settings in enumerate(config.rules, 1):
        build_rule(settings, currency, f"{config.source}: rule {i}")
    for i, settings in enumerate(config.breakers, 1):
        build_breaker(settings, currency, f"{config.source}: breaker {i}")
    for sid, value in config.allocations.items():
        parse_amount(value, currency, f"{config.source}: allocation of {sid}")


def apply_risk_config(
    kernel: Kernel, config: RiskConfig, who: str = "config", reason: str = ""
) -> None:
    """Install a configuration on a kernel through its runtime controls (every change is an
    event, so a journal attached to the kernel records it)."""
    why = reason or f"loaded from {config.source}"
    currency = kernel.portfolio.base_currency
    control = kernel.control
    for i, settings in enumerate(config.rules, 1):
        control.set_rule(build_rule(settings, currency, f"{config.source}: rule {i}"), who, why)
    for i, settings in enumerate(config.breakers, 1):
        breaker = build_breaker(settings, currency, f"{config.source}: breaker {i}")
        if breaker.scope:
            try:
                kernel.record(breaker.scope)
            except KeyError:
                raise RiskConfigError(
                    f"{config.source}: breaker {breaker.name} names strategy {breaker.scope!r}, "
                    f"which is not loaded"
                ) from None
        control.set_breaker(breaker, who, why)
    for sid, value in config.allocations.items():
        try:
            kernel.record(sid)
        except KeyError:
            raise RiskConfigError(
                f"{config.source}: allocation for strategy {sid!r}, which is not loaded"
            ) from None
        amount = parse_amount(value, currency, f"{config.source}: allocation of {sid}")
        control.set_allocation(sid, amount, who, why)
    if config.flatten_on_kill != control.flatten_on_kill:
        control.set_flatten_on_kill(config.flatten_on_kill, who, why)
