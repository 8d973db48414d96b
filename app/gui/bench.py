"""``tradebench bench-gui``: is the workstation responsive while the engine works?

Two phases, offscreen, in a scratch journal and catalog:

1. **max speed**: SMA 10/30 crossover over 1,000,000 one-minute bars replayed as fast as the
   engine goes, with the chart following, the blotters and PnL updating. A 10 ms QTimer probe
   on the Qt loop measures how late it fires (p50, p99, max): that is how long a click or a
   repaint would wait. Reported while the bars replay, and again with the end of the run
   (the session building its result, the journal storing it).
2. **100x**: the same strategy fast-forwarded to the middle of the data, then replayed at 100x
   for a few seconds; the chart view's paints per second are its redraw rate (it scrolls with
   the replay's clock between bars, so every frame moves).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

PROBE_MS = 10


class _Probe:
    """A repeating timer that records how late each firing comes."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.late_ms: list[float] = []
        self._last = 0.0
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(PROBE_MS)
        self._timer.timeout.connect(self._fired)

    def start(self) -> None:
        self.late_ms.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _fired(self) -> None:
        now = time.perf_counter()
        self.late_ms.append(max(0.0, (now - self._last) * 1000.0 - PROBE_MS))
        self._last = now

    def summary(self, first: int = 0, last: int | None = None) -> dict[str, float]:
        """p50/p99/max of the firings ``first`` .. ``last`` (default: all)."""
        chosen = self.late_ms[first:last]
        late = np.array(chosen or [0.0])
        return {
            "samples": float(len(chosen)),
            "p50_ms": float(np.percentile(late, 50)),
            "p99_ms": float(np.percentile(late, 99)),
            "max_ms": float(late.max()),
        }


async def _bench(window: Any, bars: int, seconds_at_100x: float) -> dict[str, Any]:
    from app.gui.runs import DONE

    store = window.data
    iid = "BENCH.SIM"
    started = time.perf_counter()
    store.generate(bars=bars, seed=42, instrument_id=iid, period_s=60)
    store.refresh()
    generated_s = time.perf_counter() - started
    manager = window.manager
    manager.select_template("sma_cross")
    box = manager.form._instrument_boxes[0]
    box.setCurrentIndex(box.findData(f"bars/{iid}/1m"))
    manager.form.set_field_text("fast", "10")
    manager.form.set_field_text("slow", "30")
    probe = _Probe()

    # phase 1: max speed
    window.replay.set_speed(0.0)
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    run = window.start_selected_strategy()  # loads the data and starts the worker
    if run is None:
        raise RuntimeError(manager.message.text())
    probe.start()
    paints_before = window.chart.paints
    frames_before = window.bridge.frames
    replayed = 0  # probe firings while events were still being replayed
    while run.state not in (DONE, "failed", "canceled"):
        await asyncio.sleep(0.05)
        if not replayed and run.progress[0] >= run.progress[1]:
            replayed = len(probe.late_ms)
    wall = time.perf_counter() - started
    probe.stop()
    await asyncio.sleep(0.5)  # the results are read from the journal, off the GUI thread
    if run.state != DONE or run.result is None:
        raise RuntimeError(run.error or f"the run ended {run.state}")
    max_speed = {
        "bars": bars,
        "wall_s": round(wall, 2),
        "bars_per_s": round(bars / wall),
        "round_trips": run.result.metrics.round_trip_count,
        "fills_in_blotter": {b.title: b for b in window.blotters}["Fills"].rowCount(),
        "frames_per_s": round((window.bridge.frames - frames_before) / wall, 1),
        "chart_paints_per_s": round((window.chart.paints - paints_before) / wall, 1),
        "loop_latency": {k: round(v, 2) for k, v in probe.summary(0, replayed or None).items()},
        # the same, with the end of the run: the session builds its result (equity curve,
        # metrics) and the journal stores it, on the worker, holding the interpreter lock
        "loop_latency_with_result": {k: round(v, 2) for k, v in probe.summary().items()},
    }

    # phase 2: 100x from the middle of the data (fast-forwarded there), the chart following
    window.replay.set_speed(100.0)
    paced = window.start_selected_strategy()
    if paced is None:
        raise RuntimeError(manager.message.text())
    middle = len(paced.event_times) // 2
    paced.seek(int(paced.event_times[middle]))
    while paced.progress[0] < middle:
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # the view settles
    probe.start()
    paints_before = window.chart.paints
    started = time.perf_counter()
    await asyncio.sleep(seconds_at_100x)
    elapsed = time.perf_counter() - started
    paints = window.chart.paints - paints_before
    probe.stop()
    done = paced.progress[0]
    paced.cancel()
    await paced.wait()
    at_100x = {
        "seconds": round(elapsed, 2),
        "bars_replayed": done,
        "chart_redraws_per_s": round(paints / elapsed, 1),
        "loop_latency": {k: round(v, 2) for k, v in probe.summary().items()},
    }
    return {
        "engine": "compiled" if _compiled() else "pure",
        "data_generated_s": round(generated_s, 2),
        "max_speed": max_speed,
        "at_100x": at_100x,
    }


def _compiled() -> bool:
    import core

    return bool(core.COMPILED)


def _print(result: dict[str, Any]) -> None:
    m, p = result["max_speed"], result["at_100x"]
    lat, lat100, end = m["loop_latency"], p["loop_latency"], m["loop_latency_with_result"]
    print(f"tradebench bench-gui ({result['engine']} engine, offscreen)")
    print(
        f"max speed: {m['bars']:,} bars in {m['wall_s']} s ({m['bars_per_s']:,} bars/s), "
        f"{m['round_trips']:,} round trips, {m['fills_in_blotter']:,} fills in the blotter"
    )
    print(
        f"  Qt loop latency (10 ms probe, {int(lat['samples'])} samples): "
        f"p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms, max {lat['max_ms']} ms "
        f"(target p99 < 50 ms: {'met' if lat['p99_ms'] < 50 else 'MISSED'})"
    )
    print(
        f"  with the end of the run (result and journal): p99 {end['p99_ms']} ms, "
        f"max {end['max_ms']} ms"
    )
    print(f"  frames {m['frames_per_s']}/s, chart paints {m['chart_paints_per_s']}/s")
    print(
        f"100x: {p['bars_replayed']:,} bars in {p['seconds']} s, chart redraws "
        f"{p['chart_redraws_per_s']}/s (target >= 30: "
        f"{'met' if p['chart_redraws_per_s'] >= 30 else 'MISSED'}); "
        f"loop latency p50 {lat100['p50_ms']} ms, p99 {lat100['p99_ms']} ms"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tradebench bench-gui", description=__doc__)
    parser.add_argument("--bars", type=int, default=1_000_000, help="bars at max speed")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds measured at 100x")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(list(argv or []))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app.gui.application import GIL_SWITCH_S
    from app.gui.loop import EngineLoop
    from app.gui.main_window import MainWindow

    sys.setswitchinterval(GIL_SWITCH_S)  # as the workstation runs
    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = EngineLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory(prefix="tradebench-bench-gui-") as scratch:
        folder = Path(scratch)
        window = MainWindow(
            QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat),
            journal_path=folder / "journal.sqlite",
            catalog_root=folder / "catalog",
        )
        window.resize(1500, 940)
        window.show()
        with loop:
            result = loop.run_until_complete(_bench(window, args.bars, args.seconds))
            window.close()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0
