"""How engine values become journal rows and back, exactly.

Order events are stored as their class name plus a JSON object of the fields that are not the
order's identity; :func:`event_from_row` rebuilds the very same event, so an order's state after
a crash is the engine's own state machine replayed over its journaled events. Metrics are stored
unrounded (money as raw integers, floats as their shortest exact text), so a report rebuilt from
the journal is byte-identical to the one written at run time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import sys
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring as quote  # C-accelerated
from typing import Any, Final, cast

from core.enums import Liquidity, OrderSide, OrderStatus, OrderType, TimeInForce
from core.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderModifyRejected,
    OrderPendingCancel,
    OrderPendingUpdate,
    OrderRejected,
    OrderSubmitted,
    OrderTriggered,
    OrderUpdated,
)
from core.metrics import Metrics
from core.values import Money, Price, Qty

JsonObject = dict[str, Any]


def dumps(value: object) -> str:
    """Canonical JSON text for TEXT columns (keys kept in the given order)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def side_name(side: int) -> str:
    return OrderSide.name(side)


def side_value(name: str) -> int:
    return OrderSide.parse(name)


def _inverse(names: Mapping[int, str]) -> dict[str, int]:
    return {name: value for value, name in names.items()}


ORDER_TYPES: Final = _inverse(OrderType.NAMES)
TIME_IN_FORCE: Final = _inverse(TimeInForce.NAMES)
STATUSES: Final = _inverse(OrderStatus.NAMES)
LIQUIDITY: Final = _inverse(Liquidity.NAMES)
TERMINAL_STATUS_NAMES: Final = ("DENIED", "REJECTED", "CANCELED", "EXPIRED", "FILLED")


# ------------------------------------------------------------------------------------------------
# order events


# The details of the frequent events are written with f-strings around the C string quoter:
# several times cheaper than json.dumps per row, and a test parses every kind back.


def _reasoned(event: OrderEvent) -> str:
    return f'{{"reason":{quote(getattr(event, "reason", ""))}}}'


def _accepted(event: OrderEvent) -> str:
    return f'{{"venue_order_id":{quote(cast(OrderAccepted, event).venue_order_id)}}}'


def _denied(event: OrderEvent) -> str:
    e = cast(OrderDenied, event)
    return f'{{"rule":{quote(e.rule)},"reason":{quote(e.reason)}}}'


def _updated(event: OrderEvent) -> str:
    e = cast(OrderUpdated, event)
    return dumps(
        {
            "qty_raw": e.qty.raw,
            "price_raw": None if e.price is None else e.price.raw,
            "trigger_raw": None if e.trigger_price is None else e.trigger_price.raw,
        }
    )


_SIDES: Final = {OrderSide.BUY: '"BUY"', OrderSide.SELL: '"SELL"'}
_LIQUIDITY_TEXT: Final = {value: f'"{name}"' for value, name in Liquidity.NAMES.items()}


def _filled(event: OrderEvent) -> str:
    e = cast(OrderFilled, event)
    liquidity = _LIQUIDITY_TEXT.get(e.liquidity) or quote(str(e.liquidity))
    return (
        f'{{"trade_id":{quote(e.trade_id)},"side":{_SIDES[e.side]},'
        f'"qty_raw":{e.last_qty.raw},"px_raw":{e.last_px.raw},"fee_raw":{e.fee.raw},'
        f'"fee_currency":{quote(e.fee.currency)},"liquidity":{liquidity}}}'
    )


# the event classes the journal knows, with their details (None: identity only)
_DETAILS: Final[dict[type[OrderEvent], Callable[[OrderEvent], str] | None]] = {
    OrderSubmitted: None,
    OrderAccepted: _accepted,
    OrderDenied: _denied,
    OrderRejected: _reasoned,
    OrderCanceled: _reasoned,
    OrderExpired: _reasoned,
    OrderCancelRejected: _reasoned,
    OrderModifyRejected: _reasoned,
    OrderTriggered: None,
    OrderPendingCancel: None,
    OrderPendingUpdate: None,
    OrderUpdated: _updated,
    OrderFilled: _filled,
}
EVENT_CLASSES: Final = {cls.__name__: cls for cls in _DETAILS}


def event_details(event: OrderEvent) -> str | None:
    encode = _DETAILS.get(type(event))
    return None if encode is None else encode(event)


def event_from_row(
    kind: str,
    ts: int,
    details_json: str | None,
    *,
    strategy_id: str,
    client_order_id: str,
    instrument_id: str,
) -> OrderEvent:
    """The order event a journal row describes (raises ValueError for an unknown kind)."""
    ident: JsonObject = {
        "strategy_id": strategy_id,
        "client_order_id": client_order_id,
        "instrument_id": instrument_id,
        "ts_event": ts,
    }
    d: JsonObject = json.loads(details_json) if details_json else {}
    if kind == "OrderAccepted":
        return OrderAccepted(**ident, venue_order_id=str(d.get("venue_order_id", "")))
    if kind == "OrderDenied":
        return OrderDenied(**ident, rule=str(d.get("rule", "")), reason=str(d.get("reason", "")))
    if kind == "OrderUpdated":
        price, trigger = d.get("price_raw"), d.get("trigger_raw")
        return OrderUpdated(
            **ident,
            qty=Qty(int(d["qty_raw"])),
            price=None if price is None else Price(int(price)),
            trigger_price=None if trigger is None else Price(int(trigger)),
        )
    if kind == "OrderFilled":
        return OrderFilled(
            **ident,
            trade_id=str(d["trade_id"]),
            side=side_value(str(d["side"])),
            last_qty=Qty(int(d["qty_raw"])),
            last_px=Price(int(d["px_raw"])),
            fee=Money(int(d["fee_raw"]), str(d["fee_currency"])),
            liquidity=LIQUIDITY.get(str(d["liquidity"]), 0),
        )
    cls = EVENT_CLASSES.get(kind)
    if cls is None:
        raise ValueError(f"unknown order event kind {kind!r} in the journal")
    if _DETAILS[cls] is _reasoned:
        reasoned: Any = cls  # the reasoned event classes share one constructor
        event: OrderEvent = reasoned(**ident, reason=str(d.get("reason", "")))
        return event
    plain: Any = cls  # OrderSubmitted, OrderTriggered, OrderPending*: identity only
    simple: OrderEvent = plain(**ident)
    return simple


# ------------------------------------------------------------------------------------------------
# metrics


def metrics_to_json(metrics: Metrics) -> JsonObject:
    """Every field of ``metrics``, money as ``{"raw": n}``: exact, unlike ``Metrics.to_dict``."""
    out: JsonObject = {}
    for field in dataclasses.fields(metrics):
        value = getattr(metrics, field.name)
        out[field.name] = {"raw": value.raw} if isinstance(value, Money) else value
    return out


def metrics_from_json(data: Mapping[str, Any]) -> Metrics:
    currency = str(data["currency"])
    kwargs: JsonObject = {}
    for field in dataclasses.fields(Metrics):
        value = data[field.name]
        if isinstance(value, dict):
            value = Money(int(value["raw"]), currency)
        kwargs[field.name] = value
    return Metrics(**kwargs)


# ------------------------------------------------------------------------------------------------
# strategies


def code_hash_of(cls: type) -> str:
    """sha256 of the file that defines ``cls`` (its source, or the compiled module for a
    mypyc-built template); "" when there is no file (a class made at run time)."""
    path: str | None = None
    try:
        path = inspect.getsourcefile(cls)
    except TypeError:
        path = None
    if path is None:
        module = sys.modules.get(cls.__module__)
        path = getattr(module, "__file__", None)
    if not path:
        return ""
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return ""


def parameters_of(config: object) -> dict[str, Any]:
    """A strategy config's fields as JSON values (text for anything JSON cannot hold)."""
    if config is None:
        return {}
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        out: dict[str, Any] = {}
        for field in dataclasses.fields(config):
            value = getattr(config, field.name)
            is_plain = isinstance(value, (str, int, float, bool)) or value is None
            out[field.name] = value if is_plain else str(value)
        return out
    if isinstance(config, Mapping):
        return {str(k): v for k, v in config.items()}
    raise TypeError(f"strategy parameters must be a dataclass or a mapping, got {config!r}")
