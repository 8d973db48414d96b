"""Visual replay: a backtest paced at N x event time takes the wall time that implies and
produces exactly the result of the same backtest run as fast as possible."""

from __future__ import annotations

import time

from core.data import generate_bars
from core.instruments import equity
from core.session import TradingSession
from core.values import Money
from strategies.sma_cross import SmaCross, SmaCrossConfig
from venues.simulated import FillConfig, SimulatedVenue

SECOND = 1_000_000_000


def _run(speed: float) -> tuple[float, list[tuple[int, int, int]], list[int]]:
    inst = equity("SYN")
    # 600 one-second bars: ten minutes of event time
    bars = generate_bars(600, seed=3, instrument_id=inst.id, period_ns=SECOND)
    venue = SimulatedVenue("SIM", instruments=[inst], fill=FillConfig(participation=None))
    session = TradingSession(instruments=[inst], venues=[venue])
    config = SmaCrossConfig(instrument_id=inst.id, fast=3, slow=8, qty=10)
    session.add_strategy(SmaCross(config), Money.parse("100000", "USD"))
    started = time.perf_counter()
    result = session.run_backtest([bars], speed=speed)
    wall = time.perf_counter() - started
    trips = [(t.entry_ts, t.exit_ts, t.net_pnl_raw) for t in result.round_trips]
    return wall, trips, result.equity_raw.tolist()


def test_paced_replay_takes_event_time_over_speed_and_changes_nothing() -> None:
    fast_wall, fast_trips, fast_equity = _run(0.0)
    paced_wall, paced_trips, paced_equity = _run(1200.0)  # 600 s of events at 1200x: 0.5 s
    assert paced_wall >= 0.45
    assert paced_wall < 5.0
    assert fast_wall < paced_wall
    assert paced_trips == fast_trips and len(fast_trips) > 5
    assert paced_equity == fast_equity
