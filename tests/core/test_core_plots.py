"""ctx.plot: a strategy declares its chart lines once; the kernel samples them after each bar
of their instrument, only while a chart asks for it (record_plots)."""

from __future__ import annotations

import math

from core.data import generate_bars
from core.instruments import equity
from core.session import TradingSession
from core.values import Money
from strategies.sma_cross import SmaCross, SmaCrossConfig
from venues.simulated import SimulatedVenue


def _session() -> tuple[TradingSession, SmaCross]:
    inst = equity("SYN")
    session = TradingSession(instruments=[inst], venues=[SimulatedVenue("SIM", instruments=[inst])])
    strategy = SmaCross(SmaCrossConfig(instrument_id=inst.id, fast=3, slow=8))
    session.add_strategy(strategy, Money.parse("100000", "USD"))
    return session, strategy


def test_declared_lines_are_sampled_at_every_bar_when_recording() -> None:
    session, strategy = _session()
    session.kernel.record_plots = True
    bars = generate_bars(50, seed=1, instrument_id="SYN.SIM")
    session.run_backtest([bars])
    lines = session.kernel.record(strategy.strategy_id).plots
    assert [line.name for line in lines] == ["SMA 3", "SMA 8"]
    fast = lines[0]
    assert fast.instrument_id == "SYN.SIM"
    assert fast.ts == bars.ts_event.tolist()
    closes = bars.close / 1e9
    assert all(math.isnan(v) for v in fast.values[:2])
    for i in range(2, 50):
        assert math.isclose(fast.values[i], closes[i - 2 : i + 1].mean(), rel_tol=1e-12)
    assert fast.values[-1] == strategy.fast_sma.value


def test_nothing_is_sampled_unless_a_chart_records() -> None:
    session, strategy = _session()
    session.run_backtest([generate_bars(50, seed=1, instrument_id="SYN.SIM")])
    lines = session.kernel.record(strategy.strategy_id).plots
    assert len(lines) == 2 and all(len(line) == 0 for line in lines)


def test_declaring_again_after_a_mode_switch_keeps_the_samples() -> None:
    session, strategy = _session()
    session.kernel.record_plots = True
    session.run_backtest([generate_bars(20, seed=1, instrument_id="SYN.SIM")])
    before = list(session.kernel.record(strategy.strategy_id).plots[0].values)
    strategy.on_start()  # what a mode switch does
    lines = session.kernel.record(strategy.strategy_id).plots
    assert len(lines) == 2 and lines[0].values == before
