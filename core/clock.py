"""Clocks and timers. The only place in the engine that may know the wall-clock time."""

from __future__ import annotations

import heapq
import time
from typing import Final, final

from core.events import TimerFired


@final
class _Timer:
    def __init__(
        self, name: str, owner: str, interval_ns: int, next_ns: int, stop_ns: int, one_shot: bool
    ) -> None:
        self.name: Final = name
        self.owner: Final = owner
        self.interval_ns: Final = interval_ns
        self.next_ns = next_ns
        self.stop_ns: Final = stop_ns  # 0 = repeat until canceled
        self.one_shot: Final = one_shot
        self.seq = 0  # creation order: breaks ties between timers due at the same time


class Clock:
    """Time source plus timers. Timers fire in (due time, creation order) order."""

    def __init__(self) -> None:
        self._timers: dict[str, _Timer] = {}
        self._heap: list[tuple[int, int, str]] = []
        self._seq = 0
        self.next_timer_ns: int = 0  # 0 = no timer pending; hot loops compare against it

    def now_ns(self) -> int:
        raise NotImplementedError

    def set_timer(
        self, name: str, owner: str, interval_ns: int, start_ns: int = 0, stop_ns: int = 0
    ) -> None:
        """Fire every ``interval_ns`` from ``start_ns`` (default: now + interval)."""
        if interval_ns <= 0:
            raise ValueError(f"timer {name!r}: interval must be positive, got {interval_ns} ns")
        if name in self._timers:
            raise ValueError(f"timer {name!r} already exists; cancel it first")
        first = start_ns if start_ns > 0 else self.now_ns() + interval_ns
        if stop_ns != 0 and stop_ns < first:
            raise ValueError(f"timer {name!r}: stop {stop_ns} is before the first firing {first}")
        self._timers[name] = _Timer(name, owner, interval_ns, first, stop_ns, False)
        self._push(first, name)

    def set_alert(self, name: str, owner: str, at_ns: int) -> None:
        """Fire once at ``at_ns``."""
        if name in self._timers:
            raise ValueError(f"timer {name!r} already exists; cancel it first")
        self._timers[name] = _Timer(name, owner, 1, at_ns, at_ns, True)
        self._push(at_ns, name)

    def cancel_timer(self, name: str) -> None:
        self._timers.pop(name, None)
        self._refresh_next()

    def cancel_timers_of(self, owner: str) -> None:
        for name in [t.name for t in self._timers.values() if t.owner == owner]:
            del self._timers[name]
        self._refresh_next()

    def timer_names(self, owner: str) -> list[str]:
        return sorted(t.name for t in self._timers.values() if t.owner == owner)

    def export_timers(self) -> list[tuple[str, str, int]]:
        """(name, owner, interval_ns) of every repeating timer, in creation order."""
        return [(t.name, t.owner, t.interval_ns) for t in self._timers.values() if not t.one_shot]

    def pop_next(self, up_to_ns: int) -> TimerFired | None:
        """The first firing due at or before ``up_to_ns`` (None if there is none)."""
        fired = self.pop_due(up_to_ns, 1)
        return fired[0] if fired else None

    def pop_due(self, up_to_ns: int, limit: int = 0) -> list[TimerFired]:
        """Every timer firing due at or before ``up_to_ns``, in firing order."""
        fired: list[TimerFired] = []
        heap = self._heap
        while heap and heap[0][0] <= up_to_ns and (limit == 0 or len(fired) < limit):
            due, _, name = heapq.heappop(heap)
            timer = self._timers.get(name)
            if timer is None or timer.next_ns != due:
                continue  # canceled or superseded entry
            fired.append(TimerFired(name=name, ts_event=due, owner=timer.owner))
            nxt = due + timer.interval_ns
            if timer.one_shot or (timer.stop_ns != 0 and nxt > timer.stop_ns):
                del self._timers[name]
            else:
                timer.next_ns = nxt
                self._push(nxt, name)
        self._refresh_next()
        return fired

    def _push(self, due: int, name: str) -> None:
        timer = self._timers[name]
        if timer.seq == 0:
            self._seq += 1
            timer.seq = self._seq
        heapq.heappush(self._heap, (due, timer.seq, name))
        self._refresh_next()

    def _refresh_next(self) -> None:
        heap = self._heap
        while heap:
            due, _, name = heap[0]
            timer = self._timers.get(name)
            if timer is not None and timer.next_ns == due:
                self.next_timer_ns = due
                return
            heapq.heappop(heap)
        self.next_timer_ns = 0


@final
class SimClock(Clock):
    """Event-time clock for backtests: moves only when the runner sets it, never backwards."""

    def __init__(self, start_ns: int = 0) -> None:
        super().__init__()
        self._now = start_ns

    def now_ns(self) -> int:
        return self._now

    def set_time(self, ts_ns: int) -> None:
        if ts_ns < self._now:
            raise ValueError(f"simulated time cannot go back from {self._now} to {ts_ns}")
        self._now = ts_ns


@final
class LiveClock(Clock):
    """Wall-clock time (UTC ns) for paper and live modes."""

    def now_ns(self) -> int:
        return time.time_ns()
