"""DAY expiry at the session close (IANA time zones, daylight saving) and reduce-only capping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.enums import OrderSide, OrderType, TimeInForce
from core.events import OrderExpired
from core.values import Qty
from venues.simulated import FillConfig

SEC = 1_000_000_000
MIN = 60 * SEC
BUY, SELL = OrderSide.BUY, OrderSide.SELL
LIMIT, STOP = OrderType.LIMIT, OrderType.STOP
DAY = TimeInForce.DAY
NEW_YORK = FillConfig(session_close="16:00", session_tz="America/New_York", participation=None)


def utc_ns(text: str) -> int:
    """'2024-01-02 21:00' (UTC) in ns."""
    dt = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    return int(dt.timestamp()) * SEC


def test_session_close_after_follows_daylight_saving():
    # January: New York is UTC-5, so 16:00 there is 21:00 UTC
    assert NEW_YORK.session_close_after(utc_ns("2024-01-02 14:31")) == utc_ns("2024-01-02 21:00")
    # an order accepted exactly at the close lives until the next close
    assert NEW_YORK.session_close_after(utc_ns("2024-01-02 21:00")) == utc_ns("2024-01-03 21:00")
    # after the 10 March 2024 change New York is UTC-4: 16:00 is 20:00 UTC
    assert NEW_YORK.session_close_after(utc_ns("2024-03-08 22:00")) == utc_ns("2024-03-09 21:00")
    assert NEW_YORK.session_close_after(utc_ns("2024-03-09 22:00")) == utc_ns("2024-03-10 20:00")
    assert NEW_YORK.session_close_after(utc_ns("2024-03-11 13:00")) == utc_ns("2024-03-11 20:00")
    # default: 00:00 UTC
    assert FillConfig().session_close_after(utc_ns("2024-01-02 23:59")) == utc_ns(
        "2024-01-03 00:00"
    )


def test_day_order_works_through_the_bar_that_closes_at_the_session_close(venue_harness):
    h = venue_harness(fill=NEW_YORK)
    h.bar(utc_ns("2024-01-02 20:58"), "100.00", "100.00", "100.00", "100.00")
    coid = h.submit(BUY, 10, LIMIT, price="99.50", tif=DAY)
    h.bar(utc_ns("2024-01-02 20:59"), "100.00", "100.10", "99.80", "99.90")
    # the last bar of the session (15:59-16:00 New York) closes at the close instant: it counts
    h.bar(utc_ns("2024-01-02 21:00"), "99.90", "99.90", "99.40", "99.60")
    assert h.fills(coid) == [("10", "99.5")]


def test_day_order_expires_across_the_session_close(venue_harness):
    h = venue_harness(fill=NEW_YORK)
    h.bar(utc_ns("2024-01-02 20:58"), "100.00", "100.00", "100.00", "100.00")
    coid = h.submit(BUY, 10, LIMIT, price="99.50", tif=DAY)
    gtc = h.submit(BUY, 10, LIMIT, price="99.50")
    h.bar(utc_ns("2024-01-02 21:00"), "100.00", "100.10", "99.80", "99.90")
    # next morning's first bar reaches 99.50: the GTC order fills, the DAY order is gone
    h.bar(utc_ns("2024-01-03 14:31"), "99.40", "99.60", "99.30", "99.50")
    (expired,) = h.of(coid, OrderExpired)
    assert expired.ts_event == utc_ns("2024-01-02 21:00")
    assert expired.reason == "DAY order expired at the session close"
    assert h.fills(coid) == []
    assert h.fills(gtc) == [("10", "99.4")]


def test_day_order_expires_on_time_alone(venue_harness):
    h = venue_harness(fill=NEW_YORK, start_ns=utc_ns("2024-01-02 15:00"))
    coid = h.submit(SELL, 1, STOP, trigger="90.00", tif=DAY)
    h.at(utc_ns("2024-01-02 21:00"))
    assert h.kinds(coid) == ["OrderAccepted"]
    h.at(utc_ns("2024-01-02 21:00") + 1)
    assert h.kinds(coid) == ["OrderAccepted", "OrderExpired"]
    assert h.venue.is_idle


def test_many_day_orders_over_several_sessions(venue_harness):
    h = venue_harness(fill=NEW_YORK, start_ns=utc_ns("2024-01-02 15:00"))
    first = h.submit(BUY, 1, LIMIT, price="1.00", tif=DAY)
    h.at(utc_ns("2024-01-02 22:00"))  # after Tuesday's close: the first one expired
    second = h.submit(BUY, 1, LIMIT, price="1.00", tif=DAY)
    h.at(utc_ns("2024-01-03 20:59"))
    assert h.kinds(second) == ["OrderAccepted"]
    h.at(utc_ns("2024-01-04 00:00"))
    assert h.of(first, OrderExpired)[0].ts_event == utc_ns("2024-01-02 21:00")
    assert h.of(second, OrderExpired)[0].ts_event == utc_ns("2024-01-03 21:00")


@pytest.mark.parametrize("bad", ["4pm", "24:00", "16:60", "16"])
def test_session_close_must_be_hh_mm(bad):
    with pytest.raises(ValueError, match="session close"):
        FillConfig(session_close=bad)


def test_unknown_time_zone_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        FillConfig(session_tz="Mars/Olympus")


# reduce-only -----------------------------------------------------------------------------------
T0 = utc_ns("2024-01-02 14:31")


def long_ten(venue_harness):
    h = venue_harness(fill=FillConfig(participation=None))
    h.bar(T0, "100.00", "100.00", "100.00", "100.00")
    entry = h.submit(BUY, 10)
    h.bar(T0 + MIN, "100.00", "100.00", "100.00", "100.00")
    assert h.fills(entry) == [("10", "100")]
    return h


def test_reduce_only_fill_is_capped_at_the_position(venue_harness):
    h = long_ten(venue_harness)
    coid = h.submit(SELL, 15, reduce_only=True)
    h.bar(T0 + 2 * MIN, "101.00", "101.00", "101.00", "101.00")
    # only the 10 held are sold; the 5 more would open a short: canceled
    assert h.fills(coid) == [("10", "101")]
    assert h.reasons(coid) == ["reduce-only: position already flat"]
    assert h.venue.position_raw("S1", h.iid) == 0


def test_reduce_only_on_a_flat_position_is_canceled_on_arrival(venue_harness):
    h = venue_harness()
    h.bar(T0, "100.00", "100.00", "100.00", "100.00")
    coid = h.submit(SELL, 5, LIMIT, price="101.00", reduce_only=True)
    assert h.kinds(coid) == ["OrderAccepted", "OrderCanceled"]
    assert h.reasons(coid) == ["reduce-only: position already flat"]


def test_reduce_only_on_the_same_side_is_canceled(venue_harness):
    h = long_ten(venue_harness)
    coid = h.submit(BUY, 5, reduce_only=True)
    assert h.reasons(coid) == ["reduce-only: the order would increase the position"]


def test_reduce_only_orders_shrink_with_the_position(venue_harness):
    h = long_ten(venue_harness)
    first = h.submit(SELL, 6, LIMIT, price="101.00", reduce_only=True)
    second = h.submit(SELL, 6, LIMIT, price="102.00", reduce_only=True)
    h.bar(T0 + 2 * MIN, "100.00", "102.50", "99.90", "102.00")
    # 6 sold at 101.00 leave 4: the second order may only sell those 4, then it is canceled
    assert h.fills(first) == [("6", "101")]
    assert h.fills(second) == [("4", "102")]
    assert h.reasons(second) == ["reduce-only: position already flat"]


def test_reduce_only_tracks_positions_per_strategy(venue_harness):
    h = long_ten(venue_harness)  # S1 is long 10
    other = h.submit(SELL, 5, reduce_only=True, strategy="S2")  # S2 holds nothing
    assert h.reasons(other) == ["reduce-only: position already flat"]
    assert h.venue.position_raw("S1", h.iid) == Qty.of(10).raw
    assert h.venue.position_raw("S2", h.iid) == 0


def test_reduce_only_fok_larger_than_the_position_is_canceled_whole(venue_harness):
    h = long_ten(venue_harness)
    coid = h.submit(SELL, 15, tif=TimeInForce.FOK, reduce_only=True)
    h.bar(T0 + 2 * MIN, "101.00", "101.00", "101.00", "101.00")
    assert h.fills(coid) == []
    assert h.reasons(coid) == ["FOK could not fill completely"]
