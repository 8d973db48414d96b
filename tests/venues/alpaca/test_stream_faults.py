"""The trade stream survives a message it cannot handle; logins fail fast and leak nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import aiohttp
import pytest

from core.enums import OrderSide, OrderStatus, OrderType
from venues.alpaca import AlpacaBroker, AlpacaSandbox, BrokerAuthError, BrokerError
from venues.alpaca.stream import TradeStream

BUY = OrderSide.BUY
SELL = OrderSide.SELL


def test_a_message_the_handler_cannot_book_is_logged_and_the_stream_goes_on(
    run_live: Any, wait: Any
) -> None:
    async def body(h: Any) -> None:
        order = h.submit(BUY, "3", kind=OrderType.LIMIT, price="90")
        await wait(lambda: order.status == OrderStatus.ACCEPTED)
        broker_order = dict(h.sandbox.orders[order.venue_order_id])
        # a fill with neither its price nor the order's average: it cannot be booked
        broker_order.update(status="filled", filled_qty="3", filled_avg_price=None)
        update = {"event": "fill", "execution_id": "x1", "order": broker_order}
        h.sandbox.send_raw_trade_update(json.dumps({"stream": "trade_updates", "data": update}))
        await wait(lambda: any("'fill' message failed" in e for e in h.logs("ERROR")))
        assert any("without an average price" in e for e in h.logs("ERROR"))
        assert h.broker.connected and h.fills() == []
        again = h.submit(BUY, "2")  # the stream still delivers
        await wait(lambda: again.status == OrderStatus.FILLED)
        assert h.position() == "2"

    run_live(body)


def test_a_failing_catch_up_is_logged_and_the_stream_stays(in_thread: Any) -> None:
    async def scenario() -> None:
        sandbox = AlpacaSandbox(symbols=["SPY"], tick_s=0.02)
        await sandbox.start()
        logs: list[tuple[str, str]] = []
        updates: list[Any] = []

        async def fails(reconnect: bool) -> None:
            raise RuntimeError(f"catch-up broke (reconnect={reconnect})")

        config = sandbox.broker_config()
        stream = TradeStream(
            config.trading_stream_url,
            config.key_id,
            config.secret,
            on_update=updates.append,
            log=lambda level, message: logs.append((level, message)),
            on_connected=fails,
        )
        try:
            await stream.start()
            assert ("ERROR", "alpaca trade stream: the catch-up after connecting failed: "
                    "RuntimeError: catch-up broke (reconnect=False)") in logs  # fmt: skip
            sandbox.send_raw_trade_update('{"stream":"trade_updates","data":{"event":"x"}}')
            for _ in range(100):
                if updates:
                    break
                await asyncio.sleep(0.01)
            assert updates == [{"event": "x"}] and stream.connected
        finally:
            await stream.stop()
            await sandbox.stop()

    in_thread(asyncio.run, scenario())


class _BrokenLogin(TradeStream):
    async def _login(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        raise RuntimeError("a bug in the login")


def test_a_bug_in_the_login_fails_start_instead_of_hanging(in_thread: Any) -> None:
    async def scenario() -> None:
        sandbox = AlpacaSandbox(symbols=["SPY"])
        await sandbox.start()
        config = sandbox.broker_config()
        stream = _BrokenLogin(
            config.trading_stream_url, "k", "s", on_update=lambda _d: None, log=lambda _l, _m: None
        )
        try:
            with pytest.raises(BrokerError, match="RuntimeError: a bug in the login"):
                await asyncio.wait_for(stream.start(), 3)
        finally:
            await stream.stop()
            await sandbox.stop()

    in_thread(asyncio.run, scenario())


def test_a_refused_login_closes_the_http_session(live: Any, in_thread: Any) -> None:
    async def scenario() -> None:
        h = live()
        with pytest.raises(BrokerAuthError):
            await h.start(secret="wrong")
        try:
            assert h.broker.rest._session is None  # closed, not leaked
        finally:
            await h.sandbox.stop()

    in_thread(asyncio.run, scenario())


def test_a_trade_stream_that_never_answers_fails_the_connect_in_time(in_thread: Any) -> None:
    async def scenario() -> None:
        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read()  # accepts the connection, never answers the handshake
            writer.close()

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        sandbox = AlpacaSandbox(symbols=["SPY"])
        await sandbox.start()
        url = f"ws://127.0.0.1:{port}/stream"
        config = dataclasses.replace(sandbox.broker_config(), trading_stream_url=url)
        broker = AlpacaBroker(config, connect_timeout_s=0.3)
        try:
            with pytest.raises(
                BrokerError, match=f"^cannot reach the trade stream at {url} within 0.3 s$"
            ):
                await asyncio.wait_for(broker.connect(), 3)
            assert broker.rest._session is None
        finally:
            await broker.disconnect()
            server.close()
            await sandbox.stop()

    in_thread(asyncio.run, scenario())
