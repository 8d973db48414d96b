"""Replay control for a backtest running on a worker thread: play, pause, step, speed, seek.

``ReplayPacer`` is the ``core.session.Pacer`` the GUI hands to ``run_backtest``. The worker asks
it how far it may go (``until``) and waits on it between slices; the GUI thread changes its
state at any time. Speeds multiply event time (100x: 100 seconds of market per second); speed 0
is "as fast as possible". ``events`` (the merged, sorted timestamps of every series) lets the
pacer know where the replay stands from the run's event count and what "one step" means.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Final

import numpy as np

SPEEDS: Final = (1.0, 10.0, 100.0, 1000.0, 0.0)  # 0: max
SLICE_S: Final = 1 / 60  # paced runs dispatch in slices of about one frame
_PAUSED_POLL_S: Final = 0.05  # how often a paused run looks at its stop flag


def speed_label(speed: float) -> str:
    return "max" if speed <= 0 else f"{speed:g}×"


class ReplayPacer:
    """Thread-safe replay state shared by the GUI thread and the backtest worker."""

    def __init__(
        self,
        event_ts: np.ndarray,
        *,
        speed: float = 0.0,
        paused: bool = False,
        stop: threading.Event | None = None,
        seek_ts: int | None = None,
    ) -> None:
        self._ts = event_ts
        self._cond = threading.Condition()
        self._speed = speed
        self._paused = paused
        self._stop = stop if stop is not None else threading.Event()
        self._done = 0  # events dispatched so far
        self._hold_ts = int(event_ts[0]) - 1 if len(event_ts) else -1  # paused: go up to here
        self._anchor_ts = self._hold_ts
        self._anchor_wall = time.perf_counter()
        self._seek_ts = seek_ts
        # actions for the worker to run between slices (the kernel is not thread-safe: the
        # risk panel's kill switch reaches a replaying kernel this way)
        self._requests: deque[Callable[[], None]] = deque()

    # state (any thread) -----------------------------------------------------------------
    @property
    def total(self) -> int:
        return len(self._ts)

    @property
    def done(self) -> int:
        return self._done

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def position_ts(self) -> int:
        """Event time of the last dispatched event (before the first one: just before it)."""
        done = self._done
        if done == 0:
            return int(self._ts[0]) - 1 if len(self._ts) else 0
        return int(self._ts[min(done, len(self._ts)) - 1])

    def clock_ts(self) -> int:
        """Where the replay stands in event time right now: between events while a paced
        replay plays (the chart scrolls smoothly), the last event's time otherwise."""
        with self._cond:
            position = self.position_ts
            if self._paused or self._speed <= 0 or self._seek_ts is not None:
                return position
            now = self._anchor_ts + int(
                (time.perf_counter() - self._anchor_wall) * self._speed * 1e9
            )
            return max(position, now)

    # commands (GUI thread) --------------------------------------------------------------
    def play(self) -> None:
        with self._cond:
            self._paused = False
            self._reanchor()
            self._cond.notify_all()

    def pause(self) -> None:
        with self._cond:
            self._paused = True
            self._hold_ts = self.position_ts
            self._cond.notify_all()

    def step(self) -> None:
        """Pause, and let the next event time (every event at it) through."""
        with self._cond:
            self._paused = True
            done = self._done
            if done < len(self._ts):
                self._hold_ts = int(self._ts[done])
            self._cond.notify_all()

    def set_speed(self, speed: float) -> None:
        with self._cond:
            self._speed = speed
            self._reanchor()
            self._cond.notify_all()

    def seek(self, ts: int) -> None:
        """Run ahead (as fast as possible) to event time ``ts``, then carry on as before."""
        with self._cond:
            self._seek_ts = ts
            self._cond.notify_all()

    def call_soon(self, action: Callable[[], None]) -> None:
        """Run ``action`` on the worker at its next stop between slices (any thread)."""
        self._requests.append(action)
        with self._cond:
            self._cond.notify_all()

    def run_requests(self) -> None:
        """Run what ``call_soon`` queued (the worker between slices; the GUI thread once the
        worker has ended, so nothing queued is lost)."""
        requests = self._requests
        while requests:
            requests.popleft()()

    def cancel(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    @property
    def stop_flag(self) -> threading.Event:
        return self._stop

    # the worker's side (core.session.Pacer) ---------------------------------------------
    def progressed(self, done: int) -> None:
        """The run's progress callback: ``done`` events dispatched."""
        self.run_requests()
        with self._cond:
            self._done = done
            seek = self._seek_ts
            if seek is not None and self.position_ts >= seek:
                self._seek_ts = None
                self._hold_ts = self.position_ts
                self._reanchor()

    def until(self) -> int:
        with self._cond:
            if self._seek_ts is not None:
                return self._seek_ts
            if self._paused:
                return self._hold_ts
            if self._speed <= 0:
                return -1
            elapsed = time.perf_counter() - self._anchor_wall + SLICE_S
            return self._anchor_ts + int(elapsed * self._speed * 1e9)

    def wait(self) -> None:
        self.run_requests()
        with self._cond:
            if self._stop.is_set() or self._seek_ts is not None:
                return
            if self._paused:
                if self._hold_ts <= self.position_ts or self._done >= len(self._ts):
                    self._cond.wait(_PAUSED_POLL_S)
                return
            if self._speed > 0:
                self._cond.wait(SLICE_S)

    def _reanchor(self) -> None:
        self._anchor_ts = self.position_ts
        self._anchor_wall = time.perf_counter()
