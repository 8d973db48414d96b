"""The sandbox on a thread of its own, with its own asyncio loop: a broker beside a program
whose loop is busy with other things (the workstation's Qt loop, its tests and screenshot
tour), reached over real sockets like any broker."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from types import TracebackType
from typing import Any

from venues.alpaca.config import BrokerConfig
from venues.alpaca.sandbox import AlpacaSandbox

START_TIMEOUT_S = 10.0


class HostedSandbox:
    """``with HostedSandbox(symbols=["SYN"]) as hosted:`` an ``AlpacaSandbox`` (keyword
    arguments as its own) serving on 127.0.0.1 until the block ends."""

    def __init__(self, **sandbox_args: Any) -> None:
        self._args = sandbox_args
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="alpaca-sandbox")
        self._sandbox: AlpacaSandbox | None = None

    @property
    def sandbox(self) -> AlpacaSandbox:
        if self._sandbox is None:
            raise RuntimeError("the hosted sandbox is not running")
        return self._sandbox

    def broker_config(self) -> BrokerConfig:
        return self.sandbox.broker_config()

    def toml(self) -> str:
        return self.sandbox.toml()

    def call(self, work: Any) -> Any:
        """Run ``work()`` (a function, or a coroutine function) on the sandbox's loop and
        return what it returns: how a test reaches into the market (``set_mid``...)."""

        async def run() -> Any:
            result = work()
            return await result if asyncio.iscoroutine(result) else result

        future: Future[Any] = asyncio.run_coroutine_threadsafe(run(), self._loop)
        return future.result(START_TIMEOUT_S)

    def __enter__(self) -> HostedSandbox:
        self._thread.start()

        async def start() -> AlpacaSandbox:
            sandbox = AlpacaSandbox(**self._args)
            await sandbox.start()
            return sandbox

        try:
            self._sandbox = asyncio.run_coroutine_threadsafe(start(), self._loop).result(
                START_TIMEOUT_S
            )
        except BaseException:
            self._shut_loop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        sandbox = self._sandbox
        self._sandbox = None
        if sandbox is not None:
            asyncio.run_coroutine_threadsafe(sandbox.stop(), self._loop).result(START_TIMEOUT_S)
        self._shut_loop()

    def _shut_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(START_TIMEOUT_S)
        self._loop.close()
