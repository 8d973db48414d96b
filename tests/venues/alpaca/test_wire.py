"""The Alpaca adapter against the sandbox: orders, fills, cancels, replaces, rejects, logins."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core.enums import OrderSide, OrderStatus, OrderType
from core.events import OrderRejected
from core.session import LiveSwitchError
from venues.alpaca import AlpacaDataFeed, BrokerAuthError
from venues.alpaca.wire import parse_trade_update

BUY = OrderSide.BUY
SELL = OrderSide.SELL


def test_market_limit_and_stop_orders_round_trip_exactly(run_live: Any, wait: Any) -> None:
    async def body(h: Any) -> None:
        market = h.submit(BUY, "10")
        await wait(lambda: market.status == OrderStatus.FILLED)
        assert h.of("manual-1") == ["OrderSubmitted", "OrderAccepted", "OrderFilled"]
        fill = h.fills("manual-1")
        assert [f[:2] for f in fill] == [("10", "100.01")]  # bought at the ask
        sandbox_order = h.sandbox.order_by_client_id("tb-t1-manual-1")
        assert market.venue_order_id == sandbox_order["id"]
        assert sandbox_order["qty"] == "10" and sandbox_order["filled_avg_price"] == "100.01"

        limit = h.submit(BUY, "5", kind=OrderType.LIMIT, price="99.57")
        await wait(lambda: limit.status == OrderStatus.ACCEPTED)
        assert h.sandbox.order_by_client_id("tb-t1-manual-2")["limit_price"] == "99.57"
        h.sandbox.set_mid("SPY", "99.50")  # ask 99.51 <= 99.57
        await wait(lambda: limit.status == OrderStatus.FILLED)
        assert [f[:2] for f in h.fills("manual-2")] == [("5", "99.51")]

        stop = h.submit(SELL, "3", kind=OrderType.STOP, trigger="98.25")
        await wait(lambda: stop.status == OrderStatus.ACCEPTED)
        h.sandbox.set_mid("SPY", "98.00")  # bid 97.99 <= the stop
        await wait(lambda: stop.status == OrderStatus.FILLED)
        assert [f[:2] for f in h.fills("manual-3")] == [("3", "97.99")]
        assert h.position() == "12"
        assert h.sandbox.positions["SPY"][0] == 12 * 10**9
        trade_ids = [f[2] for f in h.fills()]
        assert len(set(trade_ids)) == 3 and all(len(t) == 36 for t in trade_ids)

    run_live(body)


def test_partial_fills_are_booked_one_by_one(run_live: Any, wait: Any) -> None:
    async def body(h: Any) -> None:
        order = h.submit(BUY, "10")
        await wait(lambda: order.status == OrderStatus.FILLED)
        assert [f[0] for f in h.fills()] == ["4", "4", "2"]
        assert h.of("manual-1")[2:] == ["OrderFilled"] * 3
        assert h.position() == "10"

    run_live(body, max_fill_qty="4")


def test_cancel_and_replace(run_live: Any, wait: Any) -> None:
    async def body(h: Any) -> None:
        first = h.submit(BUY, "5", kind=OrderType.LIMIT, price="90")
        await wait(lambda: first.status == OrderStatus.ACCEPTED)
        h.cancel(first)
        await wait(lambda: first.status == OrderStatus.CANCELED)
        assert first.reason == "canceled at the broker"
        assert h.sandbox.order_by_client_id("tb-t1-manual-1")["status"] == "canceled"

        second = h.submit(BUY, "5", kind=OrderType.LIMIT, price="90")
        await wait(lambda: second.status == OrderStatus.ACCEPTED)
        old_id = second.venue_order_id
        h.modify(second, qty="7", price="95.05")
        await wait(lambda: "OrderUpdated" in h.of("manual-2"))
        assert (str(second.qty), str(second.price)) == ("7", "95.05")
        old = h.sandbox.orders[old_id]
        new = h.sandbox.orders[old["replaced_by"]]
        assert old["status"] == "replaced" and new["replaces"] == old_id
        assert (new["qty"], new["limit_price"]) == ("7", "95.05")
        h.sandbox.set_mid("SPY", "95.00")
        await wait(lambda: second.status == OrderStatus.FILLED)
        assert [f[:2] for f in h.fills("manual-2")] == [("7", "95.01")]

    run_live(body)


def test_broker_rejections_carry_the_broker_message(run_live: Any, wait: Any) -> None:
    async def body(h: Any) -> None:
        unknown = h.submit(BUY, "1", iid="NOPE.ALPACA")
        too_big = h.submit(BUY, "5000")  # ~500k; the sandbox account has 100k
        await wait(lambda: unknown.is_closed and too_big.is_closed)
        assert unknown.status == OrderStatus.REJECTED
        assert unknown.reason == 'asset "NOPE" not found'
        assert too_big.reason == "insufficient buying power"
        rejected = [e for e in h.events if isinstance(e, OrderRejected)]
        assert len(rejected) == 2
        assert h.fills() == []

    run_live(body, start={"symbols": ("SPY", "NOPE")})


def test_wrong_keys_are_a_clear_error_and_nothing_switches(live: Any, in_thread: Any) -> None:
    async def scenario() -> None:
        h = live()
        with pytest.raises(BrokerAuthError, match="401: request is not authorized"):
            await h.start(secret="wrong")
        assert h.session.mode == "backtest"
        bad = h.sandbox.broker_config(secret="wrong")
        feed = AlpacaDataFeed(bad, h.session.kernel.instruments)
        with pytest.raises(BrokerAuthError, match=r"auth failed \(402\)"):
            await feed.run(h.session.kernel, h.session.clock, asyncio.Event())
        await h.sandbox.stop()

    in_thread(asyncio.run, scenario())


def test_malformed_and_nan_messages_are_logged_and_change_nothing(run_live: Any, wait: Any) -> None:
    async def body(h: Any) -> None:
        order = h.submit(BUY, "2")
        await wait(lambda: order.status == OrderStatus.FILLED)
        fill = h.sandbox.last_fill
        h.sandbox.send_raw_trade_update("this is not json")
        h.sandbox.send_raw_trade_update(fill.replace('"price": "100.01"', '"price": NaN'))
        h.sandbox.send_raw_trade_update(fill.replace('"price": "100.01"', '"price": "abc"'))
        await wait(lambda: len(h.logs("ERROR")) == 3)
        errors = h.logs("ERROR")
        assert "malformed message ignored" in errors[0]
        assert "NaN is not a number" in errors[1]
        assert "'abc' is not a number" in errors[2]
        assert len(h.fills()) == 1 and h.position() == "2"
        again = h.submit(SELL, "2")  # the connection still works
        await wait(lambda: again.status == OrderStatus.FILLED)
        assert h.position() == "0"

    run_live(body)


def test_trade_update_numbers_parse_exactly() -> None:
    update = parse_trade_update(
        {
            "event": "partial_fill",
            "execution_id": "e1",
            "price": "187.123456789",
            "qty": "0.000000001",
            "order": {
                "id": "o1",
                "client_order_id": "tb-x-s-1",
                "symbol": "SPY",
                "side": "sell",
                "type": "limit",
                "time_in_force": "day",
                "qty": "1.5",
                "filled_qty": "0.000000001",
                "limit_price": "187.12",
                "status": "partially_filled",
            },
        }
    )
    assert update.price is not None and update.price.raw == 187_123_456_789
    assert update.qty is not None and update.qty.raw == 1
    assert update.order.client_order_id == "s-1" and update.order.qty.raw == 1_500_000_000


def test_switch_refused_while_the_broker_holds_the_symbol(
    live: Any, wait: Any, in_thread: Any
) -> None:
    async def scenario() -> None:
        h = live()
        await h.start()
        order = h.submit(BUY, "3")
        await wait(lambda: order.status == OrderStatus.FILLED)
        await h.stop()
        other = live()
        other.sandbox = h.sandbox  # same account, a new session
        await h.sandbox.start()
        try:
            from core.instruments import equity
            from core.session import TradingSession
            from venues.alpaca import AlpacaBroker

            session = TradingSession(instruments=[equity("SPY", "ALPACA")], venues=[])
            broker = AlpacaBroker(h.sandbox.broker_config())
            with pytest.raises(LiveSwitchError, match="already holds 3 SPY"):
                await session.switch_to_live(broker, instrument_ids=["SPY.ALPACA"])
            assert session.mode == "backtest"
        finally:
            await h.sandbox.stop()

    in_thread(asyncio.run, scenario())
