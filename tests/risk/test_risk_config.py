"""The risk file, its errors, the journal's record of risk changes, and a backtest in which a
drawdown breaker trips."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from risk_harness import BUY, Desk

from core.data import generate_bars
from core.enums import OrderSide, TradingState
from core.events import BreakerTripped, Event, OrderDenied, OrderEvent
from core.instruments import equity
from core.journal import JournalReader, SqliteJournal
from core.market import Bar
from core.riskconfig import RiskConfigError, apply_risk_config, load_risk_config
from core.riskrules import (
    CapitalAllocation,
    DuplicateGuard,
    MaxOrderQty,
    OrderRateLimit,
    PriceCollar,
)
from core.session import TradingSession
from core.strategy import Strategy
from core.values import Money, Qty
from venues.simulated import FillConfig, SimulatedVenue

GOOD = """
[kill_switch]
flatten = true

[[rules]]
type = "max_order_qty"
max_qty = "500"

[[rules]]
type = "price_collar"
max_deviation_pct = "2.5"

[[rules]]
type = "order_rate"
max_orders = 5
per_seconds = "0.5"

[[rules]]
type = "duplicate_guard"

[[rules]]
type = "capital_allocation"
short_margin_pct = "50"

[[breakers]]
name = "all-total"
max_drawdown_pct = "10"
action = "halt"

[[breakers]]
name = "a-day"
strategy = "A"
intraday = true
max_drawdown = "2000"
action = "reduce"

[allocations]
A = "50000"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "risk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_risk_file_configures_rules_in_order_breakers_allocations_and_policy(
    tmp_path: Path,
) -> None:
    desk = Desk({"A": "100000", "B": "100000"})
    apply_risk_config(desk.kernel, load_risk_config(write(tmp_path, GOOD)), "ops", "morning")
    rules = desk.kernel.risk.rules
    assert [type(r) for r in rules] == [
        MaxOrderQty,
        PriceCollar,
        OrderRateLimit,
        DuplicateGuard,
        CapitalAllocation,
    ]
    assert isinstance(rules[1], PriceCollar) and rules[1].max_deviation_bps == 250
    assert isinstance(rules[2], OrderRateLimit) and rules[2].per_ns == 500_000_000
    assert [(b.name, b.scope, b.intraday) for b in desk.control.breakers] == [
        ("all-total", "", False),
        ("a-day", "A", True),
    ]
    assert desk.kernel.record("A").account.allocation_raw == Money.parse("50000", "USD").raw
    assert desk.control.flatten_on_kill
    changes = [e.describe() for e in desk.events if type(e).__name__ == "RiskConfigChanged"]
    assert changes[0] == "rule max_order_qty: none -> at most 500 per order (ops: morning)"
    assert "allocation for A: 100000 USD -> 50000 USD (ops: morning)" in changes
    assert changes[-1] == "kill switch policy: leave positions -> flatten (ops: morning)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rules]]\ntype = 'max_qty'\n", "unknown rule type 'max_qty'"),
        ("[[rules]]\ntype = 'max_order_qty'\nmax_qty = 0.1\n", "floats are not exact"),
        ("[[rules]]\ntype = 'max_order_qty'\n", "missing max_qty"),
        (
            "[[rules]]\ntype = 'max_order_qty'\nmax_qty = '5'\nlimit = 3\n",
            "unknown setting(s) limit",
        ),
        ("[[rules]]\ntype = 'max_order_qty'\nmax_qty = '-5'\n", "must be positive"),
        ("[[breakers]]\nname = 'x'\naction = 'halt'\n", "exactly one of max_drawdown_pct"),
        ("[[breakers]]\nname = 'x'\nmax_drawdown = '5'\naction = 'sell'\n", "halt or reduce"),
        ("[allocations]\nA = 'lots'\n", "'lots' is not a number"),
        ("[risk]\n", "unknown section(s) risk"),
        ("rules = [", "is not valid TOML"),
    ],
)
def test_bad_risk_files_get_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(RiskConfigError, match=None) as caught:
        load_risk_config(write(tmp_path, text))
    assert message in str(caught.value) and "risk.toml" in str(caught.value)


def test_a_risk_file_naming_an_unknown_strategy_is_refused(tmp_path: Path) -> None:
    desk = Desk({"A": "100000"})
    config = load_risk_config(write(tmp_path, "[allocations]\nZ = '5'\n"))
    with pytest.raises(RiskConfigError, match="allocation for strategy 'Z', which is not loaded"):
        apply_risk_config(desk.kernel, config)


def test_the_journal_records_decisions_states_kill_switch_and_who_reset_it(
    tmp_path: Path,
) -> None:
    journal_file = tmp_path / "journal.sqlite"
    desk = Desk({"A": "100000"}, rules=[MaxOrderQty(Qty.of(5))])
    journal = SqliteJournal(journal_file)
    run_id = journal.begin_run("paper", kernel=desk.kernel)
    desk.bar("100")
    desk["A"].market(BUY, 9)
    desk.control.set_allocation("A", Money.parse("90000", "USD"), "pm", "smaller book")
    desk.control.kill("carol", "runaway")
    desk.control.reset_kill("dave", "checked with the broker")
    journal.end_run()
    journal.close()
    with sqlite3.connect(journal_file) as conn:
        decisions = conn.execute(
            "SELECT action, decision, rule FROM risk_decisions WHERE run_id = ?", (run_id,)
        ).fetchall()
        events = conn.execute(
            "SELECT kind, scope, who, reason, summary FROM risk_events WHERE run_id = ? "
            "ORDER BY id",
            (run_id,),
        ).fetchall()
    assert decisions == [("submit", "denied", "max_order_qty")]
    assert events == [
        (
            "config",
            "A",
            "pm",
            "smaller book",
            "allocation for A: 100000 USD -> 90000 USD (pm: smaller book)",
        ),
        ("state", "", "carol", "runaway", "global trading state ACTIVE -> HALTED (carol: runaway)"),
        (
            "kill_switch",
            "",
            "carol",
            "runaway",
            "KILL SWITCH tripped by carol: runaway (0 orders canceled)",
        ),
        (
            "state",
            "",
            "dave",
            "checked with the broker",
            "global trading state HALTED -> ACTIVE (dave: checked with the broker)",
        ),
        (
            "kill_switch",
            "",
            "dave",
            "checked with the broker",
            "kill switch reset by dave: checked with the broker",
        ),
    ]


class AllIn(Strategy):
    """Buys as much as it can on the first bar and tries to add 1 share on every later bar."""

    def __init__(self) -> None:
        super().__init__(strategy_id="ALLIN", instrument_ids=["SYN.SIM"])
        self.denied: list[OrderDenied] = []
        self.risk: list[Event] = []
        self.bars = 0

    def on_bar(self, bar: Bar) -> None:
        self.bars += 1
        qty = 900 if self.bars == 1 else 1
        self.ctx.submit_order(bar.instrument_id, OrderSide.BUY, Qty.of(qty))

    def on_order_event(self, event: OrderEvent) -> None:
        if isinstance(event, OrderDenied):
            self.denied.append(event)

    def on_risk_event(self, event: Event) -> None:
        self.risk.append(event)


def test_a_backtest_in_which_a_drawdown_breaker_trips(tmp_path: Path) -> None:
    inst = equity("SYN")
    venue = SimulatedVenue("SIM", instruments=[inst], fill=FillConfig(participation=None))
    session = TradingSession(instruments=[inst], venues=[venue])
    strategy = AllIn()
    session.add_strategy(strategy, Money.parse("100000", "USD"))
    config = write(
        tmp_path,
        "[[breakers]]\nname = 'dd5'\nstrategy = 'ALLIN'\nmax_drawdown_pct = '5'\naction = 'halt'\n",
    )
    apply_risk_config(session.kernel, load_risk_config(config))
    journal_file = tmp_path / "journal.sqlite"
    journal = SqliteJournal(journal_file)
    run_id = journal.begin_run("backtest", kernel=session.kernel)
    # daily bars at 80 % annual volatility: a 5 % drawdown comes within weeks
    bars = generate_bars(
        500, seed=11, instrument_id=inst.id, period_ns=86_400_000_000_000, annual_vol=0.8
    )
    result = session.run_backtest([bars])
    journal.end_run(result)
    journal.close()

    trips = [e for e in strategy.risk if isinstance(e, BreakerTripped)]
    assert len(trips) == 1 and trips[0].tripped
    trip = trips[0]
    assert trip.drawdown_raw * 10_000 > 500 * trip.peak_raw  # more than 5 % below the peak
    assert session.kernel.control.state_of("ALLIN") == TradingState.HALTED
    # after the trip every order was denied by the trading state, and none went out
    after = [d for d in strategy.denied if d.ts_event >= trip.ts_event]
    assert after and all(d.rule == "trading_state" for d in after)
    assert all(
        o.ts_init < trip.ts_event or o.status_name() == "DENIED" for o in session.kernel.orders
    )
    with JournalReader(journal_file) as reader:
        assert reader.run(run_id).finished
    with sqlite3.connect(journal_file) as conn:
        (details,) = conn.execute(
            "SELECT details_json FROM risk_events WHERE run_id = ? AND kind = 'breaker'", (run_id,)
        ).fetchone()
    assert f'"drawdown_raw":{trip.drawdown_raw}' in details.replace(" ", "")
