"""A live session against the local Alpaca sandbox: real HTTP and WebSocket on 127.0.0.1.

Tests get the harness through the ``run_live`` fixture, or ``live`` when they drive the start
and stop themselves (pytest's importlib mode: a test module cannot import a sibling helper
module). Each test runs its own event loop (``asyncio.run``) in a thread of its own.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.commands import CancelOrder, ModifyOrder, SubmitOrder
from core.enums import OrderType, TimeInForce
from core.events import Event, OrderEvent, OrderFilled, StrategyLogged
from core.instruments import equity
from core.journal import SqliteJournal
from core.orders import Order
from core.session import TradingSession
from core.strategy import Strategy
from core.values import Money, Price, Qty
from venues.alpaca import AlpacaBroker, AlpacaSandbox


class Manual(Strategy):
    """Trades only when a test says so."""

    def __init__(self, instrument_ids: tuple[str, ...]) -> None:
        super().__init__(strategy_id="manual", instrument_ids=instrument_ids)


class Live:
    """Sandbox + session switched to live at it + every event and log line collected."""

    def __init__(self, tmp: Path, **sandbox: Any) -> None:
        sandbox.setdefault("tick_s", 0.02)
        self.sandbox = AlpacaSandbox(**sandbox)
        self.tmp = tmp
        self.events: list[Event] = []
        self.n = 0
        self.session: TradingSession
        self.broker: AlpacaBroker
        self.journal: SqliteJournal | None = None

    async def start(
        self, symbols: tuple[str, ...] = ("SPY",), journal: bool = False, secret: str | None = None
    ) -> None:
        self.sandbox.paused = True
        await self.sandbox.start()
        for symbol in self.sandbox.markets:
            self.sandbox.set_mid(symbol, "100")
        instruments = [equity(s, "ALPACA") for s in symbols]
        self.session = TradingSession(instruments=instruments, venues=[])
        self.session.add_strategy(
            Manual(tuple(i.id for i in instruments)), Money.from_decimal(Decimal("1000000"), "USD")
        )
        self.session.kernel.add_listener(self.events.append)
        self.broker = AlpacaBroker(
            self.sandbox.broker_config(secret=secret),
            order_tag="t1",
            backoff_s=(0.05,),
            retry_s=0.05,
            lookup_s=0.5,
        )
        if journal:
            self.journal = SqliteJournal(self.tmp / "journal.sqlite")
            self.journal.begin_run("live", kernel=self.session.kernel, label="manual")
        await self.session.switch_to_live(self.broker)

    async def stop(self) -> None:
        await self.broker.settle()
        await self.broker.disconnect()
        if self.journal is not None:
            self.journal.end_run()
            self.journal.close()
        await self.sandbox.stop()

    @property
    def kernel(self) -> Any:
        return self.session.kernel

    def submit(
        self,
        side: int,
        qty: str,
        *,
        kind: int = OrderType.MARKET,
        price: str | None = None,
        trigger: str | None = None,
        iid: str = "SPY.ALPACA",
        tif: int = TimeInForce.GTC,
    ) -> Order:
        self.n += 1
        return self.kernel.submit(
            SubmitOrder(
                strategy_id="manual",
                client_order_id=f"manual-{self.n}",
                instrument_id=iid,
                side=side,
                order_type=kind,
                qty=Qty.parse(qty),
                price=None if price is None else Price.parse(price),
                trigger_price=None if trigger is None else Price.parse(trigger),
                time_in_force=tif,
            )
        )

    def cancel(self, order: Order) -> None:
        self.kernel.cancel(
            CancelOrder(
                strategy_id="manual",
                client_order_id=order.client_order_id,
                instrument_id=order.instrument_id,
                ts_init=0,
            )
        )

    def modify(self, order: Order, qty: str | None = None, price: str | None = None) -> None:
        self.kernel.modify(
            ModifyOrder(
                strategy_id="manual",
                client_order_id=order.client_order_id,
                instrument_id=order.instrument_id,
                ts_init=0,
                qty=None if qty is None else Qty.parse(qty),
                price=None if price is None else Price.parse(price),
            )
        )

    def fills(self, coid: str = "") -> list[tuple[str, str, str]]:
        return [
            (str(e.last_qty), str(e.last_px), e.trade_id)
            for e in self.events
            if isinstance(e, OrderFilled) and (not coid or e.client_order_id == coid)
        ]

    def of(self, coid: str) -> list[str]:
        return [
            type(e).__name__
            for e in self.events
            if isinstance(e, OrderEvent) and e.client_order_id == coid
        ]

    def logs(self, level: str = "") -> list[str]:
        return [
            e.message
            for e in self.events
            if isinstance(e, StrategyLogged) and (not level or e.level == level)
        ]

    def position(self, iid: str = "SPY.ALPACA") -> str:
        pos = self.kernel.record("manual").account.positions.get(iid)
        return "0" if pos is None else str(Qty(abs(pos.signed_qty_raw)))


async def until(check: Callable[[], bool], timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)


@pytest.fixture
def live(tmp_path: Path) -> Callable[..., Live]:
    return lambda **sandbox: Live(tmp_path, **sandbox)


@pytest.fixture
def wait() -> Callable[..., Any]:
    return until


def _in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in a thread of its own: ``asyncio.run`` there meets no running loop (the
    GUI tests leave qasync's loop running in the main thread)."""
    result: list[Any] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(fn(*args))
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


@pytest.fixture
def in_thread() -> Callable[..., Any]:
    return _in_thread


@pytest.fixture
def run_live(tmp_path: Path) -> Callable[..., Live]:
    """``run_live(body, **sandbox, start={...})``: in a thread of its own with ``asyncio.run``,
    make a ``Live(**sandbox)``, ``start(**start)`` it, ``await body(h)`` and always ``stop()``;
    returns the stopped ``Live`` for checks after the stop."""

    def run(
        body: Callable[[Live], Awaitable[None]],
        /,
        *,
        start: dict[str, Any] | None = None,
        **sandbox: Any,
    ) -> Live:
        async def scenario() -> Live:
            h = Live(tmp_path, **sandbox)
            await h.start(**(start or {}))
            try:
                await body(h)
            finally:
                await h.stop()
            return h

        result: Live = _in_thread(asyncio.run, scenario())
        return result

    return run
