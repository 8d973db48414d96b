"""How the simulated venue fills: bar convention, volume participation and the trading session."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final, final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.values import SCALE, raw_from_float, raw_from_str

NS_PER_SECOND: Final = 1_000_000_000


class BarConvention:
    """When a market order decided on bar t fills (int constants: compiled code compares natively).

    NEXT_OPEN (default): at the open of bar t+1, the first price nobody could know at decision
    time. SAME_CLOSE: at the close of bar t itself, the bar the strategy is looking at; this is
    look-ahead-prone (the close is only known once it can no longer be traded) and is opt-in.
    """

    NEXT_OPEN: Final = 1
    SAME_CLOSE: Final = 2

    NAMES: Final = {1: "NEXT_OPEN", 2: "SAME_CLOSE"}


class DataKind:
    """Which market data a fill was made on (slippage models may treat them differently)."""

    BAR: Final = 1
    TRADE: Final = 2
    QUOTE: Final = 3

    NAMES: Final = {1: "BAR", 2: "TRADE", 3: "QUOTE"}


@final
class FillConfig:
    """Fill rules of a ``SimulatedVenue``; validated on creation, immutable.

    A plain class with Final attributes rather than a frozen dataclass: this module is compiled
    with mypyc, where creating dataclass instances is slow.

    ``participation``: the share of each bar's volume (and of each trade print's size) our orders
    on one instrument may take in total; ``None`` removes the cap. It is held as parts per billion
    so the per-event maths stays in integers.
    ``session_close`` ("HH:MM") and ``session_tz`` (an IANA name): when DAY orders expire.
    """

    def __init__(
        self,
        *,
        bar_convention: int = BarConvention.NEXT_OPEN,
        participation: float | None = 0.1,
        session_close: str = "00:00",
        session_tz: str = "UTC",
    ) -> None:
        if bar_convention not in BarConvention.NAMES:
            raise ValueError(f"unknown bar convention {bar_convention}")
        participation_ppb = 0
        if participation is not None:
            participation_ppb = raw_from_float(float(participation), "participation")
            if not 0 < participation_ppb <= SCALE:
                raise ValueError(
                    f"participation must be in (0, 1] (or None for no cap), got {participation}"
                )
        hours, minutes = _parse_hh_mm(session_close)
        self.bar_convention: Final = bar_convention
        self.participation: Final = participation
        self.participation_ppb: Final[int] = participation_ppb  # 0 = no cap
        self.session_close: Final = session_close
        self.session_tz: Final = session_tz
        self._close_hour: Final = hours
        self._close_minute: Final = minutes
        self._zone: Final[tzinfo] = _zone(session_tz)

    def session_close_after(self, ts_ns: int) -> int:
        """The first session close strictly after ``ts_ns`` (UTC ns), computed with zoneinfo.

        A close time that does not exist on a daylight-saving day resolves as zoneinfo does
        (fold=0, the offset in force before the change).
        """
        zone = self._zone
        seconds = ts_ns // NS_PER_SECOND
        local_day = datetime.fromtimestamp(seconds, zone).date()
        for days_ahead in range(3):
            day = local_day + timedelta(days=days_ahead)
            local_close = datetime(
                day.year, day.month, day.day, self._close_hour, self._close_minute, tzinfo=zone
            )
            utc = local_close.astimezone(UTC)
            close_ns = calendar.timegm(utc.timetuple()) * NS_PER_SECOND
            if close_ns > ts_ns:
                return close_ns
        raise AssertionError("a session close always comes within three local days")

    def __repr__(self) -> str:
        part = "none" if self.participation is None else f"{self.participation}"
        return (
            f"FillConfig({BarConvention.NAMES[self.bar_convention]}, participation={part}, "
            f"session close {self.session_close} {self.session_tz})"
        )


def _parse_hh_mm(text: str) -> tuple[int, int]:
    hh, colon, mm = text.strip().partition(":")
    if not colon or not hh.isdigit() or not mm.isdigit() or len(mm) != 2:
        raise ValueError(f"session close must look like HH:MM, got {text!r}")
    hours = int(hh)
    minutes = int(mm)
    if hours > 23 or minutes > 59:
        raise ValueError(f"session close must be a time of day 00:00..23:59, got {text!r}")
    return hours, minutes


def _zone(name: str) -> tzinfo:
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (expected an IANA name)") from None


def to_ppb(value: float | int | str, what: str) -> int:
    """A model parameter (a float such as 0.1, an int, or text "0.1") as parts per billion."""
    if isinstance(value, str):
        return raw_from_str(value, what)
    if isinstance(value, int):
        return value * SCALE
    return raw_from_float(value, what)
