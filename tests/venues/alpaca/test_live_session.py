"""A strategy trading live through TradingSession against the sandbox, and the mode switch."""

from __future__ import annotations

import asyncio
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.market_setup import DataRequest, load
from core.commands import SubmitOrder
from core.enums import OrderSide, OrderType
from core.events import Event, StrategyLogged
from core.instruments import equity
from core.journal import SqliteJournal
from core.live import SyntheticLiveFeed
from core.session import LiveSwitchError, TradingSession
from core.values import Money, Qty
from strategies.sma_cross import SmaCross, SmaCrossConfig
from venues.alpaca import AlpacaBroker, AlpacaDataFeed, AlpacaSandbox
from venues.simulated import SimulatedVenue


def test_sma_cross_trades_live_with_fills_in_the_journal(tmp_path: Path, in_thread: Any) -> None:
    async def scenario() -> None:
        sandbox = AlpacaSandbox(seed=3, symbols=["SPY"], tick_s=0.01, bar_every=3)
        await sandbox.start()
        instrument = equity("SPY", "ALPACA")
        session = TradingSession(instruments=[instrument], venues=[])
        strategy = SmaCross(SmaCrossConfig(instrument_id="SPY.ALPACA", fast=2, slow=3, qty=10))
        session.add_strategy(strategy, Money.from_decimal(Decimal(50_000), "USD"))
        broker = AlpacaBroker(sandbox.broker_config())
        journal = SqliteJournal(tmp_path / "journal.sqlite")
        try:
            await session.switch_to_live(broker)
            journal.begin_run("live", kernel=session.kernel, label="sma_cross")
            feed = AlpacaDataFeed(sandbox.broker_config(), [instrument])
            await session.run_live_trading(feed, duration_s=2.0)
            await broker.settle()
            assert feed.received > 10
            position = session.kernel.record("sma_cross").account.positions["SPY.ALPACA"]
            at_broker = sandbox.positions.get("SPY", [0, 0])[0]
            assert position.signed_qty_raw == at_broker
        finally:
            await broker.disconnect()
            journal.end_run()
            journal.close()
            await sandbox.stop()
        assert session.kernel.record("sma_cross").strategy is strategy
        db = sqlite3.connect(tmp_path / "journal.sqlite")
        fills = db.execute("SELECT COUNT(*) FROM fills").fetchone()[0]
        mode = db.execute("SELECT mode FROM runs").fetchone()[0]
        db.close()
        assert mode == "live" and fills >= 2 and fills == session.kernel.fills_count

    in_thread(asyncio.run, scenario())


def test_backtest_then_paper_then_live_keeps_the_strategy(in_thread: Any) -> None:
    sim = SimulatedVenue("SIM")
    instrument = equity("SPY", "SIM")
    session = TradingSession(instruments=[instrument], venues=[sim])
    strategy = SmaCross(SmaCrossConfig(instrument_id="SPY.SIM", fast=2, slow=4, qty=5))
    session.add_strategy(strategy, Money.from_decimal(Decimal(100_000), "USD"))
    series = load(DataRequest(synthetic_bars=200, seed=5, instrument_id="SPY.SIM"))
    result = session.run_backtest([series])
    assert result.fills > 0
    kernel = session.kernel

    def trade(side: int, n: int) -> None:
        kernel.submit(
            SubmitOrder(
                strategy_id="sma_cross",
                client_order_id=f"manual-{n}",
                instrument_id="SPY.SIM",
                side=side,
                order_type=OrderType.MARKET,
                qty=Qty.of(5),
            )
        )

    async def live_part() -> None:
        sandbox = AlpacaSandbox(symbols=["SPY"], tick_s=0.02)
        await sandbox.start()
        broker = AlpacaBroker(sandbox.broker_config())
        try:
            await session.run_paper(SyntheticLiveFeed(instrument, seed=1), duration_s=0.2)
            position = kernel.record("sma_cross").account.positions.get("SPY.SIM")
            if position is None or position.signed_qty_raw == 0:
                trade(OrderSide.BUY, 1)
                await session.run_paper(SyntheticLiveFeed(instrument, seed=2), duration_s=0.2)
            held = kernel.record("sma_cross").account.positions["SPY.SIM"].signed_qty_raw
            assert held != 0
            with pytest.raises(LiveSwitchError, match="flatten it first"):
                await session.switch_to_live(broker)
            assert session.mode == "paper"
            side = OrderSide.SELL if held > 0 else OrderSide.BUY
            trade(side, 2)
            await session.run_paper(SyntheticLiveFeed(instrument, seed=3), duration_s=0.2)
            await session.switch_to_live(broker)
            assert session.mode == "live"
            assert kernel.record("sma_cross").strategy is strategy
            assert kernel.venue("ALPACA") is broker
            assert any("switched to live: SPY.SIM trade at ALPACA" in line for line in logs)
        finally:
            await broker.disconnect()
            await sandbox.stop()

    logs: list[str] = []

    def listen(event: Event) -> None:
        if isinstance(event, StrategyLogged):
            logs.append(event.message)

    kernel.add_listener(listen)
    in_thread(asyncio.run, live_part())
