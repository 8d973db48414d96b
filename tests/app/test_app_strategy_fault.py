"""A strategy that raises is halted and reported; its neighbour does not notice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.data import generate_bars
from core.enums import StrategyStatus
from core.events import Event, OrderCanceled, StrategyFaulted
from core.instruments import Instrument
from core.reports import round_trips_to_rows
from strategies.sma_cross import SmaCross, SmaCrossConfig

DAY_NS = 86_400_000_000_000
FAULT_AT = 120


def _run(
    make_session: Callable[..., Any],
    instrument: Instrument,
    usd: Callable[[str], Any],
    faulty: Any | None,
) -> tuple[Any, Any, list[Event]]:
    session, _ = make_session([instrument])
    events: list[Event] = []
    session.kernel.add_listener(events.append)
    healthy = SmaCross(SmaCrossConfig(instrument_id=instrument.id, fast=5, slow=20, qty=100))
    session.add_strategy(healthy, usd("100000"))
    if faulty is not None:
        session.add_strategy(faulty, usd("50000"))
    bars = generate_bars(600, seed=5, instrument_id=instrument.id, period_ns=DAY_NS)
    result = session.run_backtest([bars], per_strategy=True)
    return session, result, events


@pytest.fixture
def both_runs(
    make_session: Callable[..., Any],
    syn_instrument: Instrument,
    usd: Callable[[str], Any],
    faulty_trader: type[Any],
) -> dict[str, Any]:
    faulty = faulty_trader(syn_instrument.id, after=FAULT_AT)
    session, result, events = _run(make_session, syn_instrument, usd, faulty)
    alone_session, alone, _ = _run(make_session, syn_instrument, usd, None)
    return {
        "session": session,
        "result": result,
        "events": events,
        "faulty": faulty,
        "alone": alone,
        "alone_session": alone_session,
    }


def test_faulty_strategy_is_halted_with_its_traceback(both_runs: dict[str, Any]) -> None:
    session, faulty, events = both_runs["session"], both_runs["faulty"], both_runs["events"]
    record = session.kernel.record("faulty")
    assert record.status == StrategyStatus.FAULTED
    assert record.status_name == "FAULTED"
    faults = [e for e in events if isinstance(e, StrategyFaulted)]
    assert len(faults) == 1
    fault = faults[0]
    assert record.fault is fault
    assert fault.strategy_id == "faulty"
    assert fault.error == f"ZeroDivisionError: faulty divided by zero at bar {FAULT_AT}"
    assert fault.ts_event == faulty.at_fault["ts"]
    tb = fault.traceback
    assert tb.startswith("Traceback (most recent call last):")
    assert "in explode" in tb and "in on_bar" in tb
    assert tb.rstrip().endswith(f"ZeroDivisionError: faulty divided by zero at bar {FAULT_AT}")
    # halted: it saw no bar after the fault
    assert faulty.count == FAULT_AT
    assert session.kernel.record("sma_cross").status == StrategyStatus.RUNNING


def test_faulty_strategy_orders_canceled_positions_and_cash_kept(
    both_runs: dict[str, Any], syn_instrument: Instrument
) -> None:
    session, faulty, events = both_runs["session"], both_runs["faulty"], both_runs["events"]
    at_fault = faulty.at_fault
    assert at_fault["working"] == [faulty.resting_id]  # a working limit order at the fault
    order = session.kernel.order(faulty.resting_id)
    assert order is not None and order.status_name() == "CANCELED"
    assert session.kernel.open_orders_of("faulty", "") == []
    canceled = [e for e in events if isinstance(e, OrderCanceled)]
    assert [e.client_order_id for e in canceled] == [faulty.resting_id]
    fault_index = next(i for i, e in enumerate(events) if isinstance(e, StrategyFaulted))
    assert events.index(canceled[0]) > fault_index
    # nothing of what it owned changed: position, cost, realized PnL, cash
    account = session.kernel.portfolio.accounts["faulty"]
    position = account.positions[syn_instrument.id]
    assert position.signed_qty_raw == at_fault["qty"] == syn_instrument.make_qty(50).raw
    assert position.cost_raw == at_fault["cost"]
    assert position.realized_raw == at_fault["realized"]
    assert account.cash_raw == at_fault["cash"]
    # the one fill it had (bar 3's buy) and nothing after
    assert [o.status_name() for o in session.kernel.orders if o.strategy_id == "faulty"] == [
        "FILLED",
        "CANCELED",
    ]
    # and its position is still marked to market: its equity curve goes on moving
    curve = both_runs["result"].per_strategy["faulty"]
    assert curve.final_equity.raw != at_fault["cash"]


def test_healthy_neighbour_is_unaffected(both_runs: dict[str, Any]) -> None:
    result, alone = both_runs["result"], both_runs["alone"]
    mine = [t for t in result.round_trips if t.strategy_id == "sma_cross"]
    assert len(mine) == len(alone.round_trips) > 5
    assert round_trips_to_rows(mine) == round_trips_to_rows(alone.round_trips)
    assert result.per_strategy["sma_cross"].to_dict() == alone.per_strategy["sma_cross"].to_dict()
    healthy = both_runs["session"].kernel.portfolio.accounts["sma_cross"]
    solo = both_runs["alone_session"].kernel.portfolio.accounts["sma_cross"]
    assert (healthy.cash_raw, healthy.fees_raw, healthy.realized_raw) == (
        solo.cash_raw,
        solo.fees_raw,
        solo.realized_raw,
    )


def test_fault_in_on_start_halts_before_any_order(
    make_session: Callable[..., Any], syn_instrument: Instrument, usd: Callable[[str], Any]
) -> None:
    """SmaCross refuses a quantity below the lot in on_start: halted, never trades."""
    session, _ = make_session([syn_instrument])
    config = SmaCrossConfig(instrument_id=syn_instrument.id, fast=2, slow=4, qty="0.5")
    session.add_strategy(SmaCross(config, "tiny"), usd("1000"))
    bars = generate_bars(50, seed=1, instrument_id=syn_instrument.id, period_ns=DAY_NS)
    result = session.run_backtest([bars])
    record = session.kernel.record("tiny")
    assert record.status_name == "FAULTED"
    assert record.fault is not None
    assert record.fault.error.startswith("ValueError: qty 0.5 is below the minimum order size")
    assert (result.orders, result.fills, result.round_trips) == (0, 0, [])
    assert session.kernel.portfolio.accounts["tiny"].cash_raw == usd("1000").raw
