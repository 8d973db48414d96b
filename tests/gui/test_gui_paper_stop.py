"""Stopping paper trading from the Stop button ends the run every time: on_stop is called,
the journal run is closed, and the window stays usable (a loop of start/stop cycles)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.gui.runs import DONE, PAPER_RUNNING, STOPPED


def test_paper_runs_stop_from_the_stop_button_every_time(
    window: Any, wait_run: Callable[..., None], qtbot: Any
) -> None:
    window.manager.form.paper_bar_seconds.setText("0.05")
    panel = window.runs
    for cycle in range(8):
        window.manager.select_template("sma_cross")
        window.manager.form.set_field_text("fast", "3")
        window.manager.form.set_field_text("slow", "8")
        run = window.start_selected_strategy()
        assert run is not None
        wait_run(run, DONE)
        run.switch_to_paper()
        qtbot.waitUntil(lambda r=run: r.state == PAPER_RUNNING, timeout=5_000)
        qtbot.wait(30 * (cycle % 3))
        panel.select(run)
        panel.stop_button.click()
        qtbot.waitUntil(lambda r=run: r.state == STOPPED, timeout=3_000)
        assert run.session.kernel.record(run.run_id).status_name == "STOPPED"
