"""Wall-clock <-> UTC conversion against zoneinfo, row by row, around daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.data.timezones import local_to_utc_ns, utc_to_local_ns

EPOCH = datetime(1970, 1, 1)
ZONES = ["America/New_York", "Europe/Berlin", "Australia/Sydney", "America/Santiago", "UTC"]


def _wall_ns(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1) * 1000


def _reference_utc(wall_ns: int, tz: str) -> int:
    seconds, rest = divmod(wall_ns, 10**9)
    wall = (EPOCH + timedelta(seconds=seconds)).replace(tzinfo=ZoneInfo(tz))  # fold=0
    return int(wall.timestamp()) * 10**9 + rest


def _reference_local(utc_ns: int, tz: str) -> int:
    seconds, rest = divmod(utc_ns, 10**9)
    moment = datetime.fromtimestamp(seconds, UTC).astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    return _wall_ns(moment) + rest


@pytest.mark.parametrize("tz", ZONES)
def test_every_minute_of_transition_days(tz: str) -> None:
    days = [datetime(2013, 3, 10), datetime(2013, 3, 31), datetime(2013, 10, 6)]
    days += [datetime(2013, 10, 27), datetime(2013, 11, 3), datetime(2013, 4, 7)]
    minutes = [day + timedelta(minutes=m) for day in days for m in range(0, 24 * 60, 7)]
    wall = np.array([_wall_ns(m) + 123 for m in minutes], dtype=np.int64)
    utc = local_to_utc_ns(wall, tz)
    assert utc.tolist() == [_reference_utc(int(w), tz) for w in wall]
    back = utc_to_local_ns(utc, tz)
    assert back.tolist() == [_reference_local(int(u), tz) for u in utc]


@settings(max_examples=30, deadline=None)
@given(
    stamps=st.lists(st.integers(min_value=0, max_value=4_000_000_000 * 10**9), max_size=50),
    tz=st.sampled_from(ZONES),
)
def test_random_instants(stamps: list[int], tz: str) -> None:
    values = np.array(stamps, dtype=np.int64)
    assert local_to_utc_ns(values, tz).tolist() == [_reference_utc(v, tz) for v in stamps]
    assert utc_to_local_ns(values, tz).tolist() == [_reference_local(v, tz) for v in stamps]


def test_unknown_zone() -> None:
    with pytest.raises(ValueError, match=r"unknown time zone 'Mars/Olympus'"):
        local_to_utc_ns(np.zeros(1, dtype=np.int64), "Mars/Olympus")
