"""Alpaca Trading API v2 over HTTP (aiohttp): orders, account, positions."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp

from venues.alpaca.config import BrokerConfig
from venues.alpaca.wire import BrokerOrder, WireError, dumps, error_message, loads, parse_order


class BrokerError(Exception):
    """The broker answered with an error (``status`` > 0) or could not be reached (0)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status

    @property
    def reached(self) -> bool:
        """The broker answered: the request was refused, not lost."""
        return self.status > 0


class BrokerAuthError(BrokerError):
    """The broker refused the keys (HTTP 401/403 on login, or an unauthorized stream)."""


def auth_headers(config: BrokerConfig) -> dict[str, str]:
    return {"APCA-API-KEY-ID": config.key_id, "APCA-API-SECRET-KEY": config.secret}


class AlpacaRest:
    """One HTTP session to the trading API; every call raises ``BrokerError`` on failure."""

    def __init__(self, config: BrokerConfig, *, timeout_s: float = 10.0) -> None:
        self.config = config
        self._base = config.trading_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers=auth_headers(self.config), timeout=self._timeout
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        url = self._base + path
        try:
            async with self.session.request(
                method,
                url,
                data=None if body is None else dumps(body),
                headers=None if body is None else {"Content-Type": "application/json"},
            ) as response:
                text = await response.text()
                status = response.status
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            reason = str(exc) or type(exc).__name__
            raise BrokerError(f"{method} {url} failed: {reason}") from None
        if status == 401:
            message = error_message(status, text)
            raise BrokerAuthError(f"the broker refused the keys (401: {message})", status)
        if status >= 400:
            raise BrokerError(error_message(status, text), status)
        if status == 204 or not text:
            return status, None
        try:
            return status, loads(text)
        except WireError as exc:
            raise BrokerError(f"{method} {url}: malformed response: {exc}", status) from None

    async def account(self) -> dict[str, Any]:
        """The account; also the login check (403 here means the keys may not trade)."""
        try:
            _, body = await self._call("GET", "/v2/account")
        except BrokerError as exc:
            if exc.status == 403:
                raise BrokerAuthError(f"the broker refused the keys (403: {exc})", 403) from None
            raise
        if not isinstance(body, dict):
            raise BrokerError("GET /v2/account: the answer is not an account object")
        return body

    async def positions(self) -> list[dict[str, Any]]:
        _, body = await self._call("GET", "/v2/positions")
        if not isinstance(body, list):
            raise BrokerError("GET /v2/positions: the answer is not a list")
        return [p for p in body if isinstance(p, dict)]

    async def submit_order(self, body: dict[str, Any]) -> BrokerOrder:
        _, answer = await self._call("POST", "/v2/orders", body)
        return self._order(answer)

    async def cancel_order(self, venue_order_id: str) -> None:
        await self._call("DELETE", f"/v2/orders/{quote(venue_order_id)}")

    async def replace_order(self, venue_order_id: str, body: dict[str, Any]) -> BrokerOrder:
        _, answer = await self._call("PATCH", f"/v2/orders/{quote(venue_order_id)}", body)
        return self._order(answer)

    async def order(self, venue_order_id: str) -> BrokerOrder:
        _, answer = await self._call("GET", f"/v2/orders/{quote(venue_order_id)}")
        return self._order(answer)

    async def order_by_client_id(self, broker_coid: str) -> BrokerOrder | None:
        """None when the broker has no order with that client order id (404)."""
        try:
            _, answer = await self._call(
                "GET", f"/v2/orders:by_client_order_id?client_order_id={quote(broker_coid)}"
            )
        except BrokerError as exc:
            if exc.status == 404:
                return None
            raise
        return self._order(answer)

    async def open_orders(self) -> list[BrokerOrder]:
        _, answer = await self._call("GET", "/v2/orders?status=open&limit=500&direction=asc")
        if not isinstance(answer, list):
            raise BrokerError("GET /v2/orders: the answer is not a list")
        return [self._order(o) for o in answer]

    @staticmethod
    def _order(answer: object) -> BrokerOrder:
        try:
            return parse_order(answer)
        except WireError as exc:
            raise BrokerError(f"malformed order from the broker: {exc}") from None
