"""Readable text for timestamps and fixed-point values, as shown in reprs and error messages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from core.values import format_raw

_EPOCH: Final = datetime(1970, 1, 1)
_NS_PER_S: Final = 1_000_000_000


def format_ts_ns(ts_ns: int) -> str:
    """ISO-8601 UTC text of integer nanoseconds: ``2013-10-07T13:31:00Z``, ``...T20:57:42.146Z``."""
    seconds, ns = divmod(ts_ns, _NS_PER_S)
    text = (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    if ns:
        text += "." + f"{ns:09d}".rstrip("0")
    return text + "Z"


def format_fixed(raw: int) -> str:
    """Plain decimal text of a raw 1e-9 fixed-point value without trailing zeros (``101.5``)."""
    text = format_raw(raw)
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_period_ns(period_ns: int) -> str:
    """Compact text of a duration using its largest exact unit: ``1d``, ``5m``, ``250ms``."""
    for unit, size in _UNITS:
        if period_ns % size == 0:
            return f"{period_ns // size}{unit}"
    return f"{period_ns}ns"


_UNITS: Final = (
    ("d", 86_400 * _NS_PER_S),
    ("h", 3_600 * _NS_PER_S),
    ("m", 60 * _NS_PER_S),
    ("s", _NS_PER_S),
    ("ms", 1_000_000),
    ("us", 1_000),
)
