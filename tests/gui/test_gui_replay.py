"""Replay controls: a paused backtest steps one bar at a time, seeks ahead and back, changes
speed, plays to the end or is canceled, and the chart shows no bar the replay has not reached."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from app.gui.runs import CANCELED, DONE, REPLAYING


def _start_paused(window: Any, qtbot: Any) -> Any:
    window.replay.set_speed(1.0)
    window.manager.select_template("sma_cross")
    run = window.start_selected_strategy()
    assert run is not None
    window.replay.pause_button.click()
    qtbot.waitUntil(window.replay.play_button.isEnabled, timeout=2_000)
    return run


def test_step_seek_and_play(window: Any, qtbot: Any, wait_run: Callable[..., None]) -> None:
    run = _start_paused(window, qtbot)
    bar = window.replay
    bars = run.chart.bars["SYN.SIM"]
    time.sleep(0.1)
    qtbot.wait(60)
    assert run.progress[0] == 0 and bars.revealed == 0

    bar.step_button.click()
    qtbot.waitUntil(lambda: run.progress[0] == 1, timeout=3_000)
    bar.step_button.click()
    qtbot.waitUntil(lambda: run.progress[0] == 2, timeout=3_000)
    qtbot.wait(100)
    assert run.progress[0] == 2 and run.state == REPLAYING
    assert bars.revealed == 2  # the chart shows no future bar

    target = int(run.event_times[5_000])
    run.seek(target)
    qtbot.waitUntil(lambda: run.progress[0] == 5_001, timeout=5_000)
    qtbot.wait(100)
    assert run.pacer.paused and run.progress[0] == 5_001
    fills_before = {b.title: b for b in window.blotters}["Fills"].rowCount()
    assert fills_before > 0

    # back: the run replays again from the start up to the earlier point, blotters follow
    back = int(run.event_times[1_000])
    run.seek(back)
    qtbot.waitUntil(lambda: run.state == REPLAYING and run.progress[0] == 1_001, timeout=8_000)
    qtbot.wait(100)
    fills = {b.title: b for b in window.blotters}["Fills"]
    assert 0 < fills.rowCount() < fills_before
    assert all(f.ts <= back for f in fills.rows)
    assert window.chart.data is run.chart

    bar.set_speed(0.0)  # max
    qtbot.waitUntil(bar.play_button.isEnabled, timeout=2_000)
    bar.play_button.click()
    wait_run(run, DONE)
    assert run.result is not None and run.result.events == len(run.event_times)


def test_cancel_keeps_what_ran(window: Any, qtbot: Any, wait_run: Callable[..., None]) -> None:
    run = _start_paused(window, qtbot)
    run.seek(int(run.event_times[3_000]))
    qtbot.waitUntil(lambda: run.progress[0] == 3_001, timeout=5_000)
    window.replay.cancel_button.click()
    wait_run(run, CANCELED)
    assert run.result is not None and run.result.canceled
    assert run.result.events == 3_001
    qtbot.waitUntil(lambda: window.results.history.rowCount() == 1, timeout=5_000)
    assert window.results.history.rows[-1].canceled


def test_paced_replay_moves_at_its_speed(window: Any, qtbot: Any) -> None:
    """1-minute bars at 1000x: about 17 bars a second of wall time."""
    run = _start_paused(window, qtbot)
    window.replay.set_speed(1000.0)
    window.replay.play_button.click()
    started = time.perf_counter()
    qtbot.waitUntil(lambda: run.progress[0] >= 10, timeout=5_000)
    qtbot.wait(500)
    elapsed = time.perf_counter() - started
    done = run.progress[0]
    assert 0.5 * elapsed * 1000 / 60 <= done <= 1.5 * elapsed * 1000 / 60 + 2
    run.cancel()
