"""Alpaca's WebSocket streams: ``trade_updates`` (our orders) and the market-data stream.

Both log in, subscribe, hand every message on, and reconnect with backoff when the connection
drops; a caller learns of each (re)connection so it can reconcile what it missed. The real
trade stream sends binary frames holding JSON (paper) or text frames: both are read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

import aiohttp

from venues.alpaca.rest import BrokerAuthError, BrokerError
from venues.alpaca.wire import WireError, dumps, loads

Log = Callable[[str, str], None]  # (level, message)
BACKOFF_S = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
LOGIN_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 10.0  # the WebSocket handshake and the login together


def frame_text(msg: aiohttp.WSMessage) -> str | bytes | None:
    """The JSON of a data frame (text or binary), None for control frames."""
    if msg.type == aiohttp.WSMsgType.TEXT:
        return str(msg.data)
    if msg.type == aiohttp.WSMsgType.BINARY:
        return bytes(msg.data)
    return None


async def receive_json(ws: aiohttp.ClientWebSocketResponse, what: str) -> Any:
    """The next data frame as JSON during a login (closed or timed out: BrokerError)."""
    while True:
        try:
            msg = await asyncio.wait_for(ws.receive(), LOGIN_TIMEOUT_S)
        except TimeoutError:
            raise BrokerError(f"{what}: no answer within {LOGIN_TIMEOUT_S:g} s") from None
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            raise BrokerError(f"{what}: the broker closed the connection")
        data = frame_text(msg)
        if data is None:
            continue
        try:
            return loads(data)
        except WireError as exc:
            raise BrokerError(f"{what}: malformed answer: {exc}") from None


class ReconnectingStream:
    """Keeps one WebSocket open: ``_login`` after each connect, ``_handle`` per message.

    ``start`` returns once the first login succeeded and raises what made it fail (a refused
    login, a refused connection, no login within ``connect_timeout_s``); later drops are
    logged and retried with backoff forever, until ``stop``. A message whose handling raises
    is logged and skipped: the stream keeps reading."""

    what = "stream"

    def __init__(
        self,
        url: str,
        *,
        log: Log,
        on_connected: Callable[[bool], Awaitable[None]] | None = None,
        backoff_s: Sequence[float] = BACKOFF_S,
        heartbeat_s: float = 20.0,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
    ) -> None:
        self.url = url
        self._log = log
        self._on_connected = on_connected
        self._backoff = tuple(backoff_s)
        self._heartbeat = heartbeat_s
        self._connect_timeout = connect_timeout_s
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._stopping = False
        self.connected = False
        self.connections = 0

    async def start(self) -> None:
        if self._task is not None:
            return
        self._stopping = False
        self._session = aiohttp.ClientSession()
        first: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._run(first))
        self._task.add_done_callback(partial(self._ended, first=first))
        try:
            await first
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        self._stopping = True
        task, self._task = self._task, None
        if self._ws is not None:
            await self._ws.close()
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.connected = False

    def _ended(self, task: asyncio.Task[None], first: asyncio.Future[None]) -> None:
        """The reading task ended: a bug must not end the stream unseen."""
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        if not first.done():
            first.set_exception(BrokerError(f"{self.what} failed: {type(exc).__name__}: {exc}"))
        elif not self._stopping:
            self._log(
                "ERROR",
                f"alpaca {self.what} stopped by an error, no more updates: "
                f"{type(exc).__name__}: {exc}",
            )
        self.connected = False

    async def _open(self, session: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
        ws = await session.ws_connect(self.url, heartbeat=self._heartbeat)
        try:
            await self._login(ws)
        except BaseException:
            await ws.close()
            raise
        return ws

    async def _run(self, first: asyncio.Future[None]) -> None:
        attempt = 0
        while not self._stopping:
            session = self._session
            if session is None:
                return
            try:
                try:
                    opened = await asyncio.wait_for(self._open(session), self._connect_timeout)
                except TimeoutError:
                    raise BrokerError(
                        f"cannot reach the {self.what} at {self.url} within "
                        f"{self._connect_timeout:g} s"
                    ) from None
                async with opened as ws:
                    self._ws = ws
                    attempt = 0
                    self.connected = True
                    self.connections += 1
                    if not first.done():
                        first.set_result(None)
                    elif self._on_connected is not None:
                        self._log("INFO", f"alpaca {self.what} reconnected")
                    if self._on_connected is not None:
                        await self._connected(self._on_connected, self.connections > 1)
                    async for msg in ws:
                        data = frame_text(msg)
                        if data is not None:
                            self._receive(data)
                    reason = f"closed by the broker (code {ws.close_code})"
            except (BrokerError, aiohttp.ClientError, OSError, TimeoutError) as exc:
                if isinstance(exc, aiohttp.WSServerHandshakeError):
                    exc = BrokerError(f"{self.url}: handshake refused ({exc.status})", exc.status)
                if not first.done():
                    first.set_exception(
                        exc
                        if isinstance(exc, BrokerError)
                        else BrokerError(f"cannot connect to {self.url}: {exc}")
                    )
                    return
                reason = str(exc) or type(exc).__name__
            finally:
                self._ws = None
                self.connected = False
            if self._stopping:
                return
            delay = self._backoff[min(attempt, len(self._backoff) - 1)]
            attempt += 1
            self._log(
                "WARNING",
                f"alpaca {self.what} disconnected ({reason}): reconnecting in {delay:g} s",
            )
            await asyncio.sleep(delay)

    async def _connected(self, callback: Callable[[bool], Awaitable[None]], again: bool) -> None:
        try:
            await callback(again)
        except Exception as exc:  # the stream goes on: updates matter more than the catch-up
            self._log(
                "ERROR",
                f"alpaca {self.what}: the catch-up after connecting failed: "
                f"{type(exc).__name__}: {exc}",
            )

    def _receive(self, data: str | bytes) -> None:
        try:
            message = loads(data)
        except WireError as exc:
            self._log("ERROR", f"alpaca {self.what}: malformed message ignored: {exc}")
            return
        try:
            self._handle(message)
        except Exception as exc:  # one bad message must not end the stream
            self._log(
                "ERROR",
                f"alpaca {self.what}: handling a {self._kind(message)} message failed, "
                f"skipped: {type(exc).__name__}: {exc}",
            )

    def _kind(self, message: Any) -> str:
        """What a message is, for the log."""
        return type(message).__name__

    async def _login(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        raise NotImplementedError

    def _handle(self, message: Any) -> None:
        raise NotImplementedError


class TradeStream(ReconnectingStream):
    """``trade_updates``: each event's ``data`` object goes to ``on_update``."""

    what = "trade stream"

    def __init__(
        self,
        url: str,
        key_id: str,
        secret: str,
        *,
        on_update: Callable[[Any], None],
        log: Log,
        on_connected: Callable[[bool], Awaitable[None]] | None = None,
        backoff_s: Sequence[float] = BACKOFF_S,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
    ) -> None:
        super().__init__(
            url,
            log=log,
            on_connected=on_connected,
            backoff_s=backoff_s,
            connect_timeout_s=connect_timeout_s,
        )
        self._key_id = key_id
        self._secret = secret
        self._on_update = on_update

    async def _login(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        await ws.send_str(dumps({"action": "auth", "key": self._key_id, "secret": self._secret}))
        answer = await receive_json(ws, "trade stream login")
        data = answer.get("data") if isinstance(answer, dict) else None
        status = data.get("status") if isinstance(data, dict) else None
        if not isinstance(answer, dict) or answer.get("stream") != "authorization":
            raise BrokerError(f"trade stream login: unexpected answer {answer!r}")
        if status != "authorized":
            error = data.get("error") if isinstance(data, dict) else None
            raise BrokerAuthError(
                f"trade stream: the broker refused the keys ({status}"
                + (f": {error})" if error else ")")
            )
        await ws.send_str(dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
        answer = await receive_json(ws, "trade stream listen")
        streams = answer.get("data", {}).get("streams") if isinstance(answer, dict) else None
        if not isinstance(streams, list) or "trade_updates" not in streams:
            raise BrokerError(f"trade stream: trade_updates not granted ({answer!r})")

    def _handle(self, message: Any) -> None:
        if not isinstance(message, dict):
            self._log("ERROR", f"alpaca trade stream: malformed message ignored: {message!r}")
            return
        if message.get("stream") == "trade_updates":
            self._on_update(message.get("data"))

    def _kind(self, message: Any) -> str:
        data = message.get("data") if isinstance(message, dict) else None
        event = data.get("event") if isinstance(data, dict) else None
        return f"trade update {event!r}" if event else "trade stream"


class DataStream(ReconnectingStream):
    """The market-data stream (``wss://stream.data.alpaca.markets/v2/{feed}``): each quote,
    trade and bar object goes to ``on_data``; errors are logged."""

    what = "market data stream"

    def __init__(
        self,
        url: str,
        key_id: str,
        secret: str,
        *,
        subscribe: dict[str, list[str]],
        on_data: Callable[[dict[str, Any]], None],
        log: Log,
        backoff_s: Sequence[float] = BACKOFF_S,
    ) -> None:
        super().__init__(url, log=log, backoff_s=backoff_s)
        self._key_id = key_id
        self._secret = secret
        self._subscribe = subscribe
        self._on_data = on_data

    async def _login(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        welcome = await receive_json(ws, "market data connect")
        self._expect(welcome, "success", "connected")
        await ws.send_str(dumps({"action": "auth", "key": self._key_id, "secret": self._secret}))
        self._expect(await receive_json(ws, "market data login"), "success", "authenticated")
        await ws.send_str(dumps({"action": "subscribe", **self._subscribe}))
        self._expect(await receive_json(ws, "market data subscribe"), "subscription", "")

    def _expect(self, answer: Any, kind: str, msg: str) -> None:
        first = answer[0] if isinstance(answer, list) and answer else answer
        if not isinstance(first, dict):
            raise BrokerError(f"market data stream: unexpected answer {answer!r}")
        if first.get("T") == "error":
            code = first.get("code")
            text = f"market data stream: {first.get('msg')} ({code})"
            raise BrokerAuthError(text, 401) if code in (401, 402) else BrokerError(text)
        if first.get("T") != kind or (msg and first.get("msg") != msg):
            raise BrokerError(f"market data stream: expected {kind} {msg}, got {answer!r}")

    def _handle(self, message: Any) -> None:
        items = message if isinstance(message, list) else [message]
        for item in items:
            if not isinstance(item, dict):
                self._log("ERROR", f"alpaca market data: malformed message ignored: {item!r}")
            elif item.get("T") == "error":
                self._log(
                    "ERROR", f"alpaca market data error {item.get('code')}: {item.get('msg')}"
                )
            elif item.get("T") in ("q", "t", "b"):
                self._on_data(item)

    def _kind(self, message: Any) -> str:
        items = message if isinstance(message, list) else [message]
        kinds = sorted({str(i.get("T")) for i in items if isinstance(i, dict)})
        return f"market data {'/'.join(kinds)}"
