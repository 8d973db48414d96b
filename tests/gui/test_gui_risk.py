"""The risk panel: a limit edited in place is enforced, a bad one explains itself, and the kill
switch halts every strategy and cancels every working order at once; resetting asks first."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog

from app.gui.risk_panel import COLUMNS, KILL_SHORTCUT
from app.gui.runs import DONE, PAPER_RUNNING
from core.enums import OrderSide, OrderType
from core.events import OrderDenied
from core.values import Price, Qty


def _column(title: str) -> int:
    return next(i for i, c in enumerate(COLUMNS) if c.title == title)


def _start(window: Any, fast: str = "5", slow: str = "20") -> Any:
    manager = window.manager
    manager.select_template("sma_cross")
    manager.form.set_field_text("fast", fast)
    manager.form.set_field_text("slow", slow)
    run = window.start_selected_strategy()
    assert run is not None, manager.message.text()
    return run


def _edit(window: Any, run_id: str, title: str, text: str) -> bool:
    model = window.risk_panel.model
    model.refresh()
    row = next(i for i, r in enumerate(model.rows) if r.run_id == run_id)
    return bool(model.setData(model.index(row, _column(title)), text, Qt.ItemDataRole.EditRole))


def test_a_limit_edited_in_the_panel_is_enforced_and_journaled(
    window: Any, wait_run: Callable[..., None], qtbot: Any, tmp_path: Path
) -> None:
    run = _start(window)
    wait_run(run, DONE)
    panel = window.risk_panel
    assert not _edit(window, run.run_id, "Max order qty", "lots")
    assert "'lots' is not a number" in panel.message.text()
    assert not _edit(window, run.run_id, "Allocation", "-5")
    assert "must not be negative" in panel.message.text()
    assert _edit(window, run.run_id, "Max order qty", "5")
    assert panel.message.text() == ""
    row = panel.model.rows[0]
    assert row.max_order_qty == "5"

    kernel = run.session.kernel
    record = kernel.record(run.run_id)
    too_big = record.strategy.ctx.submit_order("SYN.SIM", OrderSide.BUY, Qty.of(6))
    denied = [e for e in too_big.events if isinstance(e, OrderDenied)]
    assert denied and denied[0].rule == "max_order_qty"
    ok = record.strategy.ctx.submit_order("SYN.SIM", OrderSide.BUY, Qty.of(5))
    assert ok.status_name() != "DENIED"

    # the decision and the change reach the risk blotter
    qtbot.waitUntil(lambda: window.risk_blotter.rowCount() >= 2, timeout=3_000)
    texts = [r.text for r in window.risk_blotter.rows]
    assert any("max_order_qty" in t and "denied" in t for t in texts)
    assert any(t.startswith("rule max_order_qty: none -> at most 5 per order") for t in texts)


def test_the_kill_switch_halts_everything_within_100_ms_and_reset_asks(
    window: Any, wait_run: Callable[..., None], qtbot: Any, monkeypatch: Any
) -> None:
    window.manager.form.paper_bar_seconds.setText("0.05")
    first = _start(window, "5", "20")
    second = _start(window, "3", "10")
    for run in (first, second):
        wait_run(run, DONE)
        run.switch_to_paper()
    qtbot.waitUntil(lambda: all(r.state == PAPER_RUNNING for r in (first, second)), timeout=10_000)
    # each strategy rests a far-away bid: working orders the kill switch must cancel
    working = []
    for run in (first, second):
        ctx = run.session.kernel.record(run.run_id).strategy.ctx
        order = ctx.submit_order(
            "SYN.SIM",
            OrderSide.BUY,
            Qty.of(1),
            order_type=OrderType.LIMIT,
            price=Price.parse("1"),
        )
        working.append((run, order))
    qtbot.waitUntil(lambda: all(o.status_name() == "ACCEPTED" for _, o in working), timeout=3_000)

    panel = window.risk_panel
    started = time.perf_counter()
    panel.kill_button.click()
    halted_in = time.perf_counter() - started
    for run, order in working:
        assert order.status_name() == "CANCELED"
        kernel = run.session.kernel
        assert kernel.control.state_name(run.run_id) == "HALTED"
        assert not [o for o in kernel.orders if o.is_open]
    assert halted_in < 0.1, halted_in
    panel.refresh()
    assert panel.status.text().startswith("KILL SWITCH TRIPPED")
    assert not panel.kill_button.isEnabled()
    assert {r.state for r in panel.model.rows} == {"HALTED"}
    # the risk blotter names the strategies each kernel's kill switch and halt stand for
    qtbot.waitUntil(
        lambda: len([r for r in window.risk_blotter.rows if r.kind == "kill switch"]) == 2,
        timeout=2_000,
    )
    blotted = window.risk_blotter.rows
    assert {r.strategy_id for r in blotted if r.kind == "kill switch"} == {
        first.run_id,
        second.run_id,
    }
    halted = {r.strategy_id for r in blotted if r.kind == "state" and "HALTED" in r.text}
    assert {first.run_id, second.run_id} <= halted

    # the keyboard shortcut is registered application-wide
    assert panel.shortcut.key().toString() == KILL_SHORTCUT

    # resetting asks: cancelled, nothing changes; confirmed with a reason, trading resumes
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("", False))
    panel.reset_button.click()
    assert window.risk_desk.killed
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("", True))
    panel.reset_button.click()
    assert window.risk_desk.killed and "why" in panel.message.text()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("broker checked", True))
    panel.reset_button.click()
    assert not window.risk_desk.killed
    for run, _ in working:
        assert run.session.kernel.control.state_name(run.run_id) == "ACTIVE"
    for run in (first, second):
        run.stop_now()

    journal = window.workspace.journal_path
    with sqlite3.connect(journal) as conn:
        rows = conn.execute(
            "SELECT kind, who, reason FROM risk_events WHERE kind = 'kill_switch' ORDER BY id"
        ).fetchall()
    assert ("kill_switch", window.risk_desk.who, "kill switch pressed") in rows
    assert ("kill_switch", window.risk_desk.who, "broker checked") in rows


def test_the_kill_switch_reaches_a_replaying_backtest_and_new_runs(
    window: Any, wait_run: Callable[..., None], qtbot: Any
) -> None:
    window.replay.set_speed(1.0)  # slow: the run is still replaying when the switch trips
    run = _start(window)
    qtbot.waitUntil(lambda: run.pacer is not None and run.pacer.done > 0, timeout=5_000)
    window.risk_panel.kill_button.click()
    qtbot.waitUntil(lambda: run.session.kernel.control.killed, timeout=2_000)
    run.cancel()
    wait_run(run, DONE, "canceled")
    later = _start(window, "4", "12")  # started while tripped: halted from its first bar
    qtbot.waitUntil(lambda: later.session.kernel.control.killed, timeout=5_000)
    assert later.session.kernel.control.state_name(later.run_id) == "HALTED"
    later.cancel()
