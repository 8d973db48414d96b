"""The strategy manager's form, user strategy files, the switch to paper, and a strategy that
faults while another one goes on."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.gui.runs import DONE, PAPER_RUNNING, STOPPED
from core.session import BACKTEST, PAPER


def test_an_invalid_parameter_shows_a_message_and_starts_nothing(window: Any) -> None:
    manager = window.manager
    manager.select_template("sma_cross")
    form = manager.form

    form.set_field_text("fast", "five")
    field = next(f for f in form._fields if f.p.name == "fast")
    assert field.message.isVisible()
    assert "fast must be an integer" in field.message.text()
    assert window.start_selected_strategy() is None
    assert "fast must be an integer, got 'five'" in manager.message.text()

    form.set_field_text("fast", "0")  # below the declared minimum of 1
    assert "fast must be between 1 and 10000" in field.message.text()
    assert window.start_selected_strategy() is None

    # each field is fine alone, the config refuses the pair
    form.set_field_text("fast", "30")
    form.set_field_text("slow", "10")
    assert form.field_problems() == []
    assert window.start_selected_strategy() is None
    assert "fast must be less than slow" in manager.message.text()

    form.cash.setText("-5")
    form.set_field_text("slow", "40")
    assert window.start_selected_strategy() is None
    assert "cash must be positive" in manager.message.text()

    assert window.workspace.runs == {}
    assert window.runs.model.rowCount() == 0

    form.cash.setText("100000")
    assert window.start_selected_strategy() is not None
    assert not manager.message.isVisible()


def test_a_broken_strategy_file_is_refused_with_its_line(window: Any, tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("def oops(:\n    pass\n", encoding="utf-8")
    assert window.manager.load_file(path) is None
    assert "broken.py:1: syntax error" in window.manager.message.text()
    assert window.workspace.user_specs == {}


def test_switch_a_backtest_to_paper_and_fills_arrive(
    window: Any, trader_file: Path, wait_run: Callable[..., None], qtbot: Any
) -> None:
    spec = window.manager.load_file(trader_file)
    assert spec is not None and spec.name == "ToggleTrader"
    form = window.manager.form
    form.set_field_text("every", "3")
    form.paper_bar_seconds.setText("0.02")
    run = window.start_selected_strategy()
    assert run is not None, window.manager.message.text()
    wait_run(run, DONE)
    strategy = run.session.kernel.record(run.run_id).strategy
    bars_in_backtest = int(strategy.ctx.state["bars"])
    assert bars_in_backtest == len(run.series[0])
    fills = {b.title: b for b in window.blotters}["Fills"]
    backtest_fills = fills.rowCount()
    assert backtest_fills == run.result.fills > 100
    assert window.runs.backtest_button.isChecked()
    assert not window.runs.live_button.isEnabled()
    assert "Live is off: no broker configured" in window.runs.live_button.toolTip()
    assert "Live is off: no broker configured" in window.runs.mode_reason.text()

    switched_at = time.time_ns()
    window.runs.paper_button.click()
    qtbot.waitUntil(lambda: run.state == PAPER_RUNNING, timeout=5_000)
    qtbot.waitUntil(lambda: fills.rowCount() >= backtest_fills + 2, timeout=10_000)

    assert run.mode == PAPER and window.runs.paper_button.isChecked()
    # the same strategy object went on counting from where the backtest left it
    assert run.session.kernel.record(run.run_id).strategy is strategy
    assert int(strategy.ctx.state["bars"]) > bars_in_backtest
    paper_fills = fills.rows[backtest_fills:]
    assert all(f.ts >= switched_at for f in paper_fills)
    # the chart grows with the live bars
    bars = run.chart.bars[run.instrument_ids[0]]
    assert len(bars) > len(run.series[0])
    accounts = {a.strategy_id: a for a in {b.title: b for b in window.blotters}["Account"].rows}
    qtbot.waitUntil(lambda: accounts_mode(window, run.run_id) == PAPER, timeout=2_000)

    window.runs.stop_button.click()
    qtbot.waitUntil(lambda: run.state == STOPPED, timeout=5_000)
    assert run.status == "STOPPED"
    assert accounts  # the account row existed all along


def accounts_mode(window: Any, run_id: str) -> str:
    rows = {a.strategy_id: a for a in {b.title: b for b in window.blotters}["Account"].rows}
    return rows[run_id].mode if run_id in rows else ""


def test_a_faulting_strategy_is_shown_faulted_and_the_others_go_on(
    window: Any, trader_file: Path, wait_run: Callable[..., None]
) -> None:
    window.manager.select_template("sma_cross")
    steady = window.start_selected_strategy()
    window.manager.load_file(trader_file)
    window.manager.form.set_field_text("fault_at", "50")
    faulty = window.start_selected_strategy()
    assert steady is not None and faulty is not None
    wait_run(steady, DONE)
    wait_run(faulty, DONE)

    assert faulty.status == "FAULTED"
    assert faulty.fault is not None
    assert "ZeroDivisionError" in faulty.fault.error
    window.runs.select(faulty)
    assert window.runs.fault_title.isVisible()
    assert "FAULTED" in window.runs.fault_title.text()
    assert "the toggle trader divided by zero on purpose" in window.runs.fault_text.toPlainText()
    assert "Traceback" in window.runs.fault_text.toPlainText()
    status = window.runs.model.index(
        next(i for i, r in enumerate(window.runs.model.rows) if r is faulty), 5
    ).data()
    assert status == "FAULTED"
    log = {b.title: b for b in window.blotters}["Log"]
    faults = [r for r in log.rows if r.level == "FAULT"]
    assert len(faults) == 1 and faults[0].strategy_id == faulty.run_id
    assert "ZeroDivisionError" in faults[0].detail

    # the other strategy traded to the end
    assert steady.status == "IDLE" and steady.fault is None
    assert steady.result is not None and steady.result.metrics.round_trip_count > 10
    assert faulty.paper_unavailable_reason().startswith("the strategy faulted")
    assert faulty.mode == BACKTEST
