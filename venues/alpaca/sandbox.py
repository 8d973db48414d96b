"""AlpacaSandbox: a local server that speaks Alpaca's wire format, for trying live mode with
no account (``tradebench broker-sandbox``), the GUI tour and the tests.

It serves the Trading API v2 (``/v2/account``, ``/v2/positions``, ``/v2/orders`` with submit,
list, get, get by client order id, cancel and replace), the ``trade_updates`` stream
(``/stream``, binary JSON frames like Alpaca's paper endpoint) and the market-data stream
(``/v2/{feed}``), behind API-key login. Prices follow a seeded random walk per symbol (the
paper feed's, ``core.live.SyntheticLiveFeed``): the same seed gives the same path. Orders match
against its quotes: market at the touch, limit when the touch reaches the limit (at the touch),
stop and stop-limit after the touch crosses the stop. ``max_fill_qty`` caps each fill (partial
fills, one per tick). It refuses what Alpaca refuses: unknown symbols, missing prices,
duplicate client order ids (422), buys beyond the buying power (403). Test hooks drop or refuse
the trade stream, send raw messages and repeat fills, lose the answer to an order request,
and play the races of a replace (the old order fills first, or the new one fills before the
``replaced`` event is sent).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from aiohttp import WSMsgType, web

from core.instruments import equity
from core.live import SyntheticLiveFeed
from core.values import SCALE, Price, Qty, div_round_half_even
from venues.alpaca.config import BrokerConfig
from venues.alpaca.wire import OPEN_STATUSES, WireError, decimal_of, ts_text

DEFAULT_SYMBOLS = ("SPY", "AAPL", "MSFT")
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
OLD_FILLS_FIRST = "old_fills_first"  # the replaced order fills, its replacement is rejected
NEW_FILLS_FIRST = "new_fills_first"  # the replacement's fills go out before "replaced"
KEY_ID = "sandbox-key"
SECRET = "sandbox-secret"


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status)


def _num(raw: int) -> str:
    """A raw price or size as a JSON number literal (exact decimal text)."""
    return str(Price(raw))


class _SymbolMarket:
    def __init__(self, symbol: str, seed: int, start: str, rng: random.Random) -> None:
        self.instrument = equity(symbol, "ALPACA")
        self.walk = SyntheticLiveFeed(self.instrument, seed=seed, start_price=start)
        self.tick = self.instrument.tick_size.raw
        self.rng = rng
        self.set_mid(self.walk.next_mid_raw())
        self.bar: list[int] = []
        self.volume = 0

    def set_mid(self, mid: int) -> None:
        self.mid = mid
        self.bid = max(self.tick, mid - self.tick)
        self.ask = self.bid + 2 * self.tick


class AlpacaSandbox:
    """The server; ``await start()`` binds it (``port`` 0: a free port) and starts the market."""

    def __init__(
        self,
        *,
        seed: int = 7,
        symbols: Sequence[str] = DEFAULT_SYMBOLS,
        start_price: str = "100",
        key_id: str = KEY_ID,
        secret: str = SECRET,
        cash: str = "100000",
        tick_s: float = 0.05,
        bar_every: int = 20,
        max_fill_qty: str | None = None,
        binary_frames: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.key_id = key_id
        self.secret = secret
        self.host = host
        self.port = port
        self.tick_s = tick_s
        self.bar_every = max(1, bar_every)
        self.binary_frames = binary_frames
        self.max_fill_raw = Qty.parse(max_fill_qty).raw if max_fill_qty else 0
        self._rng = random.Random(seed)
        self.markets = {
            s.upper(): _SymbolMarket(s.upper(), seed + i, start_price, self._rng)
            for i, s in enumerate(symbols)
        }
        self.cash_raw = Qty.parse(cash).raw
        self.orders: dict[str, dict[str, Any]] = {}
        self._by_coid: dict[str, str] = {}
        self._state: dict[str, dict[str, int]] = {}  # order id -> raw numbers
        self.positions: dict[str, list[int]] = {}  # symbol -> [signed qty raw, cost raw*raw]
        self._trade_clients: set[web.WebSocketResponse] = set()
        self._data_clients: dict[web.WebSocketResponse, dict[str, set[str]]] = {}
        self.refusing_trade_streams = False
        self.paused = False
        self.last_fill: str | None = None
        self.trade_connections = 0
        self.read_delay_s = 0.0  # a slow broker: each GET of one order waits this long
        self.next_replace = ""  # OLD_FILLS_FIRST / NEW_FILLS_FIRST: how the next replace goes
        self._lose: list[float | None] = []
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None
        # every message leaves through one queue, in the order it was made (a fill never
        # overtakes the "new" of its order); None: to every trade_updates listener
        self._outbox: asyncio.Queue[tuple[web.WebSocketResponse | None, str]] = asyncio.Queue()
        self._ticks = 0

    # lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(middlewares=[self._auth])
        app.router.add_get("/v2/account", self._account)
        app.router.add_get("/v2/positions", self._positions)
        app.router.add_post("/v2/orders", self._submit)
        app.router.add_get("/v2/orders", self._list)
        app.router.add_get("/v2/orders:by_client_order_id", self._by_client_id)
        app.router.add_get("/v2/orders/{order_id}", self._get)
        app.router.add_delete("/v2/orders/{order_id}", self._cancel)
        app.router.add_patch("/v2/orders/{order_id}", self._replace)
        app.router.add_get("/stream", self._trade_stream)
        app.router.add_get("/v2/{feed}", self._data_stream)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        for address in self._runner.addresses:  # the port the system chose for port 0
            self.port = int(address[1])
        self._ticker = asyncio.create_task(self._run_market())
        self._sender = asyncio.create_task(self._send_outbox())

    async def stop(self) -> None:
        for task in (self._ticker, self._sender):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._ticker = self._sender = None
        for ws in [*self._trade_clients, *self._data_clients]:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def broker_config(self, *, secret: str | None = None) -> BrokerConfig:
        return BrokerConfig(
            trading_url=self.url,
            trading_stream_url=f"ws://{self.host}:{self.port}/stream",
            data_stream_url=f"ws://{self.host}:{self.port}/v2",
            key_id=self.key_id,
            secret=self.secret if secret is None else secret,
            feed="iex",
        )

    def toml(self) -> str:
        """A ready-made broker.toml for this sandbox."""
        c = self.broker_config()
        return (
            'broker = "alpaca"\n'
            f'trading_url = "{c.trading_url}"\n'
            f'trading_stream_url = "{c.trading_stream_url}"\n'
            f'data_stream_url = "{c.data_stream_url}"\n'
            f'feed = "{c.feed}"\n'
            f'key_id = "{c.key_id}"\n'
            f'secret = "{c.secret}"\n'
        )

    # test hooks ----------------------------------------------------------------------------
    async def drop_trade_streams(self) -> None:
        """Close every trade_updates connection (the client must reconnect)."""
        for ws in list(self._trade_clients):
            await ws.close()
        self._trade_clients.clear()

    def send_raw_trade_update(self, text: str) -> None:
        self._outbox.put_nowait((None, text))

    def resend_last_fill(self) -> None:
        if self.last_fill is not None:
            self._outbox.put_nowait((None, self.last_fill))

    def lose_next_answer(self, delay_s: float | None = 0.0) -> None:
        """The next submit, cancel or replace gets no answer (the connection drops); the broker
        carries it out ``delay_s`` later, or never (None)."""
        self._lose.append(delay_s)

    def set_mid(self, symbol: str, price: str) -> None:
        """Move a symbol's market to this mid now and match its orders (tests)."""
        market = self.markets[symbol]
        market.set_mid(market.instrument.make_price(price).raw)
        self._match(symbol)

    def order_by_client_id(self, coid: str) -> dict[str, Any] | None:
        oid = self._by_coid.get(coid)
        return None if oid is None else self.orders[oid]

    # market ------------------------------------------------------------------------------
    async def _run_market(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            self._ticks += 1
            for symbol, market in self.markets.items():
                if not self.paused:
                    market.set_mid(market.walk.next_mid_raw())
                self._publish_market(symbol, market)
                self._match(symbol)

    def _publish_market(self, symbol: str, m: _SymbolMarket) -> None:
        now = ts_text(time.time_ns())
        bid_size = 1 + m.rng.randrange(9)
        ask_size = 1 + m.rng.randrange(9)
        size = 1 + m.rng.randrange(500)
        m.bar.append(m.mid)
        m.volume += size
        name = json.dumps(symbol)
        quote = (
            f'{{"T":"q","S":{name},"bx":"V","bp":{_num(m.bid)},"bs":{bid_size},"ax":"V",'
            f'"ap":{_num(m.ask)},"as":{ask_size},"c":["R"],"z":"B","t":"{now}"}}'
        )
        trade = (
            f'{{"T":"t","S":{name},"i":{self._ticks},"x":"V","p":{_num(m.mid)},"s":{size},'
            f'"c":["@"],"z":"B","t":"{now}"}}'
        )
        self._send_data("quotes", symbol, quote)
        self._send_data("trades", symbol, trade)
        if len(m.bar) >= self.bar_every:
            bar = (
                f'{{"T":"b","S":{name},"o":{_num(m.bar[0])},"h":{_num(max(m.bar))},'
                f'"l":{_num(min(m.bar))},"c":{_num(m.bar[-1])},"v":{m.volume},"t":"{now}",'
                f'"n":{len(m.bar)},"vw":{_num(m.bar[-1])}}}'
            )
            m.bar = []
            m.volume = 0
            self._send_data("bars", symbol, bar)

    def _send_data(self, channel: str, symbol: str, item: str) -> None:
        for ws, subs in list(self._data_clients.items()):
            if symbol in subs.get(channel, ()) and not ws.closed:
                self._outbox.put_nowait((ws, f"[{item}]"))

    def _match(self, symbol: str) -> None:
        market = self.markets[symbol]
        for oid in [o for o, d in self.orders.items() if d["symbol"] == symbol]:
            order = self.orders[oid]
            if order["status"] not in OPEN_STATUSES:
                continue
            state = self._state[oid]
            buy = order["side"] == "buy"
            touch = market.ask if buy else market.bid
            kind = order["type"]
            if kind in ("stop", "stop_limit") and not state["triggered"]:
                stop = state["stop"]
                if (buy and touch >= stop) or (not buy and touch <= stop):
                    state["triggered"] = 1
                else:
                    continue
            if kind in ("limit", "stop_limit"):
                limit = state["limit"]
                if (buy and touch > limit) or (not buy and touch < limit):
                    if order["time_in_force"] in ("ioc", "fok"):
                        self._end(oid, "canceled")
                    continue
            leaves = state["qty"] - state["filled"]
            if order["time_in_force"] == "fok" and self.max_fill_raw and leaves > self.max_fill_raw:
                self._end(oid, "canceled")
                continue
            qty = min(leaves, self.max_fill_raw) if self.max_fill_raw else leaves
            self._fill(oid, qty, touch)
            if order["time_in_force"] == "ioc" and order["status"] in OPEN_STATUSES:
                self._end(oid, "canceled")

    def _fill(self, oid: str, qty: int, px: int) -> None:
        order = self.orders[oid]
        state = self._state[oid]
        state["filled"] += qty
        state["notional"] += qty * px
        buy = order["side"] == "buy"
        signed = qty if buy else -qty
        position = self.positions.setdefault(order["symbol"], [0, 0])
        position[0] += signed
        position[1] += signed * px
        self.cash_raw -= div_round_half_even(signed * px, SCALE)
        now = ts_text(time.time_ns())
        done = state["filled"] >= state["qty"]
        order["filled_qty"] = str(Qty(state["filled"]))
        order["filled_avg_price"] = str(
            Price(div_round_half_even(state["notional"], state["filled"]))
        )
        order["status"] = "filled" if done else "partially_filled"
        order["updated_at"] = now
        if done:
            order["filled_at"] = now
        event = {
            "event": "fill" if done else "partial_fill",
            "execution_id": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            "price": str(Price(px)),
            "qty": str(Qty(qty)),
            "position_qty": str(Qty(abs(position[0]))) if position[0] >= 0 else
            "-" + str(Qty(-position[0])),
            "timestamp": now,
            "order": dict(order),
        }  # fmt: skip
        self.last_fill = self._update_text(event)
        self._outbox.put_nowait((None, self.last_fill))

    def _end(self, oid: str, status: str) -> None:
        order = self.orders[oid]
        now = ts_text(time.time_ns())
        order["status"] = status
        order["updated_at"] = now
        order[f"{status}_at"] = now
        self._emit(status, order)

    # trade updates -------------------------------------------------------------------------
    def _update_text(self, data: dict[str, Any]) -> str:
        return json.dumps({"stream": "trade_updates", "data": data})

    def _emit(self, event: str, order: dict[str, Any]) -> None:
        text = self._update_text(
            {"event": event, "timestamp": order["updated_at"], "order": dict(order)}
        )
        self._outbox.put_nowait((None, text))

    async def _send_outbox(self) -> None:
        while True:
            ws, text = await self._outbox.get()
            if ws is None:
                await self._broadcast(text)
            elif not ws.closed:
                try:
                    await ws.send_str(text)
                except ConnectionError:
                    self._data_clients.pop(ws, None)

    async def _broadcast(self, text: str) -> None:
        for ws in list(self._trade_clients):
            if ws.closed:
                continue
            try:
                if self.binary_frames:
                    await ws.send_bytes(text.encode())
                else:
                    await ws.send_str(text)
            except ConnectionError:
                self._trade_clients.discard(ws)

    # REST ----------------------------------------------------------------------------------
    @web.middleware
    async def _auth(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await handler(request)  # the streams log in with a message
        key = request.headers.get("APCA-API-KEY-ID")
        secret = request.headers.get("APCA-API-SECRET-KEY")
        if key != self.key_id or secret != self.secret:
            return _error(401, 40110000, "request is not authorized")
        return await handler(request)

    async def _account(self, _: web.Request) -> web.Response:
        equity_raw = self.cash_raw + sum(
            div_round_half_even(p[0] * self.markets[s].mid, SCALE)
            for s, p in self.positions.items()
        )
        cash = str(Price(self.cash_raw))
        return web.json_response(
            {
                "id": "00000000-0000-4000-8000-000000000001",
                "account_number": "SANDBOX1",
                "status": "ACTIVE",
                "currency": "USD",
                "cash": cash,
                "buying_power": str(Price(self._buying_power())),
                "equity": str(Price(equity_raw)),
                "portfolio_value": str(Price(equity_raw)),
                "pattern_day_trader": False,
                "trading_blocked": False,
                "account_blocked": False,
                "shorting_enabled": True,
            }
        )

    def _buying_power(self) -> int:
        committed = 0
        for oid, order in self.orders.items():
            if order["status"] in OPEN_STATUSES and order["side"] == "buy":
                state = self._state[oid]
                px = state["limit"] or state["stop"] or self.markets[order["symbol"]].ask
                committed += div_round_half_even((state["qty"] - state["filled"]) * px, SCALE)
        return self.cash_raw - committed

    async def _positions(self, _: web.Request) -> web.Response:
        out = []
        for symbol, (qty, cost) in sorted(self.positions.items()):
            if qty == 0:
                continue
            mid = self.markets[symbol].mid
            out.append(
                {
                    "asset_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, symbol)),
                    "symbol": symbol,
                    "exchange": "ARCA",
                    "asset_class": "us_equity",
                    "avg_entry_price": str(Price(div_round_half_even(cost, qty))),
                    "qty": ("-" if qty < 0 else "") + str(Qty(abs(qty))),
                    "side": "long" if qty > 0 else "short",
                    "market_value": str(Price(div_round_half_even(qty * mid, SCALE))),
                    "current_price": str(Price(mid)),
                }
            )
        return web.json_response(out)

    async def _submit(self, request: web.Request) -> web.Response:
        return self._answer(request, partial(self._place, await request.text()))

    def _answer(self, request: web.Request, work: Callable[[], web.Response]) -> web.Response:
        """``work``'s answer, or (``lose_next_answer``) none: the connection drops."""
        if not self._lose:
            return work()
        delay = self._lose.pop(0)
        if delay is not None:
            asyncio.get_running_loop().call_later(delay, work)
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=503)  # never sent: the connection is gone

    def _place(self, text: str) -> web.Response:
        try:
            body = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError:
            return _error(400, 40010000, "request body format is invalid")
        if not isinstance(body, dict):
            return _error(400, 40010000, "request body format is invalid")
        symbol = str(body.get("symbol", "")).upper()
        if symbol not in self.markets:
            return _error(422, 40010001, f'asset "{symbol}" not found')
        side = body.get("side")
        kind = body.get("type")
        tif = body.get("time_in_force")
        if side not in ("buy", "sell"):
            return _error(422, 40010001, "side must be buy or sell")
        if kind not in ("market", "limit", "stop", "stop_limit"):
            return _error(422, 40010001, f"invalid order type {kind!r}")
        if tif not in ("day", "gtc", "ioc", "fok"):
            return _error(422, 40010001, f"invalid time_in_force {tif!r}")
        try:
            qty = Qty.from_decimal(decimal_of(body.get("qty"), "qty")).raw
            limit = self._price(body, "limit_price", kind in ("limit", "stop_limit"))
            stop = self._price(body, "stop_price", kind in ("stop", "stop_limit"))
        except (WireError, ValueError) as exc:
            return _error(422, 40010001, str(exc))
        if qty <= 0:
            return _error(422, 40010001, "qty must be > 0")
        coid = str(body.get("client_order_id") or uuid.UUID(int=self._rng.getrandbits(128)))
        if coid in self._by_coid:
            return _error(422, 40010001, "client_order_id must be unique")
        market = self.markets[symbol]
        if side == "buy":
            cost = div_round_half_even(qty * (limit or stop or market.ask), SCALE)
            if cost > self._buying_power():
                return _error(403, 40310000, "insufficient buying power")
        order = self._new_order(symbol, side, kind, tif, qty, limit, stop, coid, "")
        self._emit("new", order)
        asyncio.get_running_loop().call_soon(self._match, symbol)
        return web.json_response(order)

    @staticmethod
    def _price(body: dict[str, Any], key: str, needed: bool) -> int:
        value = body.get(key)
        if value is None:
            if needed:
                raise ValueError(f"{key} is required")
            return 0
        if not needed:
            raise ValueError(f"{key} must not be given for this order type")
        price = Price.from_decimal(decimal_of(value, key)).raw
        if price <= 0 or price % (SCALE // 100):
            raise ValueError(f"invalid {key} {value}: positive, at most 2 decimals")
        return price

    def _new_order(
        self, symbol: str, side: str, kind: str, tif: str, qty: int, limit: int, stop: int,
        coid: str, replaces: str,
    ) -> dict[str, Any]:  # fmt: skip
        oid = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        now = ts_text(time.time_ns())
        order = {
            "id": oid,
            "client_order_id": coid,
            "created_at": now,
            "updated_at": now,
            "submitted_at": now,
            "filled_at": None,
            "expired_at": None,
            "canceled_at": None,
            "failed_at": None,
            "replaced_at": None,
            "replaced_by": None,
            "replaces": replaces or None,
            "asset_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, symbol)),
            "symbol": symbol,
            "asset_class": "us_equity",
            "notional": None,
            "qty": str(Qty(qty)),
            "filled_qty": "0",
            "filled_avg_price": None,
            "order_class": "",
            "order_type": kind,
            "type": kind,
            "side": side,
            "time_in_force": tif,
            "limit_price": str(Price(limit)) if limit else None,
            "stop_price": str(Price(stop)) if stop else None,
            "status": "new",
            "extended_hours": False,
            "legs": None,
            "trail_percent": None,
            "trail_price": None,
            "hwm": None,
        }
        self.orders[oid] = order
        self._by_coid[coid] = oid
        self._state[oid] = {
            "qty": qty, "filled": 0, "notional": 0, "limit": limit, "stop": stop, "triggered": 0,
        }  # fmt: skip
        return order

    async def _list(self, request: web.Request) -> web.Response:
        status = request.query.get("status", "open")
        orders = list(self.orders.values())
        if status == "open":
            orders = [o for o in orders if o["status"] in OPEN_STATUSES]
        elif status == "closed":
            orders = [o for o in orders if o["status"] not in OPEN_STATUSES]
        if request.query.get("direction", "desc") == "desc":
            orders.reverse()
        return web.json_response(orders[: int(request.query.get("limit", "50"))])

    async def _get(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.read_delay_s)
        order = self.orders.get(request.match_info["order_id"])
        if order is None:
            return _error(404, 40410000, "order not found")
        return web.json_response(order)

    async def _by_client_id(self, request: web.Request) -> web.Response:
        order = self.order_by_client_id(request.query.get("client_order_id", ""))
        if order is None:
            return _error(404, 40410000, "order not found")
        return web.json_response(order)

    async def _cancel(self, request: web.Request) -> web.Response:
        return self._answer(request, partial(self._do_cancel, request.match_info["order_id"]))

    def _do_cancel(self, oid: str) -> web.Response:
        order = self.orders.get(oid)
        if order is None:
            return _error(404, 40410000, "order not found")
        if order["status"] not in OPEN_STATUSES:
            return _error(422, 42210000, "order is not cancelable")
        self._end(oid, "canceled")
        return web.Response(status=204)

    async def _replace(self, request: web.Request) -> web.Response:
        text = await request.text()
        return self._answer(
            request, partial(self._do_replace, request.match_info["order_id"], text)
        )

    def _do_replace(self, oid: str, text: str) -> web.Response:
        old = self.orders.get(oid)
        if old is None:
            return _error(404, 40410000, "order not found")
        if old["status"] not in OPEN_STATUSES:
            return _error(422, 42210000, "order is not replaceable")
        try:
            body = json.loads(text, parse_float=Decimal)
            state = self._state[oid]
            kind = old["type"]
            qty = state["qty"] - state["filled"]
            if body.get("qty") is not None:
                qty = Qty.from_decimal(decimal_of(body["qty"], "qty")).raw
            limit = state["limit"]
            stop = state["stop"]
            if body.get("limit_price") is not None:
                limit = self._price(body, "limit_price", kind in ("limit", "stop_limit"))
            if body.get("stop_price") is not None:
                stop = self._price(body, "stop_price", kind in ("stop", "stop_limit"))
        except (json.JSONDecodeError, WireError, ValueError, AttributeError) as exc:
            return _error(422, 40010001, str(exc))
        if qty <= 0:
            return _error(422, 40010001, "qty must be > 0")
        coid = str(body.get("client_order_id") or uuid.UUID(int=self._rng.getrandbits(128)))
        if coid in self._by_coid:
            return _error(422, 40010001, "client_order_id must be unique")
        tif = str(body.get("time_in_force") or old["time_in_force"])
        new = self._new_order(old["symbol"], old["side"], kind, tif, qty, limit, stop, coid, oid)
        answer = web.json_response(new)
        race, self.next_replace = self.next_replace, ""
        if race == OLD_FILLS_FIRST:
            market = self.markets[old["symbol"]]
            touch = market.ask if old["side"] == "buy" else market.bid
            self._fill(oid, state["qty"] - state["filled"], touch)
            self._end(new["id"], "rejected")
            return answer
        now = ts_text(time.time_ns())
        old["status"] = "replaced"
        old["replaced_by"] = new["id"]
        old["replaced_at"] = now
        old["updated_at"] = now
        if race == NEW_FILLS_FIRST:
            self._match(old["symbol"])
            self._emit("replaced", old)
        else:
            self._emit("replaced", old)
            asyncio.get_running_loop().call_soon(self._match, old["symbol"])
        return answer

    # streams -------------------------------------------------------------------------------
    async def _trade_stream(self, request: web.Request) -> web.StreamResponse:
        if self.refusing_trade_streams:
            return web.Response(status=503, text="trade stream unavailable")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.trade_connections += 1
        authorized = False
        async for msg in ws:
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                continue
            try:
                message = json.loads(msg.data)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            action = message.get("action") if isinstance(message, dict) else None
            if action in ("auth", "authenticate"):
                data = message.get("data") if action == "authenticate" else message
                ok = isinstance(data, dict) and (
                    data.get("key", data.get("key_id")) == self.key_id
                    and data.get("secret", data.get("secret_key")) == self.secret
                )
                status = "authorized" if ok else "unauthorized"
                await self._send_trade(
                    ws,
                    {
                        "stream": "authorization",
                        "data": {"status": status, "action": "authenticate"},
                    },
                )
                if not ok:
                    await ws.close()
                    break
                authorized = True
            elif action == "listen" and authorized:
                streams = message.get("data", {}).get("streams", [])
                granted = [s for s in streams if s == "trade_updates"]
                if granted:
                    self._trade_clients.add(ws)
                else:
                    self._trade_clients.discard(ws)
                await self._send_trade(ws, {"stream": "listening", "data": {"streams": granted}})
        self._trade_clients.discard(ws)
        return ws

    async def _send_trade(self, ws: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        text = json.dumps(payload)
        if self.binary_frames:
            await ws.send_bytes(text.encode())
        else:
            await ws.send_str(text)

    async def _data_stream(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str('[{"T":"success","msg":"connected"}]')
        authorized = False
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                message = json.loads(msg.data)
            except json.JSONDecodeError:
                await ws.send_str('[{"T":"error","code":400,"msg":"invalid syntax"}]')
                continue
            action = message.get("action") if isinstance(message, dict) else None
            if action == "auth":
                if message.get("key") == self.key_id and message.get("secret") == self.secret:
                    authorized = True
                    await ws.send_str('[{"T":"success","msg":"authenticated"}]')
                else:
                    await ws.send_str('[{"T":"error","code":402,"msg":"auth failed"}]')
                    await ws.close()
                    break
            elif not authorized:
                await ws.send_str('[{"T":"error","code":401,"msg":"not authenticated"}]')
            elif action == "subscribe":
                subs = self._data_clients.setdefault(
                    ws, {"trades": set(), "quotes": set(), "bars": set()}
                )
                for channel in ("trades", "quotes", "bars"):
                    subs[channel].update(str(s).upper() for s in message.get(channel, []))
                await ws.send_str(
                    json.dumps([{"T": "subscription", **{k: sorted(v) for k, v in subs.items()}}])
                )
            else:
                await ws.send_str('[{"T":"error","code":400,"msg":"invalid syntax"}]')
        self._data_clients.pop(ws, None)
        return ws
