"""The engine's loop inside Qt's keeps every task moving when a callback spins a nested Qt
event loop (qasync's own loop loses task wakeups there: paper trading that never stopped)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.gui.loop import EngineLoop


def _run(loop: EngineLoop, work: object, guard_ms: int = 10_000) -> object:
    asyncio.set_event_loop(loop)
    QTimer.singleShot(guard_ms, loop.stop)  # a lost wakeup ends here, not in a hung test
    try:
        with loop:
            return loop.run_until_complete(work)
    finally:
        asyncio.set_event_loop(None)


def test_tasks_survive_callbacks_that_spin_a_nested_event_loop(qapp: QApplication) -> None:
    steps: dict[str, int] = {"a": 0, "b": 0, "c": 0, "nester": 0}

    async def sleeper(name: str) -> None:
        for i in range(300):
            await asyncio.sleep(0.001 if i % 2 else 0)
            steps[name] += 1

    async def nester() -> None:
        for _ in range(300):
            qapp.processEvents()  # what a modal dialog or a grab does inside a callback
            await asyncio.sleep(0)
            steps["nester"] += 1

    async def main() -> None:
        await asyncio.gather(sleeper("a"), sleeper("b"), sleeper("c"), nester())

    _run(EngineLoop(qapp), main())
    assert steps == {"a": 300, "b": 300, "c": 300, "nester": 300}


def test_a_callback_scheduled_from_another_thread_is_refused_loudly(qapp: QApplication) -> None:
    errors: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def worker() -> None:
            try:
                loop.call_soon(print, "never")
            except RuntimeError as exc:
                errors.append(str(exc))

        thread = threading.Thread(target=worker)
        thread.start()
        await asyncio.get_running_loop().run_in_executor(None, thread.join)

    _run(EngineLoop(qapp), main())
    assert errors == [
        "an asyncio callback was scheduled from another thread; use call_soon_threadsafe"
    ]


@pytest.mark.parametrize("delay", [0.0, 0.02])
def test_cancelled_callbacks_do_not_run(qapp: QApplication, delay: float) -> None:
    ran: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(delay, ran.append, "cancelled").cancel()
        loop.call_later(delay, ran.append, "kept")
        await asyncio.sleep(delay + 0.05)

    _run(EngineLoop(qapp), main())
    assert ran == ["kept"]
