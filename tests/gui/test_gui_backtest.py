"""A backtest started from the strategy manager: it runs off the GUI thread, its results reach
the blotters, the chart and the results panel, and the journal holds it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF

from app.gui.runs import DONE
from core.events import OrderFilled


def test_backtest_from_the_gui_shows_its_results(
    window: Any, wait_run: Callable[..., None], qtbot: Any
) -> None:
    manager = window.manager
    manager.select_template("sma_cross")
    manager.form.set_field_text("fast", "5")
    manager.form.set_field_text("slow", "20")
    worker_threads: set[int] = set()
    gui_thread = threading.get_ident()

    run = window.start_selected_strategy()
    assert run is not None, manager.message.text()
    # the replay runs on a worker thread: record the thread each fill is published from
    run.session.kernel.add_listener(
        lambda e: worker_threads.add(threading.get_ident()) if isinstance(e, OrderFilled) else None
    )
    wait_run(run, DONE)

    result = run.result
    assert result is not None and not result.canceled
    assert result.fills > 10
    assert worker_threads and gui_thread not in worker_threads

    # blotters: every fill, the orders with their final state, the account with its total
    blotters = {b.title: b for b in window.blotters}
    assert blotters["Fills"].rowCount() == result.fills
    statuses = {o.status for o in blotters["Orders"].rows}
    assert "FILLED" in statuses
    accounts = {a.strategy_id: a for a in blotters["Account"].rows}
    final = result.metrics.final_equity.raw
    assert accounts[run.run_id].equity_raw == final
    assert accounts["TOTAL"].equity_raw == final
    assert accounts[run.run_id].status == "IDLE"

    # the chart: every bar revealed, a marker per fill, the strategy's two SMA overlays
    chart = window.chart
    bars = run.chart.bars["SYN.SIM"]
    assert bars.revealed == len(bars)
    assert len(chart.markers.x) == result.fills
    assert set(chart._overlays) == {"SMA 5", "SMA 20"}
    assert len(run.chart.line("SYN.SIM", "SMA 20")) == len(bars)
    assert len(run.chart.equity) == len(result.equity_ts)

    # results: the journaled run is selected, its metrics and round trips shown
    results = window.results
    qtbot.waitUntil(lambda: results.trips.rowCount() > 0 and not results.loading, timeout=5_000)
    assert [r.run_id for r in results.history.rows] == [run.journal_run_id]
    figures = {m.label: m.a for m in results.metrics.rows}
    assert figures["Round trips"] == str(result.metrics.round_trip_count)
    assert results.trips.rowCount() == len(result.round_trips) > 3

    # selecting a round trip moves the chart to it
    trip = result.round_trips[len(result.round_trips) // 2]
    row = next(i for i, t in enumerate(results.trips.rows) if t.entry_ts == trip.entry_ts)
    results.trips_table.table.selectRow(
        results.trips_table.table.proxy.mapFromSource(results.trips.index(row, 0)).row()
    )
    left, right = chart.drawdown.getViewBox().viewRange()[0]
    entry, exit_ = bars.index_of(np.array([trip.entry_ts, trip.exit_ts]))
    assert left <= entry and exit_ <= right
    assert right - left < len(bars) / 2
    assert not chart.follow

    # the entry's fill marker sits at its price and explains itself on hover
    markers = chart.markers
    k = int(np.searchsorted(markers.x, entry))
    scene = markers.mapToScene(QPointF(float(markers.x[k]), float(markers.y[k])))
    found = markers.nearest(scene.x(), scene.y())
    assert found is not None and markers.x[found] == entry
    assert ("BUY" if trip.direction > 0 else "SELL") in markers.text[found]
    assert f"@ {markers.y[found]:g}" in markers.text[found]


def test_a_run_that_fails_says_why_in_one_line(
    make_window: Callable[..., Any], tmp_path: Any, wait_run: Callable[..., None]
) -> None:
    """The journal path is a folder: the run cannot be journaled, and fails readably."""
    folder = tmp_path / "not_a_file"
    folder.mkdir()
    window = make_window(journal_path=folder)
    run = window.start_selected_strategy()
    assert run is not None
    wait_run(run, "failed")
    assert run.error.startswith(f"Backtest of {run.run_id} failed: ")
    assert "\n" not in run.error and "Traceback" not in run.error
    shown = window.runs.model.index(0, 6).data()
    assert shown == run.error
    log = {b.title: b for b in window.blotters}["Log"]
    assert any(r.level == "ERROR" and r.message == run.error for r in log.rows)
