"""Text for numbers and times in tables and tooltips (raw fixed-point ints in, text out)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.data.display import format_fixed
from core.values import format_raw

NS_PER_S = 1_000_000_000


def money(raw: int | None, currency: str = "") -> str:
    if raw is None:
        return ""
    text = format_raw(raw, 2)
    return f"{text} {currency}" if currency else text


def fixed(raw: int | None) -> str:
    """A price or quantity without trailing zeros (``101.5``, ``100``)."""
    return "" if raw is None else format_fixed(raw)


def timestamp(ts: int | None, *, seconds: bool = True) -> str:
    """``2024-01-02 09:30:00`` (UTC); midnight stamps of daily data show the date alone."""
    if ts is None:
        return ""
    moment = datetime.fromtimestamp(ts / NS_PER_S, UTC)
    if moment.hour == 0 and moment.minute == 0 and moment.second == 0:
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def duration(ns: int) -> str:
    seconds = ns // NS_PER_S
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s"
