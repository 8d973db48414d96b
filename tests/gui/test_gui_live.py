"""Live mode from the workstation, against a local server speaking Alpaca's API: Live stays
off with the reason until a broker is configured, asks before it switches, refuses a strategy
that holds a simulated position, and trades a flat one at the broker (orders, fills and the
journal's live run), until Stop logs out."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from app.gui import runs as runs_module
from app.gui.runs import DONE, LIVE_RUNNING, PAPER_RUNNING, STOPPED, SWITCHING
from core.enums import OrderSide
from core.values import Qty


def _start_trader(window: Any, trader_file: Path, every: str) -> Any:
    assert window.manager.load_file(trader_file) is not None
    window.manager.form.set_field_text("every", every)
    window.manager.form.paper_bar_seconds.setText("0.05")
    run = window.start_selected_strategy()
    assert run is not None, window.manager.message.text()
    return run


def _answer(monkeypatch: pytest.MonkeyPatch, button: QMessageBox.StandardButton) -> list[str]:
    asked: list[str] = []

    def warning(parent: Any, title: str, text: str, *args: Any) -> QMessageBox.StandardButton:
        asked.append(text)
        return button

    monkeypatch.setattr(QMessageBox, "warning", warning)
    return asked


def test_live_is_off_with_the_reason_until_a_broker_is_configured(
    window: Any, trader_file: Path, wait_run: Callable[..., None]
) -> None:
    assert not window.runs.live_button.isEnabled()  # no strategy yet
    run = _start_trader(window, trader_file, "9")
    wait_run(run, DONE)
    assert not window.runs.live_button.isEnabled()
    assert "no broker configured: put the connection in" in window.runs.live_button.toolTip()


def test_a_broker_file_that_is_wrong_says_so(
    window: Any,
    trader_file: Path,
    wait_run: Callable[..., None],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('broker = "alpaca"\ntrading_url = "ftp://x"\n', encoding="utf-8")
    monkeypatch.setenv("TRADEBENCH_BROKER", str(broken))
    monkeypatch.delenv("APCA_API_KEY_ID", raising=False)
    run = _start_trader(window, trader_file, "9")
    wait_run(run, DONE)
    assert not window.runs.live_button.isEnabled()
    assert "the broker file is wrong: broker file" in window.runs.mode_reason.text()


def test_going_live_asks_first_and_refuses_a_simulated_position(
    window: Any,
    broker_sandbox: Any,
    trader_file: Path,
    wait_run: Callable[..., None],
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = _start_trader(window, trader_file, "7")  # ends the backtest long
    wait_run(run, DONE)
    ctx = run.session.kernel.record(run.run_id).strategy.ctx
    assert ctx.position("SYN.SIM").signed_qty_raw > 0
    panel = window.runs
    panel.select(run)
    assert panel.live_button.isEnabled()
    assert "after you confirm" in panel.live_button.toolTip()

    asked = _answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    panel.live_button.click()
    assert len(asked) == 1 and f"Switch {run.run_id} to LIVE trading?" in asked[0]
    assert broker_sandbox.sandbox.url in asked[0]
    assert run.state == DONE and run.mode == "backtest"

    _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    panel.live_button.click()
    qtbot.waitUntil(lambda: bool(run.error), timeout=10_000)
    assert run.error == (
        f"{run.run_id} did not go live: cannot switch to live: {run.run_id} holds 10 SYN.SIM on "
        "the simulated venue; flatten it first (simulated positions are not real)"
    )
    assert run.state == DONE and run.mode == "backtest"
    qtbot.waitUntil(lambda: run.error in panel.mode_reason.text(), timeout=2_000)
    assert broker_sandbox.sandbox.orders == {}  # nothing reached the broker


def test_paper_to_live_trades_at_the_broker_until_stop(
    window: Any,
    broker_sandbox: Any,
    trader_file: Path,
    wait_run: Callable[..., None],
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = _start_trader(window, trader_file, "9")  # flat when the backtest ends
    wait_run(run, DONE)
    ctx = run.session.kernel.record(run.run_id).strategy.ctx
    assert ctx.position("SYN.SIM").signed_qty_raw == 0
    panel = window.runs
    panel.select(run)
    panel.paper_button.click()
    qtbot.waitUntil(lambda: run.state == PAPER_RUNNING, timeout=5_000)
    strategy = run.session.kernel.record(run.run_id).strategy
    bars_before = int(strategy.ctx.state["bars"])

    _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    panel.live_button.click()
    qtbot.waitUntil(lambda: run.state == LIVE_RUNNING, timeout=10_000)
    assert run.mode == "live" and panel.live_button.isChecked()
    assert "LIVE at alpaca" in panel.mode_reason.text()
    # the same strategy object goes on counting bars, now the broker's
    qtbot.waitUntil(lambda: int(strategy.ctx.state["bars"]) > bars_before + 1, timeout=10_000)

    order = strategy.ctx.submit_order("SYN.SIM", OrderSide.BUY, Qty.of(3))
    qtbot.waitUntil(lambda: order.status_name() == "FILLED", timeout=10_000)
    assert order.venue_order_id in broker_sandbox.sandbox.orders
    assert ctx.position("SYN.SIM").signed_qty_raw == Qty.of(3).raw
    fills = {b.title: b for b in window.blotters}["Fills"]
    qtbot.waitUntil(
        lambda: any(r.client_order_id == order.client_order_id for r in fills.rows),
        timeout=3_000,
    )

    panel.stop_button.click()
    qtbot.waitUntil(lambda: run.state == STOPPED, timeout=10_000)
    assert run.session.kernel.record(run.run_id).status_name == "STOPPED"

    db = sqlite3.connect(window.workspace.journal_path)
    modes = [m for (m,) in db.execute("SELECT mode FROM runs ORDER BY id")]
    live_id = db.execute("SELECT max(id) FROM runs WHERE mode = 'live'").fetchone()[0]
    live_fills = db.execute(
        "SELECT o.client_order_id, f.qty_raw FROM fills f JOIN orders o ON o.id = f.order_id "
        "WHERE f.run_id = ?",
        (live_id,),
    ).fetchall()
    ended, counted = db.execute(
        "SELECT ts_ended, fills FROM runs WHERE id = ?", (live_id,)
    ).fetchone()
    db.close()
    assert modes == ["backtest", "paper", "live"]
    assert live_fills == [(order.client_order_id, Qty.of(3).raw)]
    assert ended is not None and counted == len(live_fills)


@pytest.fixture
def silent_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_window: Any) -> Any:
    """A broker that takes connections and never answers (set after make_window cleared the
    broker setting)."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    path = tmp_path / "silent.toml"
    path.write_text(
        f'trading_url = "http://127.0.0.1:{port}"\n'
        f'trading_stream_url = "ws://127.0.0.1:{port}/stream"\n'
        f'data_stream_url = "ws://127.0.0.1:{port}/v2"\n'
        'key_id = "k"\nsecret = "s"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("TRADEBENCH_BROKER", str(path))
    yield server
    server.close()


def test_stop_while_switching_to_a_silent_broker_calls_the_switch_off(
    window: Any,
    silent_broker: Any,
    trader_file: Path,
    wait_run: Callable[..., None],
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = _start_trader(window, trader_file, "9")
    wait_run(run, DONE)
    panel = window.runs
    panel.select(run)
    panel.paper_button.click()
    qtbot.waitUntil(lambda: run.state == PAPER_RUNNING, timeout=5_000)
    _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    panel.live_button.click()
    qtbot.waitUntil(lambda: run.state == SWITCHING, timeout=5_000)
    assert panel.stop_button.isEnabled()
    qtbot.wait(200)  # the broker keeps it waiting
    assert run.state == SWITCHING
    panel.stop_button.click()
    qtbot.waitUntil(lambda: run.state == STOPPED, timeout=5_000)
    assert run.mode == "paper"  # it never went live
    assert run.session.kernel.record(run.run_id).status_name == "STOPPED"


def test_a_broker_that_never_answers_times_the_switch_out_and_paper_goes_on(
    window: Any,
    silent_broker: Any,
    trader_file: Path,
    wait_run: Callable[..., None],
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runs_module, "LIVE_SWITCH_TIMEOUT_S", 0.5)
    run = _start_trader(window, trader_file, "9")
    wait_run(run, DONE)
    panel = window.runs
    panel.select(run)
    panel.paper_button.click()
    qtbot.waitUntil(lambda: run.state == PAPER_RUNNING, timeout=5_000)
    _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    panel.live_button.click()
    qtbot.waitUntil(lambda: bool(run.error), timeout=5_000)
    assert run.error == f"{run.run_id} did not go live: the broker did not answer within 0.5 s"
    assert run.state == PAPER_RUNNING and run.mode == "paper"
    bars = int(run.session.kernel.record(run.run_id).strategy.ctx.state["bars"])
    qtbot.waitUntil(
        lambda: int(run.session.kernel.record(run.run_id).strategy.ctx.state["bars"]) > bars,
        timeout=5_000,
    )
    run.stop_now()


def test_closing_the_window_stops_live_trading_and_logs_out(
    make_window: Callable[..., Any],
    broker_sandbox: Any,
    trader_file: Path,
    wait_run: Callable[..., None],
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window()
    run = _start_trader(window, trader_file, "9")
    wait_run(run, DONE)
    window.runs.select(run)
    _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    window.runs.live_button.click()
    qtbot.waitUntil(lambda: run.state == LIVE_RUNNING, timeout=10_000)
    qtbot.waitUntil(lambda: broker_sandbox.sandbox.trade_connections >= 1, timeout=5_000)
    window.close()
    qtbot.waitUntil(lambda: run.state == STOPPED and not window.isVisible(), timeout=10_000)
    assert run.session.kernel.record(run.run_id).status_name == "STOPPED"
    qtbot.waitUntil(
        lambda: not broker_sandbox.call(lambda: broker_sandbox.sandbox._trade_clients),
        timeout=5_000,
    )
