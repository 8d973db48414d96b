"""Wiring: several instruments on one venue, data for unknown instruments, instrument registry."""

from __future__ import annotations

import pytest

from core.enums import OrderSide
from core.instruments import equity
from venues.simulated import SimulatedVenue

SEC = 1_000_000_000
MIN = 60 * SEC
T0 = 1_704_205_800 * SEC
BUY = OrderSide.BUY


def test_instruments_are_matched_on_their_own_data(venue_harness):
    aaa, bbb = equity("AAA"), equity("BBB")
    h = venue_harness(instruments=[aaa, bbb])
    h.bar(T0 + MIN, "10.00", "10.00", "10.00", "10.00", iid=aaa.id)
    h.bar(T0 + MIN, "20.00", "20.00", "20.00", "20.00", iid=bbb.id)
    a = h.submit(BUY, 1, iid=aaa.id)
    b = h.submit(BUY, 2, iid=bbb.id)
    h.bar(T0 + 2 * MIN, "20.50", "20.50", "20.50", "20.50", iid=bbb.id)
    assert h.fills(a) == []  # AAA has not traded since
    assert h.fills(b) == [("2", "20.5")]
    h.bar(T0 + 2 * MIN, "10.50", "10.50", "10.50", "10.50", iid=aaa.id)
    assert h.fills(a) == [("1", "10.5")]
    assert h.venue.position_raw("S1", bbb.id) == 2 * SEC


def test_data_for_instruments_the_venue_does_not_trade_is_ignored(venue_harness):
    h = venue_harness()
    coid = h.submit(BUY, 1)
    h.bar(T0 + MIN, "5.00", "5.00", "5.00", "5.00", iid="ZZZ.SIM")
    assert h.kinds(coid) == ["OrderAccepted"]


def test_orders_wait_for_data(venue_harness):
    h = venue_harness()
    coid = h.submit(BUY, 1)  # no data at all yet: nothing to fill against
    h.at(T0 + 10 * MIN)
    assert h.kinds(coid) == ["OrderAccepted"]
    h.bar(T0 + 11 * MIN, "7.00", "7.00", "7.00", "7.00")  # the first bar fills it at its open
    assert h.fills(coid) == [("1", "7")]


def test_instrument_registry():
    aaa = equity("AAA")
    venue = SimulatedVenue("SIM", instruments=[aaa])
    venue.add_instrument(aaa)  # adding the same object again is harmless
    with pytest.raises(ValueError, match="already added"):
        venue.add_instrument(equity("AAA"))
    assert [i.id for i in venue.instruments] == ["AAA.SIM"]
    assert repr(venue) == "SimulatedVenue(SIM, 1 instruments, 0 working, 0 in flight)"
    with pytest.raises(RuntimeError, match="not attached"):
        _ = venue.clock  # a venue not attached to a kernel has no clock
