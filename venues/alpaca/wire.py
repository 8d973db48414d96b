"""Alpaca's wire format at one edge: JSON text in, domain values out, and back.

Vendor field names stop here. Numbers are read exactly: JSON numbers become ``Decimal``
(``parse_float=Decimal``), decimal strings become ``Decimal``, and both become our raw
integers without ever passing through a float; NaN and infinities are refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core.commands import SubmitOrder
from core.enums import OrderSide, OrderType, TimeInForce
from core.values import InvalidValue, Price, Qty

ORDER_TYPES = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP: "stop",
    OrderType.STOP_LIMIT: "stop_limit",
}
ORDER_TYPE_CODES = {v: k for k, v in ORDER_TYPES.items()}
TIME_IN_FORCE = {
    TimeInForce.GTC: "gtc",
    TimeInForce.DAY: "day",
    TimeInForce.IOC: "ioc",
    TimeInForce.FOK: "fok",
}
TIME_IN_FORCE_CODES = {v: k for k, v in TIME_IN_FORCE.items()}
# broker client order ids of this program: "tb-<tag>-<our client order id>[~<replacement>]"
OUR_PREFIX = "tb-"
OPEN_STATUSES = frozenset(
    (
        "new",
        "accepted",
        "pending_new",
        "accepted_for_bidding",
        "partially_filled",
        "pending_cancel",
        "pending_replace",
        "held",
        "calculated",
    )
)


class WireError(ValueError):
    """A message that does not have the form Alpaca documents."""


def _refuse_constant(name: str) -> Any:
    raise WireError(f"{name} is not a number")


def loads(data: str | bytes) -> Any:
    """JSON with exact numbers: floats become Decimal, NaN/Infinity are refused."""
    try:
        return json.loads(data, parse_float=Decimal, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError(f"not JSON: {exc}") from None


def dumps(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"))


def decimal_of(value: object, what: str) -> Decimal:
    """A finite decimal from a JSON number (Decimal or int) or a decimal string."""
    if isinstance(value, bool) or value is None:
        raise WireError(f"{what} is {value!r}, not a number")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise WireError(f"{what} {value!r} is not a number") from None
    else:
        raise WireError(f"{what} {value!r} is not a decimal number")
    if not number.is_finite():
        raise WireError(f"{what} {value!r} is not a finite number")
    return number


def price_of(value: object, what: str) -> Price:
    try:
        price = Price.from_decimal(decimal_of(value, what))
    except InvalidValue as exc:
        raise WireError(str(exc)) from None
    if price.raw <= 0:
        raise WireError(f"{what} {value!r} must be positive")
    return price


def qty_of(value: object, what: str) -> Qty:
    try:
        return Qty.from_decimal(abs(decimal_of(value, what)))
    except InvalidValue as exc:
        raise WireError(str(exc)) from None


def signed_qty_raw(value: object, what: str) -> int:
    number = decimal_of(value, what)
    raw = qty_of(number, what).raw
    return -raw if number < 0 else raw


def ts_text(ts_ns: int) -> str:
    """ns since the epoch as RFC 3339 UTC with nine decimals."""
    seconds, nanos = divmod(ts_ns, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{nanos:09d}Z"


def broker_client_order_id(tag: str, client_order_id: str, replacement: int = 0) -> str:
    base = f"{OUR_PREFIX}{tag}-{client_order_id}"
    return base if replacement == 0 else f"{base}~{replacement}"


def our_client_order_id(broker_coid: str) -> str:
    """Our client order id inside a broker client order id, or "" when it is not ours."""
    if not broker_coid.startswith(OUR_PREFIX):
        return ""
    _, dash, rest = broker_coid[len(OUR_PREFIX) :].partition("-")
    if not dash or not rest:
        return ""
    return rest.partition("~")[0]


def order_request(cmd: SubmitOrder, symbol: str, broker_coid: str) -> dict[str, Any]:
    """The body of ``POST /v2/orders`` for ``cmd`` (prices and quantities as decimal text)."""
    body: dict[str, Any] = {
        "symbol": symbol,
        "qty": str(cmd.qty),
        "side": "buy" if cmd.side == OrderSide.BUY else "sell",
        "type": ORDER_TYPES[cmd.order_type],
        "time_in_force": TIME_IN_FORCE[cmd.time_in_force],
        "client_order_id": broker_coid,
    }
    if cmd.price is not None:
        body["limit_price"] = str(cmd.price)
    if cmd.trigger_price is not None:
        body["stop_price"] = str(cmd.trigger_price)
    return body


@dataclass(frozen=True, kw_only=True)
class BrokerOrder:
    """One order as the broker reports it (REST order object, or a stream event's order)."""

    venue_order_id: str
    broker_client_order_id: str
    client_order_id: str  # ours, "" when the order is not ours
    symbol: str
    side: int
    order_type: int
    time_in_force: int
    qty: Qty
    filled_qty: Qty
    filled_avg_price: Price | None
    price: Price | None
    trigger_price: Price | None
    status: str
    replaced_by: str

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def parse_order(obj: object) -> BrokerOrder:
    if not isinstance(obj, dict):
        raise WireError(f"an order must be a JSON object, got {type(obj).__name__}")
    try:
        side_text = str(obj["side"])
        kind = str(obj.get("type") or obj.get("order_type"))
        tif = str(obj["time_in_force"])
        if side_text not in ("buy", "sell"):
            raise WireError(f"order side {side_text!r} is neither buy nor sell")
        if kind not in ORDER_TYPE_CODES:
            raise WireError(f"order type {kind!r} is not supported")
        if tif not in TIME_IN_FORCE_CODES:
            raise WireError(f"time in force {tif!r} is not supported")
        avg = obj.get("filled_avg_price")
        limit = obj.get("limit_price")
        stop = obj.get("stop_price")
        broker_coid = str(obj.get("client_order_id") or "")
        return BrokerOrder(
            venue_order_id=str(obj["id"]),
            broker_client_order_id=broker_coid,
            client_order_id=our_client_order_id(broker_coid),
            symbol=str(obj["symbol"]),
            side=OrderSide.BUY if side_text == "buy" else OrderSide.SELL,
            order_type=ORDER_TYPE_CODES[kind],
            time_in_force=TIME_IN_FORCE_CODES[tif],
            qty=qty_of(obj["qty"], "qty"),
            filled_qty=qty_of(obj.get("filled_qty") or "0", "filled_qty"),
            filled_avg_price=None if avg is None else price_of(avg, "filled_avg_price"),
            price=None if limit is None else price_of(limit, "limit_price"),
            trigger_price=None if stop is None else price_of(stop, "stop_price"),
            status=str(obj["status"]),
            replaced_by=str(obj.get("replaced_by") or ""),
        )
    except KeyError as missing:
        raise WireError(f"order object without {missing.args[0]!r}") from None


@dataclass(frozen=True, kw_only=True)
class TradeUpdate:
    """One ``trade_updates`` event; ``qty``/``price``/``execution_id`` only for fills."""

    event: str
    order: BrokerOrder
    execution_id: str
    qty: Qty | None
    price: Price | None


def parse_trade_update(data: object) -> TradeUpdate:
    if not isinstance(data, dict):
        raise WireError("trade update data must be a JSON object")
    event = data.get("event")
    if not isinstance(event, str):
        raise WireError("trade update without an event name")
    order = parse_order(data.get("order"))
    qty = data.get("qty")
    price = data.get("price")
    is_fill = event in ("fill", "partial_fill")
    return TradeUpdate(
        event=event,
        order=order,
        execution_id=str(data.get("execution_id") or ""),
        qty=qty_of(qty, "qty") if is_fill and qty is not None else None,
        price=price_of(price, "price") if is_fill and price is not None else None,
    )


def error_message(status: int, text: str) -> str:
    """The broker's own message of an error response (``{"code":..,"message":..}``)."""
    try:
        body = loads(text)
    except WireError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return text.strip()[:200] or f"HTTP {status}"
