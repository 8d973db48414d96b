"""The risk step in the submit path: the same in backtest, paper and live."""

from __future__ import annotations

from typing import Final, final

from mypy_extensions import mypyc_attr

from core.commands import SubmitOrder
from core.portfolio import Portfolio


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
