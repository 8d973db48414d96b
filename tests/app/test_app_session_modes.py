"""One strategy instance: backtest, then paper on the same kernel. It keeps its state, its
positions and its working orders, the clock becomes the wall clock, and it goes on trading."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from core.clock import LiveClock, SimClock
from core.data import generate_bars
from core.enums import OrderSide, StrategyStatus
from core.events import Event, OrderFilled
from core.instruments import Instrument
from core.live import RecordedFeed, SyntheticLiveFeed
from core.session import BACKTEST, PAPER

DAY_NS = 86_400_000_000_000
# the schedule (buy at bars 5, 25, 45, 65; sell at 15, 35, 55; next sell at 75) ends long 10
BACKTEST_BARS = 70


def test_backtest_then_paper_with_the_same_instance(
    make_session: Callable[..., Any],
    syn_instrument: Instrument,
    counting_trader: type[Any],
    usd: Callable[[str], Any],
) -> None:
    session, venue = make_session([syn_instrument])
    iid = syn_instrument.id
    strategy = counting_trader(iid, every=10, offset=5, qty=10, rest_limit_at=68)
    session.add_strategy(strategy, usd("100000"))
    events: list[Event] = []
    session.kernel.add_listener(events.append)
    bars = generate_bars(BACKTEST_BARS, seed=3, instrument_id=iid, period_ns=DAY_NS)

    result = session.run_backtest([bars])

    # -- end of the backtest: state, a long position, a resting order, simulated time
    ctx = strategy.ctx
    assert session.mode == BACKTEST
    assert isinstance(session.clock, SimClock)
    assert ctx.state["bars"] == BACKTEST_BARS
    position = ctx.position(iid)
    assert position.signed_qty_raw == syn_instrument.make_qty(10).raw
    held = (position.signed_qty_raw, position.cost_raw, position.realized_raw)
    cash_before = ctx.cash().raw
    trips_before = len(result.round_trips)
    assert trips_before == 3
    fills_before = list(strategy.fills)
    assert len(fills_before) == 7
    resting = ctx.order(strategy.resting_id)
    assert resting is not None
    assert resting.status_name() == "ACCEPTED"
    assert [o.client_order_id for o in ctx.open_orders()] == [strategy.resting_id]
    assert venue.working_order_ids(iid) == [strategy.resting_id]
    last_backtest_ts = int(bars.ts_event[-1])
    assert ctx.now_ns() == last_backtest_ts

    # -- paper on the same kernel, same strategy object
    switched_at = time.time_ns()
    feed = SyntheticLiveFeed(syn_instrument, seed=4, quote_interval_s=0.01, bar_interval_s=0.02)
    asyncio.run(session.run_paper(feed, duration_s=1.2))
    ended_at = time.time_ns()

    assert session.mode == PAPER
    assert isinstance(session.clock, LiveClock)
    assert session.kernel.clock is session.clock
    assert switched_at <= ctx.now_ns() <= time.time_ns()
    assert session.kernel.record(strategy.strategy_id).status == StrategyStatus.RUNNING

    # the counter went on from where the backtest left it, one bar at a time
    counts = [seen[0] for seen in strategy.seen]
    assert counts == list(range(1, len(counts) + 1))
    paper_seen = [seen for seen in strategy.seen if seen[0] > BACKTEST_BARS]
    assert len(paper_seen) >= 20, "too few live bars arrived to test anything"
    assert ctx.state["bars"] == counts[-1] == BACKTEST_BARS + len(paper_seen)
    # every live bar is stamped by the wall clock, after the switch
    for _, bar_ts, now, *_ in paper_seen:
        assert switched_at <= bar_ts <= ended_at
        assert bar_ts <= now
    # the first live bar saw exactly the position and cash the backtest ended with
    first = paper_seen[0]
    assert first[3:] == (*held[:2], cash_before)
    assert ctx.position(iid) is position

    # it went on trading: new orders numbered after the backtest's, filled after the switch
    paper_fills = strategy.fills[len(fills_before) :]
    assert strategy.fills[: len(fills_before)] == fills_before
    assert len(paper_fills) >= 2
    assert all(switched_at <= ts <= ended_at for _, _, ts in paper_fills)
    numbers = [int(coid.rsplit("-", 1)[1]) for coid, _, _ in strategy.fills]
    assert numbers == sorted(numbers)
    # the schedule continues where it was: the next order is the sell of bar 75
    assert paper_fills[0][1] == OrderSide.SELL
    trips = session.kernel.portfolio.accounts["counter"].round_trips
    assert len(trips) > trips_before
    assert trips[:trips_before] == result.round_trips
    # the resting order from the backtest is still working at the venue (1% of the price)
    assert resting.status_name() == "ACCEPTED"
    assert strategy.resting_id in venue.working_order_ids(iid)
    filled = [e for e in events if isinstance(e, OrderFilled)]
    assert len(filled) == len(strategy.fills)


def test_paper_replay_of_a_recording_at_high_speed(
    make_session: Callable[..., Any],
    syn_instrument: Instrument,
    counting_trader: type[Any],
    usd: Callable[[str], Any],
) -> None:
    """Backtest the first 60 days, then replay the next 40 in real time at 17 million x (a day
    every 5 ms): the bars arrive with their spacing, stamped by the wall clock."""
    iid = syn_instrument.id
    bars = generate_bars(100, seed=9, instrument_id=iid, period_ns=DAY_NS)
    split_ts = int(bars.ts_event[59]) + 1
    history, recording = bars.slice_time(None, split_ts), bars.slice_time(split_ts, None)
    assert (len(history), len(recording)) == (60, 40)
    session, _ = make_session([syn_instrument])
    strategy = counting_trader(iid, every=4, offset=1, qty=5)
    session.add_strategy(strategy, usd("100000"))
    session.run_backtest([history])
    fills_in_backtest = len(strategy.fills)

    seconds_per_day = 0.005
    started = time.time_ns()
    asyncio.run(session.run_paper(RecordedFeed([recording], speed=DAY_NS / 1e9 / seconds_per_day)))
    ended = time.time_ns()

    live = strategy.seen[60:]
    assert [seen[0] for seen in live] == list(range(61, 101))  # every recorded bar, in order
    assert strategy.closes[60:] == recording.close.tolist()  # the recorded prices
    stamps = [seen[1] for seen in live]
    assert stamps == sorted(stamps)
    assert started <= stamps[0] and stamps[-1] <= ended
    # the spacing is kept: 39 gaps of 5 ms take at least 195 ms of wall time
    assert (stamps[-1] - stamps[0]) / 1e9 >= 39 * seconds_per_day * 0.95
    assert (ended - started) / 1e9 < 5.0
    assert len(strategy.fills) > fills_in_backtest
    assert all(ts >= started for _, _, ts in strategy.fills[fills_in_backtest:])


def test_backtest_after_paper_is_refused(
    make_session: Callable[..., Any],
    syn_instrument: Instrument,
    counting_trader: type[Any],
    usd: Callable[[str], Any],
) -> None:
    session, _ = make_session([syn_instrument])
    strategy = counting_trader(syn_instrument.id)
    session.add_strategy(strategy, usd("100000"))
    bars = generate_bars(30, seed=1, instrument_id=syn_instrument.id, period_ns=DAY_NS)
    session.run_backtest([bars])
    session.switch_to_paper()
    with pytest.raises(RuntimeError, match="this session is in paper mode; backtests run first"):
        session.run_backtest([bars])
    assert strategy.ctx.state["bars"] == 30


def test_data_older_than_the_clock_is_refused_and_loses_nothing(
    make_session: Callable[..., Any],
    syn_instrument: Instrument,
    counting_trader: type[Any],
    usd: Callable[[str], Any],
) -> None:
    """Continuing a backtest with bars from before its clock: a clear error; the positions,
    orders and state of the run so far are untouched."""
    iid = syn_instrument.id
    session, _ = make_session([syn_instrument])
    strategy = counting_trader(iid, every=10, offset=5, qty=10, rest_limit_at=20)
    session.add_strategy(strategy, usd("100000"))
    bars = generate_bars(30, seed=2, instrument_id=iid, period_ns=DAY_NS)
    session.run_backtest([bars])
    ctx = strategy.ctx
    position = ctx.position(iid)
    before = (
        position.signed_qty_raw,
        position.cost_raw,
        ctx.cash().raw,
        [(o.client_order_id, o.status_name()) for o in session.kernel.orders],
        dict(ctx.state),
    )
    assert before[0] != 0
    with pytest.raises(ValueError, match="simulated time cannot go back"):
        session.run_backtest([bars.slice_time(None, int(bars.ts_event[5]))])
    after = (
        position.signed_qty_raw,
        position.cost_raw,
        ctx.cash().raw,
        [(o.client_order_id, o.status_name()) for o in session.kernel.orders],
        dict(ctx.state),
    )
    assert after == before
    # and the session still works with data that moves forward
    later = generate_bars(
        10, seed=3, instrument_id=iid, period_ns=DAY_NS, start_ns=int(bars.ts_event[-1])
    )
    session.run_backtest([later])
    assert ctx.state["bars"] == 40


def test_synthetic_live_feed_is_seeded_and_on_the_grid(syn_instrument: Instrument) -> None:
    """Same seed, same price path (only the wall-clock stamps differ between runs)."""
    feed = SyntheticLiveFeed(syn_instrument, seed=1, quote_interval_s=0.01, bar_interval_s=0.03)
    assert feed.quotes_per_bar == 3
    mids = [feed.next_mid_raw() for _ in range(50)]
    tick = syn_instrument.tick_size.raw
    assert all(m % tick == 0 and m > 0 for m in mids)
    again = SyntheticLiveFeed(syn_instrument, seed=1, quote_interval_s=0.01, bar_interval_s=0.03)
    assert [again.next_mid_raw() for _ in range(50)] == mids
