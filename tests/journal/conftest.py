"""Fixtures for the trade journal tests: real SQLite files in ``tmp_path`` (never ``:memory:``),
a small journaled backtest, and a kernel driven bar by bar by a scripted strategy.

With ``--import-mode=importlib`` a test module cannot import a sibling helper, so everything
shared reaches the tests through fixtures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.clock import SimClock
from core.data import generate_bars
from core.events import Event
from core.instruments import Instrument, equity
from core.journal import SqliteJournal
from core.kernel import Kernel
from core.market import Bar
from core.reports import JsonValue, build_report
from core.session import BacktestResult, TradingSession
from core.strategy import Strategy
from core.values import Money, Price, Qty
from strategies.sma_cross import SmaCross, SmaCrossConfig
from venues.simulated import BpsFee, FillConfig, SimulatedVenue

SEC = 1_000_000_000
MIN = 60 * SEC
T0 = 1_704_205_800 * SEC  # 2024-01-02 14:30 UTC


@pytest.fixture
def journal_file(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite"


# a journaled backtest ---------------------------------------------------------------------------
@dataclass
class JournaledBacktest:
    path: Path
    run_id: int
    session: TradingSession
    result: BacktestResult
    report: dict[str, JsonValue]
    published: Counter[str]  # event class name -> how many the kernel published
    instrument: Instrument


def _backtest(
    path: Path,
    *,
    bars: int = 4000,
    batch_rows: int = 500,
    seed: int = 7,
    background: bool | None = None,
) -> JournaledBacktest:
    instrument = equity("SYN", "SIM")
    series = generate_bars(bars, seed=seed, instrument_id=instrument.id)
    venue = SimulatedVenue(
        "SIM", instruments=[instrument], fees=BpsFee(1), fill=FillConfig(participation=None)
    )
    session = TradingSession(instruments=[instrument], venues=[venue])
    config = SmaCrossConfig(instrument_id=instrument.id, fast=5, slow=20, qty=100, allow_short=True)
    session.add_strategy(SmaCross(config), Money.parse("100000", "USD"))
    published: Counter[str] = Counter()

    def count(event: Event) -> None:
        published[type(event).__name__] += 1

    session.kernel.add_listener(count)
    parameters: dict[str, Any] = {"fast": "5", "slow": "20", "qty": "100"}
    data: list[dict[str, Any]] = [
        {
            "source": f"synthetic:{bars}:{seed}",
            "instrument": instrument.id,
            "rows": len(series),
            "first_ts": int(series.ts_event[0]),
            "last_ts": int(series.ts_event[-1]),
        }
    ]
    settings: dict[str, Any] = {"cash": "100000", "currency": "USD", "fee": "bps:1"}
    journal = SqliteJournal(path, batch_rows=batch_rows, background=background)
    run_id = journal.begin_run(
        "backtest",
        kernel=session.kernel,
        label="sma_cross",
        parameters=parameters,
        data=data,
        settings=settings,
        seeds={"data": seed},
    )
    result = session.run_backtest([series], per_strategy=True)
    journal.end_run(result)
    journal.close()
    report = build_report(
        result, strategy="sma_cross", parameters=parameters, data=data, settings=settings
    )
    return JournaledBacktest(path, run_id, session, result, report, published, instrument)


@pytest.fixture
def journaled_backtest() -> Callable[..., JournaledBacktest]:
    """``journaled_backtest(path, bars=..., batch_rows=..., seed=..., background=...)``: an
    SMA-cross backtest on synthetic bars, journaled into ``path``."""
    return _backtest


# a kernel driven bar by bar ----------------------------------------------------------------------
Action = Callable[["ScriptedStrategy", Bar], None]


class ScriptedStrategy(Strategy):
    """Runs ``script[n](self, bar)`` on the n-th bar (1-based); ``on_fill_hook`` sees fills."""

    def __init__(self, iid: str, script: dict[int, Action]) -> None:
        super().__init__(strategy_id="S1", instrument_ids=(iid,))
        self.iid = iid
        self.script = script
        self.bars_seen = 0
        self.on_fill_hook: Callable[[Any], None] | None = None

    def on_bar(self, bar: Bar) -> None:
        self.bars_seen += 1
        action = self.script.get(self.bars_seen)
        if action is not None:
            action(self, bar)

    def on_fill(self, fill: Any) -> None:
        if self.on_fill_hook is not None:
            self.on_fill_hook(fill)


@dataclass
class ScriptedKernel:
    kernel: Kernel
    strategy: ScriptedStrategy
    instrument: Instrument
    bars_sent: int = 0

    def bar(self, o: str, h: str, lo: str, c: str, v: int = 1_000_000) -> None:
        self.bars_sent += 1
        ts = T0 + self.bars_sent * MIN
        px = Price.parse
        self.kernel.on_bar(Bar.of(self.instrument.id, ts, px(o), px(h), px(lo), px(c), Qty.of(v)))


def _scripted(script: dict[int, Action], *, participation: float | None = None) -> ScriptedKernel:
    instrument = equity("AAA", "SIM")
    venue = SimulatedVenue(
        "SIM",
        instruments=[instrument],
        fees=BpsFee(2),
        fill=FillConfig(participation=participation),
    )
    kernel = Kernel(SimClock(T0))
    kernel.add_instrument(instrument)
    kernel.add_venue(venue)
    strategy = ScriptedStrategy(instrument.id, script)
    kernel.add_strategy(strategy, Money.parse("1000000", "USD"))
    return ScriptedKernel(kernel, strategy, instrument)


@pytest.fixture
def scripted_kernel() -> Callable[..., ScriptedKernel]:
    """``scripted_kernel({n: action}, participation=None)``: a kernel (SimClock, simulated venue,
    2 bp fees) with one ``ScriptedStrategy`` "S1" trading AAA.SIM; not started yet."""
    return _scripted
