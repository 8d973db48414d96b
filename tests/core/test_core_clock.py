"""core.clock: SimClock/LiveClock and the timer heap (due time, then creation order)."""

from __future__ import annotations

import time

import pytest

from core.clock import LiveClock, SimClock


def fired(clock: SimClock, up_to: int) -> list[tuple[str, int]]:
    return [(f.name, f.ts_event) for f in clock.pop_due(up_to)]


def test_sim_clock_moves_forward_only() -> None:
    clock = SimClock(100)
    assert clock.now_ns() == 100
    clock.set_time(100)  # standing still is fine
    clock.set_time(250)
    assert clock.now_ns() == 250
    with pytest.raises(ValueError, match="cannot go back from 250 to 249"):
        clock.set_time(249)
    assert clock.now_ns() == 250


def test_live_clock_reads_the_wall_clock() -> None:
    before = time.time_ns()
    now = LiveClock().now_ns()
    assert before <= now <= time.time_ns()


def test_repeating_timer_fires_every_interval() -> None:
    clock = SimClock(0)
    clock.set_timer("t", "S1", 10)
    assert clock.next_timer_ns == 10
    assert fired(clock, 35) == [("t", 10), ("t", 20), ("t", 30)]
    assert clock.next_timer_ns == 40
    assert fired(clock, 39) == []
    assert fired(clock, 40) == [("t", 40)]


def test_timer_with_start_and_stop() -> None:
    clock = SimClock(0)
    clock.set_timer("t", "S1", 10, start_ns=5, stop_ns=25)
    assert fired(clock, 100) == [("t", 5), ("t", 15), ("t", 25)]
    assert clock.timer_names("S1") == []
    assert clock.next_timer_ns == 0


def test_first_firing_defaults_to_now_plus_interval() -> None:
    clock = SimClock(1_000)
    clock.set_timer("t", "S1", 7)
    assert clock.next_timer_ns == 1_007


def test_timers_fire_in_due_then_creation_order() -> None:
    clock = SimClock(0)
    clock.set_alert("late", "S1", 30)
    clock.set_alert("x", "S1", 20)
    clock.set_alert("y", "S2", 20)
    clock.set_timer("z", "S1", 20)
    assert fired(clock, 30) == [("x", 20), ("y", 20), ("z", 20), ("late", 30)]


def test_repeating_timers_keep_creation_order_on_ties() -> None:
    clock = SimClock(0)
    clock.set_timer("a", "S1", 2)  # created first
    clock.set_timer("b", "S1", 3)
    # both are due at 6: "a" was created first, so it fires first
    assert fired(clock, 6) == [("a", 2), ("b", 3), ("a", 4), ("a", 6), ("b", 6)]


def test_alert_fires_once() -> None:
    clock = SimClock(0)
    clock.set_alert("once", "S1", 15)
    assert fired(clock, 100) == [("once", 15)]
    assert fired(clock, 1_000) == []
    assert clock.timer_names("S1") == []
    assert clock.next_timer_ns == 0


def test_alert_in_the_past_fires_at_the_next_pop_with_its_own_time() -> None:
    clock = SimClock(50)
    clock.set_alert("past", "S1", 10)
    assert fired(clock, 50) == [("past", 10)]


def test_cancel_before_due() -> None:
    clock = SimClock(0)
    clock.set_timer("a", "S1", 10)
    clock.set_alert("b", "S1", 15)
    clock.cancel_timer("a")
    assert clock.next_timer_ns == 15
    clock.cancel_timer("b")
    assert clock.next_timer_ns == 0
    assert fired(clock, 100) == []
    clock.cancel_timer("never-existed")  # a no-op


def test_cancel_then_recreate_with_the_same_name_fires_once() -> None:
    clock = SimClock(0)
    clock.set_timer("t", "S1", 10)
    clock.cancel_timer("t")
    clock.set_timer("t", "S1", 10)
    assert fired(clock, 10) == [("t", 10)]
    clock.cancel_timer("t")
    clock.set_alert("t", "S1", 20)
    assert fired(clock, 30) == [("t", 20)]


def test_cancel_timers_of_one_owner() -> None:
    clock = SimClock(0)
    clock.set_timer("S1:a", "S1", 10)
    clock.set_alert("S1:b", "S1", 5)
    clock.set_timer("S2:a", "S2", 10)
    clock.cancel_timers_of("S1")
    assert clock.timer_names("S1") == []
    assert clock.timer_names("S2") == ["S2:a"]
    assert fired(clock, 10) == [("S2:a", 10)]


def test_bad_timers_are_refused() -> None:
    clock = SimClock(0)
    with pytest.raises(ValueError, match="interval must be positive"):
        clock.set_timer("t", "S1", 0)
    clock.set_timer("t", "S1", 5)
    with pytest.raises(ValueError, match="already exists"):
        clock.set_timer("t", "S1", 5)
    with pytest.raises(ValueError, match="already exists"):
        clock.set_alert("t", "S1", 5)


def test_a_timer_that_stops_before_it_starts_never_fires() -> None:
    clock = SimClock(0)
    try:
        clock.set_timer("t", "S1", 10, start_ns=50, stop_ns=40)
    except ValueError:
        return  # refusing it up front is fine too
    assert fired(clock, 100) == []


def test_export_timers_lists_repeating_timers_in_creation_order() -> None:
    clock = SimClock(0)
    clock.set_timer("S2:z", "S2", 30)
    clock.set_alert("S1:alert", "S1", 5)
    clock.set_timer("S1:a", "S1", 10)
    assert clock.export_timers() == [("S2:z", "S2", 30), ("S1:a", "S1", 10)]


def test_next_timer_is_the_earliest_live_entry() -> None:
    clock = SimClock(0)
    clock.set_timer("a", "S1", 100)
    clock.set_timer("b", "S1", 10)
    assert clock.next_timer_ns == 10
    clock.cancel_timer("b")
    assert clock.next_timer_ns == 100
