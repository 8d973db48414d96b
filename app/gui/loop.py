"""The asyncio loop inside Qt's: qasync's, with a timer that survives nested event loops.

qasync runs every asyncio callback (``call_soon`` is ``call_later(0)``) from a Qt timer. When a
callback spins a nested Qt event loop (``processEvents``, a modal dialog, a widget grabbing
itself on some platforms), qasync runs other callbacks inside it: a task's wakeup then tries to
step that task while another task is mid-step, asyncio refuses, and the wakeup is gone; and
because qasync kills a timer only after its callback returned, the nested loop can fire the
same timer twice, and the outer call can kill a timer id Qt has meanwhile handed to a new
callback. Either way a task waits on a finished future forever (seen as paper trading that
never stopped). Here a timer is killed before its callback runs, and callbacks that come due
inside a nested loop wait until the callback that opened it has returned.
"""

from __future__ import annotations

import asyncio
import logging
import time

import qasync
from PySide6.QtCore import QObject, QThread, QTimerEvent
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

SLOW_CALLBACK_S = 0.1


class CallbackTimer(QObject):
    """Runs asyncio handles from Qt timers, one timer per handle (the interface qasync's loop
    expects of its ``_timer``)."""

    def __init__(self) -> None:
        super().__init__()
        self._callbacks: dict[int, asyncio.Handle] = {}
        self._deferred: list[asyncio.Handle] = []
        self._running = False
        self._stopped = False
        self._debug = False

    def add_callback(self, handle: asyncio.Handle, delay: float = 0.0) -> asyncio.Handle:
        if QThread.currentThread() is not self.thread():
            # Qt refuses to start a timer from another thread and the callback would be lost
            raise RuntimeError(
                "an asyncio callback was scheduled from another thread; use call_soon_threadsafe"
            )
        timer_id = self.startTimer(int(max(0.0, delay) * 1000))
        if timer_id == 0:
            raise RuntimeError("Qt could not start a timer for an asyncio callback")
        self._callbacks[timer_id] = handle
        return handle

    def timerEvent(self, event: QTimerEvent) -> None:
        timer_id = event.timerId()
        self.killTimer(timer_id)  # first: a nested event loop inside the handle cannot refire it
        handle = self._callbacks.pop(timer_id, None)
        if handle is None or handle.cancelled() or self._stopped:
            return
        if self._running:  # inside a nested event loop: after the running callback
            self._deferred.append(handle)
            return
        self._running = True
        try:
            self._run(handle)
        finally:
            self._running = False
        deferred = self._deferred
        if deferred:
            self._deferred = []
            for waiting in deferred:
                self.add_callback(waiting)

    def _run(self, handle: asyncio.Handle) -> None:
        if not self._debug:
            handle._run()
            return
        started = time.perf_counter()
        handle._run()
        took = time.perf_counter() - started
        if took >= SLOW_CALLBACK_S:
            log.warning("asyncio callback %s took %.3f s", handle, took)

    def stop(self) -> None:
        self._stopped = True

    def set_debug(self, enabled: bool) -> None:
        self._debug = enabled


class EngineLoop(qasync.QEventLoop):  # type: ignore[misc]
    """qasync's loop with ``CallbackTimer``: the loop the engine and the window share."""

    def __init__(self, app: QApplication, *, already_running: bool = False) -> None:
        super().__init__(app, already_running=already_running)
        self._timer = CallbackTimer()
