"""The equity curve rebuilt after a run equals the live equity after every event, exactly."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.data import BarSeries, generate_bars
from core.enums import OrderSide
from core.instruments import Instrument
from core.market import Bar
from core.session import TradingSession
from core.strategy import Strategy
from core.values import Money, Price, Qty
from venues.simulated import FillConfig, SimulatedVenue

MINUTE = 60_000_000_000


class RandomTrader(Strategy):
    """Trades at random and writes down its own equity at the end of every event it sees."""

    def __init__(self, seed: int, instrument_ids: tuple[str, ...]) -> None:
        super().__init__(strategy_id=f"R{seed}", instrument_ids=instrument_ids)
        self.rng = random.Random(seed)
        self.seen: list[int] = []

    def on_bar(self, bar: Bar) -> None:
        self.seen.append(self.ctx.equity().raw)
        if self.rng.random() < 0.3:
            inst = self.ctx.instrument(bar.instrument_id)
            lots = self.rng.randint(1, 40)
            side = OrderSide.BUY if self.rng.random() < 0.5 else OrderSide.SELL
            self.ctx.submit_order(bar.instrument_id, side, Qty(lots * inst.lot_size.raw))


def instruments() -> list[Instrument]:
    return [
        Instrument(  # whole shares
            instrument_id="AAA.SIM",
            tick_size=Price.parse("0.01"),
            lot_size=Qty.of(1),
            quote_currency="USD",
        ),
        Instrument(  # fractional coins: the exact Python-int path
            instrument_id="BBB.SIM",
            tick_size=Price.parse("0.01"),
            lot_size=Qty.parse("0.001"),
            quote_currency="USD",
        ),
        Instrument(  # a future with a multiplier
            instrument_id="CCC.SIM",
            tick_size=Price.parse("0.25"),
            lot_size=Qty.of(1),
            quote_currency="USD",
            multiplier=50,
        ),
    ]


@settings(max_examples=12, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.sampled_from([0, 5 * MINUTE]))
def test_rebuilt_equity_equals_live_equity_after_every_event(seed: int, every_ns: int) -> None:
    insts = instruments()
    series = [
        generate_bars(120, seed=seed, instrument_id="AAA.SIM", period_ns=MINUTE),
        generate_bars(80, seed=seed + 1, instrument_id="BBB.SIM", period_ns=90_000_000_000),
        generate_bars(
            60,
            seed=seed + 2,
            instrument_id="CCC.SIM",
            tick="0.25",
            start_price="4000",
            period_ns=2 * MINUTE,
        ),
    ]
    venue = SimulatedVenue("SIM", instruments=insts, fill=FillConfig(participation=None))
    session = TradingSession(instruments=insts, venues=[venue])
    traders = [
        RandomTrader(seed, ("AAA.SIM", "BBB.SIM", "CCC.SIM")),
        RandomTrader(seed + 7, ("BBB.SIM",)),
    ]
    for trader in traders:
        session.add_strategy(trader, Money.parse("1000000", "USD"))
    result = session.run_backtest(series, equity_every_ns=every_ns, per_strategy=True)

    first = traders[0]
    assert result.events == len(first.seen) == 260
    # the strategy saw the equity as of the end of each event (nothing changes after on_bar:
    # market orders fill at the next bar); the rebuilt curve must match it sample for sample
    live_total = [a + b for a, b in zip(first.seen, _spread(traders[1], series), strict=True)]
    if every_ns == 0:
        assert result.equity_raw.tolist() == live_total
    else:
        assert result.equity_raw[-1] == live_total[-1]
        assert set(result.equity_raw.tolist()) <= set(live_total)
    account = session.kernel.portfolio.accounts[first.strategy_id]
    final = account.equity_raw(session.kernel.portfolio.marks)
    assert result.per_strategy[first.strategy_id].final_equity.raw == final


def _spread(trader: RandomTrader, series: list[BarSeries]) -> list[int]:
    """The second trader only sees (and only trades on) BBB bars, so its equity only changes
    at those events: carry each value across the other instruments' events."""
    ts = np.concatenate([s.ts_event for s in series])
    names = np.concatenate([[s.instrument_id] * len(s) for s in series])
    order = np.argsort(ts, kind="stable")
    seen = iter(trader.seen)
    current = 1_000_000 * 10**9  # its allocation, until its first event
    out: list[int] = []
    for name in names[order]:
        if name == "BBB.SIM":
            current = next(seen)
        out.append(current)
    return out
