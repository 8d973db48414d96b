"""Stream hygiene for sequenced feeds: duplicates out, reordering within a bound, gaps reported.

A sequenced feed numbers its messages; a message covers the update ids ``first..last``
(``first == last`` for feeds that number every message, a range for feeds that batch updates,
such as Binance's diff-depth stream where ``U..u`` must follow the previous ``u`` exactly).
``SequencedStream`` takes messages as they arrive and hands them back in sequence order:

- a message whose ids were all handed out already is a **duplicate** and is dropped;
- a message that arrives early (a later id while an earlier one is still missing) waits in a
  **bounded** buffer: at most ``max_buffered`` messages, none older than ``max_delay_ns``
  (arrival time, on the caller's clock);
- when the missing ids do not arrive within that bound, the stream **breaks**: it records a
  ``StreamGap`` (the missing range and why it was given up on), hands out nothing more and
  keeps what arrives (up to ``max_pending`` messages) until the consumer rebuilds its state
  from a snapshot and calls ``resync(snapshot_sequence)``. Messages older than the snapshot are
  then dropped, and the first message handed out may overlap it (``first <= s + 1 <= last``),
  which is the rule of Binance's book-sync procedure. After that every message must start
  exactly where the previous one ended; one that overlaps it breaks the stream as a gap does.

A stream created without ``next_sequence`` starts broken: it waits for the first ``resync``.
``max_buffered=0`` is the strict mode of exchange sync procedures: any hole is a gap at once.

The stream never raises on bad sequencing (that is data, not a bug): ``push`` returns the
messages it can hand out, and ``gap`` / ``needs_resync`` say whether a resync is due. A caller
that prefers an exception calls ``raise_if_broken()``.
"""

from __future__ import annotations

from typing import Final, Generic, TypeVar, final

from core.data.display import format_ts_ns

E = TypeVar("E")

GAP_BUFFER_FULL: Final = "buffer_full"
GAP_TIMEOUT: Final = "timeout"
GAP_OVERLAP: Final = "overlap"
GAP_END_OF_STREAM: Final = "end_of_stream"


@final
class StreamGap:
    """An incident: update ids ``first_missing..last_missing`` never arrived (in time).

    ``reason`` is ``"buffer_full"`` (too many messages waited behind the hole), ``"timeout"``
    (the oldest waited longer than ``max_delay_ns``), ``"overlap"`` (a message re-covered ids
    already handed out, so the feed contradicts itself; the range is then those ids) or
    ``"end_of_stream"`` (``close`` found messages still waiting).
    """

    __slots__ = ("first_missing", "last_missing", "reason", "ts_detected")

    def __init__(
        self, first_missing: int, last_missing: int, reason: str, ts_detected: int
    ) -> None:
        self.first_missing: Final = first_missing
        self.last_missing: Final = last_missing
        self.reason: Final = reason
        self.ts_detected: Final = ts_detected

    @property
    def size(self) -> int:
        return self.last_missing - self.first_missing + 1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StreamGap) and (
            (other.first_missing, other.last_missing, other.reason, other.ts_detected)
            == (self.first_missing, self.last_missing, self.reason, self.ts_detected)
        )

    def __hash__(self) -> int:
        return hash((self.first_missing, self.last_missing, self.reason, self.ts_detected))

    def __repr__(self) -> str:
        return (
            f"StreamGap({self.first_missing}..{self.last_missing}, {self.reason}, "
            f"detected {format_ts_ns(self.ts_detected)})"
        )


class StreamGapError(RuntimeError):
    """Raised by ``raise_if_broken`` (and by consumers that cannot resync) for a gap."""

    def __init__(self, gap: StreamGap, what: str = "stream") -> None:
        self.gap: Final = gap
        super().__init__(
            f"{what}: update ids {gap.first_missing}..{gap.last_missing} missing "
            f"({gap.reason}); a resync from a new snapshot is needed"
        )


@final
class _Held(Generic[E]):
    """A message waiting in the buffer, with its ids and arrival time."""

    __slots__ = ("event", "first", "last", "ts_arrival")

    def __init__(self, event: E, first: int, last: int, ts_arrival: int) -> None:
        self.event: Final = event
        self.first: Final = first
        self.last: Final = last
        self.ts_arrival: Final = ts_arrival


@final
class SequencedStream(Generic[E]):
    """Hands out sequenced messages in order; see the module docstring for the rules."""

    def __init__(
        self,
        *,
        max_buffered: int = 64,
        max_delay_ns: int = 1_000_000_000,
        next_sequence: int | None = None,
        max_pending: int = 100_000,
    ) -> None:
        if max_buffered < 0:
            raise ValueError(f"max_buffered must not be negative, got {max_buffered}")
        if max_delay_ns < 0:
            raise ValueError(f"max_delay_ns must not be negative, got {max_delay_ns}")
        if max_pending <= 0:
            raise ValueError(f"max_pending must be positive, got {max_pending}")
        self.max_buffered: Final = max_buffered
        self.max_delay_ns: Final = max_delay_ns
        self.max_pending: Final = max_pending
        self._expected: int | None = next_sequence
        self._after_resync = False
        # early messages keyed by their first id, while synchronised
        self._buffer: dict[int, _Held[E]] = {}
        # everything that arrives while broken (or before the first resync), arrival order
        self._pending: list[_Held[E]] = []
        self.gap: StreamGap | None = None
        self.incidents: Final[list[StreamGap]] = []
        self.received = 0
        self.emitted = 0
        self.duplicates = 0
        self.reordered = 0  # handed out after waiting in the buffer
        self.stale = 0  # older than the snapshot of a resync
        self.overflowed = 0  # pending messages dropped (oldest first) beyond max_pending

    @property
    def expected_sequence(self) -> int | None:
        """The next id to hand out; ``None`` while the stream waits for a resync."""
        return None if self.gap is not None else self._expected

    @property
    def needs_resync(self) -> bool:
        return self._expected is None or self.gap is not None

    @property
    def buffered(self) -> int:
        """Messages waiting: in the reorder buffer, or for a resync."""
        return len(self._buffer) + len(self._pending)

    def raise_if_broken(self, what: str = "stream") -> None:
        if self.gap is not None:
            raise StreamGapError(self.gap, what)

    def push(
        self, event: E, *, sequence: int, ts_ns: int, last_sequence: int | None = None
    ) -> list[E]:
        """Take one message covering ids ``sequence..last_sequence`` (default: one id),
        arrived at ``ts_ns``; return the messages now due, in order (often just this one)."""
        last = sequence if last_sequence is None else last_sequence
        if last < sequence:
            raise ValueError(f"message ids run backwards: {sequence}..{last}")
        self.received += 1
        held = _Held(event, sequence, last, ts_ns)
        if self.needs_resync:
            self._hold_pending(held)
            return []
        out: list[E] = []
        self._accept(held, out)
        if self.gap is None:
            self._check_timeout(ts_ns)
        return out

    def poll(self, now_ns: int) -> None:
        """Give up on a hole whose oldest waiting message is older than ``max_delay_ns``
        (call from a timer: a quiet feed sends no message that would notice)."""
        if not self.needs_resync:
            self._check_timeout(now_ns)

    def resync(self, sequence: int) -> list[E]:
        """The consumer rebuilt its state from a snapshot valid through id ``sequence``:
        drop what is older, hand out what follows (the first message may overlap it)."""
        held = sorted(self._pending + list(self._buffer.values()), key=lambda h: (h.first, h.last))
        self._pending = []
        self._buffer = {}
        self.gap = None
        self._expected = sequence + 1
        self._after_resync = True
        out: list[E] = []
        for item in held:
            if self.gap is not None:
                self._hold_pending(item)
            elif item.last <= sequence:
                self.stale += 1
            else:
                self._accept(item, out)
        if self.gap is None and held:
            self._check_timeout(max(item.ts_arrival for item in held))
        return out

    def close(self, ts_ns: int) -> StreamGap | None:
        """End of the stream: messages still waiting behind a hole make a final gap."""
        if self.gap is None and self._buffer and self._expected is not None:
            self._break(self._expected, min(self._buffer) - 1, GAP_END_OF_STREAM, ts_ns)
        return self.gap

    # -- internals ------------------------------------------------------------------------

    def _accept(self, held: _Held[E], out: list[E]) -> None:
        expected = self._expected_now()
        if held.last < expected:
            self.duplicates += 1
            return
        if held.first > expected:
            if held.first in self._buffer:
                self.duplicates += 1
                return
            self._buffer[held.first] = held
            if len(self._buffer) > self.max_buffered:
                self._break(expected, min(self._buffer) - 1, GAP_BUFFER_FULL, held.ts_arrival)
            return
        if held.first < expected and not self._after_resync:
            # re-covers ids already handed out: the feed contradicts itself, rebuild
            self._break(held.first, expected - 1, GAP_OVERLAP, held.ts_arrival)
            self._hold_pending(held)
            return
        self._emit(held, out)
        while self._expected in self._buffer:
            self.reordered += 1
            self._emit(self._buffer.pop(self._expected), out)

    def _emit(self, held: _Held[E], out: list[E]) -> None:
        out.append(held.event)
        self.emitted += 1
        self._expected = held.last + 1
        self._after_resync = False

    def _check_timeout(self, now_ns: int) -> None:
        if not self._buffer:
            return
        oldest = min(held.ts_arrival for held in self._buffer.values())
        if now_ns - oldest > self.max_delay_ns:
            self._break(self._expected_now(), min(self._buffer) - 1, GAP_TIMEOUT, now_ns)

    def _expected_now(self) -> int:
        expected = self._expected
        if expected is None:  # a bug here, not bad data: only called while synchronised
            raise RuntimeError("SequencedStream: no expected id while synchronised")
        return expected

    def _break(self, first: int, last: int, reason: str, ts_ns: int) -> None:
        gap = StreamGap(first, last, reason, ts_ns)
        self.incidents.append(gap)
        self.gap = gap
        for key in sorted(self._buffer):
            self._hold_pending(self._buffer[key])
        self._buffer = {}

    def _hold_pending(self, held: _Held[E]) -> None:
        self._pending.append(held)
        if len(self._pending) > self.max_pending:
            del self._pending[0]
            self.overflowed += 1
