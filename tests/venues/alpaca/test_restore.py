"""Taking over open broker orders at the switch to live, and switching twice."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from core.enums import OrderSide, OrderStatus, OrderType
from core.events import OrderCancelRejected
from core.instruments import equity
from core.session import LiveSwitchError, TradingSession
from core.strategy import Strategy
from core.values import Money
from venues.alpaca import AlpacaBroker, AlpacaSandbox
from venues.alpaca.rest import AlpacaRest


class Manual(Strategy):
    def __init__(self) -> None:
        super().__init__(strategy_id="manual", instrument_ids=("SPY.ALPACA",))


def _session() -> TradingSession:
    session = TradingSession(instruments=[equity("SPY", "ALPACA")], venues=[])
    session.add_strategy(Manual(), Money.from_decimal(Decimal(100_000), "USD"))
    return session


async def _place(sandbox: AlpacaSandbox, coid: str, qty: str, limit: str) -> str:
    rest = AlpacaRest(sandbox.broker_config())
    try:
        order = await rest.submit_order(
            {"symbol": "SPY", "qty": qty, "side": "buy", "type": "limit",
             "time_in_force": "gtc", "limit_price": limit, "client_order_id": coid}
        )  # fmt: skip
    finally:
        await rest.close()
    return order.venue_order_id


def test_orders_of_two_old_sessions_with_the_same_id_do_not_collide(
    live: Any, wait: Any, in_thread: Any
) -> None:
    async def scenario() -> None:
        h = live()  # only for its sandbox
        sandbox = h.sandbox
        sandbox.paused = True
        await sandbox.start()
        sandbox.set_mid("SPY", "100")
        first = await _place(sandbox, "tb-aaaa-manual-1", "1", "90")
        await _place(sandbox, "tb-bbbb-manual-1", "1", "80")
        session = _session()
        broker = AlpacaBroker(sandbox.broker_config())
        try:
            await session.switch_to_live(broker)
            order = session.kernel.order("manual-1")
            assert order is not None and order.venue_order_id == first
            sandbox.set_mid("SPY", "89.50")  # fills the first only
            await wait(lambda: order.status == OrderStatus.FILLED)
            assert str(order.avg_px()) == "89.51"
        finally:
            await broker.disconnect()
            await sandbox.stop()

    in_thread(asyncio.run, scenario())


def test_switch_refused_while_one_of_our_broker_orders_is_partially_filled(
    live: Any, in_thread: Any
) -> None:
    async def scenario() -> None:
        h = live(max_fill_qty="4")
        sandbox = h.sandbox
        sandbox.paused = True
        await sandbox.start()
        sandbox.set_mid("SPY", "101")
        await _place(sandbox, "tb-old-manual-1", "10", "100")
        sandbox.set_mid("SPY", "99.50")  # one fill of 4
        sandbox.set_mid("SPY", "101")
        session = _session()
        broker = AlpacaBroker(sandbox.broker_config())
        try:
            with pytest.raises(
                LiveSwitchError,
                match=r"^cannot switch to live: ALPACA open order manual-1 \(SPY\) is partially "
                r"filled \(4 of 10\); cancel it at the broker first",
            ):
                await session.switch_to_live(broker)
            assert session.mode == "backtest" and session.kernel.order("manual-1") is None
        finally:
            await broker.disconnect()
            await sandbox.stop()

    in_thread(asyncio.run, scenario())


def test_switching_again_to_another_broker_is_refused(run_live: Any, wait: Any) -> None:
    async def body(h: Any) -> None:
        await h.session.switch_to_live(h.broker)  # the same broker: nothing to do
        other = AlpacaBroker(h.sandbox.broker_config())
        with pytest.raises(LiveSwitchError, match="already live at another broker"):
            await h.session.switch_to_live(other)
        assert h.kernel.venue("ALPACA") is h.broker

        order = h.submit(OrderSide.BUY, "1", kind=OrderType.LIMIT, price="90")
        await wait(lambda: order.status == OrderStatus.ACCEPTED)
        for _ in range(2):  # aiohttp sends an idempotent DELETE again once
            h.sandbox.lose_next_answer(delay_s=0.1)  # canceled, the answers are lost
        h.cancel(order)
        await wait(lambda: order.status == OrderStatus.CANCELED)
        refused = [e for e in h.events if isinstance(e, OrderCancelRejected)]
        assert refused[0].reason.startswith("the broker could not be reached: DELETE ")

    run_live(body)
