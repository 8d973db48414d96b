"""A plain-Python Strategy subclass driven through the kernel and the replay loop.

CI runs this file against the mypyc build too: there ``Strategy`` and ``Context`` are compiled
classes and this subclass is interpreted, which is exactly how users will run their strategies.
"""

from __future__ import annotations

import numpy as np
import pytest
from core_harness import SPY, ScriptedVenue, usd

import core
from core.clock import SimClock
from core.commands import SubmitOrder
from core.enums import OrderSide, OrderType, StrategyStatus
from core.equity import Timeline, rebuild_equity, sample_points
from core.events import Event, OrderEvent, OrderFilled, StrategyLogged, TimerFired
from core.instruments import equity
from core.kernel import Kernel
from core.market import Bar, QuoteTick, TradeTick
from core.portfolio import IntColumn
from core.replay import BARS, QUOTES, TRADES, ColumnChunk, Replayer
from core.strategy import Strategy
from core.values import SCALE, Price, Qty


class MeanReversion(Strategy):
    """Buys below the engine's SMA, sells above it; logs, keeps state, uses a timer."""

    def __init__(self, strategy_id: str = "MR", period: int = 3) -> None:
        super().__init__(strategy_id=strategy_id, instrument_ids=(SPY,), history=5)
        self.period = period
        self.fills: list[OrderFilled] = []
        self.events: list[str] = []
        self.timers: list[str] = []
        self.quotes = 0
        self.trades = 0
        self.started = 0
        self.stopped = 0

    def on_start(self) -> None:
        self.started += 1
        self.ctx.state["bars"] = 0
        self.ctx.cancel_timer("heartbeat")  # idempotent on a restart
        self.ctx.set_timer("heartbeat", 100 * SCALE)

    def on_bar(self, bar: Bar) -> None:
        ctx = self.ctx
        count = ctx.state["bars"]
        assert isinstance(count, int)
        ctx.state["bars"] = count + 1
        sma = ctx.sma(SPY, self.period)
        if not sma.ready:
            return
        pos = ctx.position(SPY)
        close = bar.close.as_float()
        if close < sma.value and pos.is_flat and not ctx.open_orders(SPY):
            ctx.submit_order(
                SPY, OrderSide.BUY, Qty.of(10), order_type=OrderType.LIMIT, price=bar.close
            )
            ctx.log(f"buy below {sma.value:.2f}")
        elif close > sma.value and pos.is_long:
            ctx.submit_order(SPY, OrderSide.SELL, pos.qty, reduce_only=True)

    def on_quote(self, quote: QuoteTick) -> None:
        self.quotes += 1

    def on_trade_tick(self, tick: TradeTick) -> None:
        self.trades += 1

    def on_order_event(self, event: OrderEvent) -> None:
        self.events.append(type(event).__name__)

    def on_fill(self, fill: OrderFilled) -> None:
        self.fills.append(fill)

    def on_timer(self, event: TimerFired) -> None:
        self.timers.append(event.name)

    def on_stop(self) -> None:
        self.stopped += 1
        self.ctx.cancel_all_orders()


class FillEverything(ScriptedVenue):
    """Fills every order at once at its limit (or the last close): enough to drive a strategy."""

    def __init__(self) -> None:
        super().__init__("SIM")
        self.last = Price.parse("100")

    def on_bar(self, bar: Bar) -> None:
        self.last = bar.close

    def submit(self, cmd: SubmitOrder) -> None:
        super().submit(cmd)
        self.accept(cmd.client_order_id, cmd)
        self.fill_cmd(cmd, cmd.qty, cmd.price or self.last)


def build(strategy: Strategy) -> tuple[Kernel, FillEverything, list[Event]]:
    kernel = Kernel(SimClock(0))
    kernel.add_instrument(equity("SPY"))
    venue = FillEverything()
    kernel.add_venue(venue)
    events: list[Event] = []
    kernel.add_listener(events.append)
    kernel.add_strategy(strategy, usd("10000"))
    return kernel, venue, events


def bars_chunk(closes: list[str], start_s: int = 60) -> ColumnChunk:
    raw = [Price.parse(c).raw for c in closes]
    ts = [(start_s + 60 * i) * SCALE for i in range(len(closes))]
    vol = [Qty.of(100).raw] * len(closes)
    return ColumnChunk(BARS, SPY, ts, raw, raw, raw, raw, vol)


def test_the_build_under_test_is_reported() -> None:
    assert isinstance(core.COMPILED, bool)


def test_context_is_not_available_before_attach() -> None:
    with pytest.raises(RuntimeError, match="not attached"):
        _ = MeanReversion().ctx


def test_interpreted_subclass_trades_through_the_kernel() -> None:
    strategy = MeanReversion()
    kernel, venue, events = build(strategy)
    kernel.start()
    replayer = Replayer(kernel)
    chunk = bars_chunk(["100", "101", "102", "99", "98", "103", "104"])
    replayer.replay(chunk)

    assert kernel.record("MR").status == StrategyStatus.RUNNING, kernel.record("MR").fault
    assert strategy.ctx.state["bars"] == 7
    assert [str(b.close) for b in strategy.ctx.history(SPY)] == ["102", "99", "98", "103", "104"]
    # bought 10 at 99 (below the SMA of 100, 101, 102... 100.67), sold 10 at 103
    assert [(f.side, str(f.last_qty), str(f.last_px)) for f in strategy.fills] == [
        (OrderSide.BUY, "10", "99"),
        (OrderSide.SELL, "10", "103"),
    ]
    assert strategy.events.count("OrderFilled") == 2
    assert strategy.ctx.position(SPY).is_flat
    assert strategy.ctx.realized_pnl() == usd("40")
    assert strategy.ctx.cash() == usd("10040")
    account = kernel.portfolio.accounts["MR"]
    assert len(account.round_trips) == 1 and account.round_trips[0].gross_pnl_raw == 40 * SCALE
    assert any(isinstance(e, StrategyLogged) and "buy below" in e.message for e in events)
    # 7 bars a minute apart: the 100 s heartbeat fired at 100, 200, 300 and 400 s
    assert strategy.timers == ["heartbeat"] * 4
    # the equity curve rebuilt from the ledger: flat at 10000 until the buy at 99 (event 4),
    # then 10000 + 10 x (close - 99), and 10040 after the sale at 103
    timeline = Timeline(
        np.array(chunk.ts, dtype=np.int64),
        np.zeros(7, dtype=np.intp),
        np.array(chunk.c4, dtype=np.int64),
        [SPY],
    )
    curve = rebuild_equity(timeline, account.ledger, {SPY: 1}, sample_points(timeline, 0))
    assert [int(v) // SCALE for v in curve] == [10000, 10000, 10000, 10000, 9990, 10040, 10040]
    assert len(venue.submitted) == 2


def test_restart_after_stop_keeps_state_and_timers_sane() -> None:
    strategy = MeanReversion()
    kernel, _, _ = build(strategy)
    kernel.start()
    kernel.stop()
    assert kernel.record("MR").status == StrategyStatus.STOPPED
    kernel.switch_clock(SimClock(10**12))
    kernel.start()  # on_start runs again and must not trip over the carried timer
    assert kernel.record("MR").status == StrategyStatus.RUNNING
    assert (strategy.started, strategy.stopped) == (2, 1)
    assert kernel.clock.timer_names("MR") == ["MR:heartbeat"]


def test_quotes_and_trades_reach_the_subclass_and_mark_the_book() -> None:
    strategy = MeanReversion()
    kernel, _, _ = build(strategy)
    kernel.start()
    replayer = Replayer(kernel)
    p = Price.parse
    quotes = ColumnChunk(
        QUOTES,
        SPY,
        [SCALE, 2 * SCALE],
        [p("99.98").raw, p("99.99").raw],
        [p("100.02").raw, p("100.01").raw],
        [Qty.of(5).raw] * 2,
        [Qty.of(7).raw] * 2,
        [],
    )
    trades = ColumnChunk(TRADES, SPY, [3 * SCALE], [p("100.05").raw], [Qty.of(3).raw], [1], [], [])
    replayer.replay(quotes)
    assert strategy.ctx.last_price(SPY) == p("100")
    replayer.replay(trades)
    assert (strategy.quotes, strategy.trades) == (2, 1)
    assert strategy.ctx.last_price(SPY) == p("100.05")
    assert replayer.events == 3


def test_the_bare_base_class_runs_as_a_do_nothing_strategy() -> None:
    kernel, _, _ = build(Strategy(strategy_id="NOOP", instrument_ids=(SPY,)))
    kernel.start()
    Replayer(kernel).replay(bars_chunk(["1", "2"]))
    kernel.stop()
    assert kernel.record("NOOP").status == StrategyStatus.STOPPED


def test_ledger_columns_hold_large_accounts() -> None:
    column = IntColumn()
    column.append(5)
    column.append(20_000_000_000 * SCALE)  # 20 billion JPY, about 130 million USD
    assert list(column.values) == [5, 20_000_000_000 * SCALE]


def test_instrument_ids_may_be_given_as_a_list_in_both_builds() -> None:
    strategy = Strategy(strategy_id="L", instrument_ids=[SPY])  # type: ignore[arg-type]
    assert strategy.instrument_ids == (SPY,)
