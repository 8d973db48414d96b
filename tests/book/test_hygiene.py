"""Stream hygiene: duplicates, reordering within a bound, gaps and resync."""

from __future__ import annotations

import pytest

from core.data.hygiene import SequencedStream, StreamGap, StreamGapError


def _feed(stream: SequencedStream[str], items: list[tuple[int, int]]) -> list[list[str]]:
    """Push ``(sequence, ts)`` pairs; each event is named after its sequence."""
    return [stream.push(f"m{seq}", sequence=seq, ts_ns=ts) for seq, ts in items]


def test_in_order_messages_pass_straight_through() -> None:
    stream: SequencedStream[str] = SequencedStream(next_sequence=1)
    assert _feed(stream, [(1, 0), (2, 1), (3, 2)]) == [["m1"], ["m2"], ["m3"]]
    assert stream.expected_sequence == 4
    assert (stream.received, stream.emitted, stream.duplicates, stream.reordered) == (3, 3, 0, 0)
    assert not stream.needs_resync and stream.gap is None and stream.incidents == []


def test_duplicates_are_dropped() -> None:
    stream: SequencedStream[str] = SequencedStream(next_sequence=1)
    out = _feed(stream, [(1, 0), (1, 1), (2, 2), (4, 3), (4, 4), (1, 5), (3, 6)])
    # 1 again: already out; 4 twice while waiting: the second copy is dropped
    assert out == [["m1"], [], ["m2"], [], [], [], ["m3", "m4"]]
    assert stream.duplicates == 3
    assert stream.emitted == 4


def test_swapped_messages_come_out_in_order() -> None:
    stream: SequencedStream[str] = SequencedStream(next_sequence=1, max_buffered=4)
    out = _feed(stream, [(1, 0), (3, 1), (2, 2), (5, 3), (4, 4), (6, 5)])
    assert out == [["m1"], [], ["m2", "m3"], [], ["m4", "m5"], ["m6"]]
    assert stream.reordered == 2
    assert stream.gap is None


def test_a_gap_filled_late_within_the_bound_is_no_incident() -> None:
    stream: SequencedStream[str] = SequencedStream(
        next_sequence=10, max_buffered=3, max_delay_ns=1_000
    )
    out = _feed(stream, [(10, 0), (12, 100), (13, 200), (14, 900), (11, 1_000)])
    # 11 arrives 900 ns after 12 (within 1000 ns), with 3 messages waiting (the limit)
    assert out == [["m10"], [], [], [], ["m11", "m12", "m13", "m14"]]
    assert stream.incidents == [] and stream.buffered == 0
    assert stream.expected_sequence == 15


def test_a_gap_beyond_the_buffer_bound_breaks_the_stream_until_resync() -> None:
    stream: SequencedStream[str] = SequencedStream(next_sequence=1, max_buffered=2)
    out = _feed(stream, [(1, 0), (2, 1), (4, 2), (5, 3), (6, 4)])
    assert out == [["m1"], ["m2"], [], [], []]
    gap = stream.gap
    assert gap == StreamGap(3, 3, "buffer_full", 4)
    assert gap is not None and gap.size == 1
    assert stream.needs_resync and stream.expected_sequence is None
    with pytest.raises(StreamGapError, match=r"3\.\.3 missing \(buffer_full\)"):
        stream.raise_if_broken()
    # while broken nothing comes out; messages are kept for the resync
    assert _feed(stream, [(7, 5), (3, 6)]) == [[], []]
    assert stream.buffered == 5
    # a snapshot valid through 5: 3..5 are stale, 6 and 7 follow it
    assert stream.resync(5) == ["m6", "m7"]
    assert stream.stale == 3 and stream.gap is None and stream.expected_sequence == 8
    assert _feed(stream, [(8, 7)]) == [["m8"]]
    assert stream.incidents == [gap]  # the history stays


def test_a_gap_older_than_the_delay_bound_times_out() -> None:
    stream: SequencedStream[str] = SequencedStream(
        next_sequence=1, max_buffered=100, max_delay_ns=500
    )
    assert _feed(stream, [(1, 0), (3, 100), (4, 550)]) == [["m1"], [], []]
    assert stream.gap is None  # 3 waited 450 ns
    stream.poll(601)  # a timer: nothing arrived, 3 has now waited 501 ns
    assert stream.gap == StreamGap(2, 2, "timeout", 601)
    # and a message arriving late notices the same
    late: SequencedStream[str] = SequencedStream(next_sequence=1, max_delay_ns=500)
    _feed(late, [(1, 0), (3, 100), (5, 700)])
    assert late.gap == StreamGap(2, 2, "timeout", 700)


def test_a_stream_without_a_start_waits_for_its_first_resync() -> None:
    stream: SequencedStream[str] = SequencedStream()
    assert stream.needs_resync and stream.gap is None
    assert _feed(stream, [(5, 0), (6, 1), (7, 2)]) == [[], [], []]
    assert stream.resync(5) == ["m6", "m7"]
    assert stream.stale == 1


def test_ranges_follow_binance_rules() -> None:
    # messages covering id ranges; the first after a resync may straddle the snapshot id
    stream: SequencedStream[str] = SequencedStream(max_buffered=0)
    stream.push("a", sequence=1, last_sequence=5, ts_ns=0)
    stream.push("b", sequence=6, last_sequence=9, ts_ns=1)
    stream.push("c", sequence=10, last_sequence=12, ts_ns=2)
    assert stream.resync(7) == ["b", "c"]  # a: u=5 <= 7 dropped; b: 6 <= 8 <= 9
    assert stream.push("d", sequence=13, last_sequence=13, ts_ns=3) == ["d"]
    # a later message overlapping ids already handed out contradicts the feed
    assert stream.push("e", sequence=13, last_sequence=15, ts_ns=4) == []
    assert stream.gap == StreamGap(13, 13, "overlap", 4)
    # strict mode: a hole is a gap at once
    strict: SequencedStream[str] = SequencedStream(next_sequence=1, max_buffered=0)
    assert strict.push("x", sequence=3, last_sequence=4, ts_ns=9) == []
    assert strict.gap == StreamGap(1, 2, "buffer_full", 9)


def test_a_snapshot_older_than_every_buffered_message_is_a_gap() -> None:
    stream: SequencedStream[str] = SequencedStream(max_buffered=0)
    stream.push("a", sequence=20, last_sequence=25, ts_ns=0)
    assert stream.resync(10) == []
    assert stream.gap == StreamGap(11, 19, "buffer_full", 0)


def test_close_reports_messages_left_waiting() -> None:
    stream: SequencedStream[str] = SequencedStream(next_sequence=1)
    _feed(stream, [(1, 0), (3, 1)])
    assert stream.close(50) == StreamGap(2, 2, "end_of_stream", 50)
    clean: SequencedStream[str] = SequencedStream(next_sequence=1)
    _feed(clean, [(1, 0)])
    assert clean.close(50) is None


def test_pending_messages_are_capped() -> None:
    stream: SequencedStream[str] = SequencedStream(max_pending=3)
    _feed(stream, [(1, 0), (2, 1), (3, 2), (4, 3), (5, 4)])
    assert stream.overflowed == 2 and stream.buffered == 3
    assert stream.resync(2) == ["m3", "m4", "m5"]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="max_buffered"):
        SequencedStream(max_buffered=-1)
    with pytest.raises(ValueError, match="max_delay_ns"):
        SequencedStream(max_delay_ns=-1)
    with pytest.raises(ValueError, match="max_pending"):
        SequencedStream(max_pending=0)
    stream: SequencedStream[str] = SequencedStream(next_sequence=1)
    with pytest.raises(ValueError, match="backwards"):
        stream.push("x", sequence=5, last_sequence=4, ts_ns=0)
    assert "timeout" in repr(StreamGap(1, 2, "timeout", 0))
