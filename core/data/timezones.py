"""Vectorised conversion between wall-clock nanoseconds of an IANA time zone and UTC nanoseconds.

Uses ``zoneinfo`` (on Windows the ``tzdata`` package provides the database). The zone is asked
about each distinct day only, never about each row: a day whose UTC offset is the same at its
start and end uses that offset throughout; on a transition day the switch instant is found by
binary search over the day's seconds, so rows on either side get their own offset.

Local times that do not exist or occur twice (the hour skipped or repeated around a daylight
saving change) are resolved as ``zoneinfo`` does with ``fold=0``: with the offset in force before
the change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

DAY_NS: Final = 86_400_000_000_000
_SECONDS_PER_DAY: Final = 86_400
_EPOCH: Final = datetime(1970, 1, 1)
_UTC_NAMES: Final = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu", "GMT"})


@lru_cache(maxsize=64)
def zone(name: str) -> tzinfo:
    """The time zone called ``name``; ``ValueError`` for an unknown name."""
    if name in _UTC_NAMES:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (expected an IANA name)") from None


def local_to_utc_ns(local_ns: npt.NDArray[np.int64], tz: str) -> npt.NDArray[np.int64]:
    """UTC nanoseconds of wall-clock nanoseconds (naive, counted from 1970-01-01) in zone ``tz``."""
    info = zone(tz)
    if info is UTC:
        return local_ns.copy()

    def offset(wall: datetime) -> timedelta:
        return _utcoffset(wall.replace(tzinfo=info))

    return local_ns - _offsets_ns(local_ns, offset)


def utc_to_local_ns(utc_ns: npt.NDArray[np.int64], tz: str) -> npt.NDArray[np.int64]:
    """Wall-clock nanoseconds in zone ``tz`` (naive, counted from 1970-01-01) of UTC nanoseconds."""
    info = zone(tz)
    if info is UTC:
        return utc_ns.copy()

    def offset(instant: datetime) -> timedelta:
        return _utcoffset(instant.replace(tzinfo=UTC).astimezone(info))

    return utc_ns + _offsets_ns(utc_ns, offset)


def _utcoffset(moment: datetime) -> timedelta:
    delta = moment.utcoffset()
    if delta is None:  # only naive datetimes have no offset, and every caller passes a zone
        raise ValueError(f"{moment} has no UTC offset")
    return delta


def _offsets_ns(
    ns: npt.NDArray[np.int64], offset_at: Callable[[datetime], timedelta]
) -> npt.NDArray[np.int64]:
    """Per element, the offset (ns) that ``offset_at`` gives for the naive time it encodes."""
    days = ns // DAY_NS
    unique_days, inverse = np.unique(days, return_inverse=True)
    before = np.empty(len(unique_days), dtype=np.int64)
    after = np.empty(len(unique_days), dtype=np.int64)
    switch = np.empty(len(unique_days), dtype=np.int64)
    for k, day in enumerate(unique_days.tolist()):
        midnight = _EPOCH + timedelta(days=day)
        first = offset_at(midnight)
        last = offset_at(midnight + timedelta(days=1, microseconds=-1))
        before[k] = _to_ns(first)
        after[k] = _to_ns(last)
        switch[k] = DAY_NS if first == last else _switch_second(midnight, last, offset_at) * 10**9
    in_day = ns - days * DAY_NS
    return np.where(in_day >= switch[inverse], after[inverse], before[inverse])


def _switch_second(
    midnight: datetime, later: timedelta, offset_at: Callable[[datetime], timedelta]
) -> int:
    """The first second of the day from which ``offset_at`` returns ``later``."""
    lo, hi = 0, _SECONDS_PER_DAY - 1  # offset_at(hi) == later, offset_at(lo - 1) != later
    while lo < hi:
        mid = (lo + hi) // 2
        if offset_at(midnight + timedelta(seconds=mid)) == later:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _to_ns(delta: timedelta) -> int:
    return (delta // timedelta(microseconds=1)) * 1000
