"""Matching on bars: every order type x every time in force, the intrabar path and gaps.

Each expected fill is worked out by hand in the comments. The intrabar path is
open -> the extreme nearer to the open (ties: high first) -> the other extreme -> close.
Bars carry volume 0 (unknown) unless a test is about participation, so no cap applies.
"""

from __future__ import annotations

from core.enums import Liquidity, OrderSide, OrderType, TimeInForce
from core.events import OrderAccepted, OrderExpired, OrderFilled
from venues.simulated import FillConfig

SEC = 1_000_000_000
MIN = 60 * SEC
T0 = 1_704_205_800 * SEC  # 2024-01-02 14:30 UTC
B1, B2, B3, B4 = (T0 + k * MIN for k in range(1, 5))
NEXT_DAY = 1_704_240_000 * SEC  # 2024-01-03 00:00 UTC: the default session close (00:00 UTC)

BUY, SELL = OrderSide.BUY, OrderSide.SELL
MARKET, LIMIT, STOP, STOP_LIMIT = (
    OrderType.MARKET,
    OrderType.LIMIT,
    OrderType.STOP,
    OrderType.STOP_LIMIT,
)
GTC, DAY, IOC, FOK = TimeInForce.GTC, TimeInForce.DAY, TimeInForce.IOC, TimeInForce.FOK


def started(venue_harness, **kwargs):
    """A venue that has seen bar 1 (close 100.00): orders sent now are decided on bar 1."""
    h = venue_harness(**kwargs)
    h.bar(B1, "99.80", "100.20", "99.60", "100.00")
    return h


# market ----------------------------------------------------------------------------------------
def test_market_gtc_fills_at_next_open_never_on_the_decision_bar(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10)
    # accepted at once (no latency) but not filled: bar 1 is the bar it was decided on
    assert h.kinds(coid) == ["OrderAccepted"]
    h.bar(B2, "100.20", "101.00", "99.50", "100.80")
    # bar 2's open is the first price nobody knew when deciding
    assert h.fills(coid) == [("10", "100.2")]
    fill = h.of(coid, OrderFilled)[0]
    assert fill.ts_event == B2
    assert fill.liquidity == Liquidity.TAKER
    assert fill.trade_id == "SIM-T1"
    assert h.of(coid, OrderAccepted)[0].venue_order_id == "SIM-1"


def test_market_day_fills_at_next_open(venue_harness):
    h = started(venue_harness)
    coid = h.submit(SELL, 7, tif=DAY)
    h.bar(B2, "99.90", "100.10", "99.00", "99.50")
    assert h.fills(coid) == [("7", "99.9")]
    assert h.kinds(coid) == ["OrderAccepted", "OrderFilled"]


def test_market_ioc_fills_what_the_bar_allows_and_cancels_the_rest(venue_harness):
    h = started(venue_harness, fill=FillConfig(participation=0.1))
    coid = h.submit(BUY, 10, tif=IOC)
    # volume 50 x 0.1 = 5 shares may trade on bar 2: 5 fill at its open, the other 5 are canceled
    h.bar(B2, "100.40", "100.90", "100.10", "100.60", v=50)
    assert h.fills(coid) == [("5", "100.4")]
    assert h.kinds(coid) == ["OrderAccepted", "OrderFilled", "OrderCanceled"]
    assert h.reasons(coid) == ["IOC remainder"]


def test_market_fok_is_canceled_whole_when_the_bar_cannot_fill_it(venue_harness):
    h = started(venue_harness, fill=FillConfig(participation=0.1))
    coid = h.submit(BUY, 10, tif=FOK)
    h.bar(B2, "100.40", "100.90", "100.10", "100.60", v=50)  # cap 5 < 10
    assert h.fills(coid) == []
    assert h.reasons(coid) == ["FOK could not fill completely"]
    ok = h.submit(BUY, 10, tif=FOK)
    h.bar(B3, "100.70", "100.90", "100.10", "100.60", v=100)  # cap 10: fills completely
    assert h.fills(ok) == [("10", "100.7")]
    assert h.kinds(ok) == ["OrderAccepted", "OrderFilled"]


# limit -----------------------------------------------------------------------------------------
def test_limit_gtc_fills_at_its_price_where_the_path_reaches_it(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, LIMIT, price="99.50")
    # O 100.00, H 100.50 (0.50 away) is nearer than L 99.20 (0.80 away): path 100 -> 100.50 ->
    # 99.20 -> 99.80 crosses 99.50 on the way down: fill at the limit, resting (maker)
    h.bar(B2, "100.00", "100.50", "99.20", "99.80")
    assert h.fills(coid) == [("10", "99.5")]
    assert h.of(coid, OrderFilled)[0].liquidity == Liquidity.MAKER


def test_limit_not_reached_keeps_working_then_fills_on_a_later_bar(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, LIMIT, price="99.50")
    h.bar(B2, "100.00", "100.50", "99.60", "99.80")  # low 99.60 > 99.50: no fill
    assert h.fills(coid) == []
    h.bar(B3, "99.70", "99.90", "99.40", "99.60")  # low 99.40 <= 99.50: fill at 99.50
    assert h.fills(coid) == [("10", "99.5")]


def test_limit_gap_open_through_the_limit_fills_at_the_open(venue_harness):
    h = started(venue_harness)
    buy = h.submit(BUY, 10, LIMIT, price="99.50")
    sell = h.submit(SELL, 10, LIMIT, price="99.00")
    # bar 2 opens at 99.00, through the buy limit: price improvement, fill at 99.00.
    # The sell limit at 99.00 is reached at the open too: fill at 99.00.
    h.bar(B2, "99.00", "99.30", "98.80", "99.10")
    assert h.fills(buy) == [("10", "99")]
    assert h.fills(sell) == [("10", "99")]


def test_marketable_limit_takes_liquidity_at_the_next_open(venue_harness):
    h = started(venue_harness)  # last close 100.00
    coid = h.submit(BUY, 10, LIMIT, price="101.00")  # crosses the last price: a taker
    h.bar(B2, "100.30", "100.60", "100.10", "100.40")
    assert h.fills(coid) == [("10", "100.3")]
    assert h.of(coid, OrderFilled)[0].liquidity == Liquidity.TAKER


def test_limit_day_fills_like_gtc_during_the_session(venue_harness):
    h = started(venue_harness)
    coid = h.submit(SELL, 5, LIMIT, price="100.50", tif=DAY)
    # O 100.00, L 99.50 (0.50 away) nearer than H 100.80 (0.80): 100 -> 99.50 -> 100.80 -> 100.10,
    # the sell limit 100.50 is reached on the way up: fill at 100.50
    h.bar(B2, "100.00", "100.80", "99.50", "100.10")
    assert h.fills(coid) == [("5", "100.5")]


def test_limit_day_expires_at_the_session_close(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, LIMIT, price="99.00", tif=DAY)
    h.bar(B2, "100.00", "100.50", "99.60", "99.80")  # not reached
    # the first bar of the next session would reach 99.00, but the order died at 00:00 UTC
    h.bar(NEXT_DAY + MIN, "98.50", "99.20", "98.00", "98.60")
    assert h.fills(coid) == []
    expired = h.of(coid, OrderExpired)
    assert len(expired) == 1
    assert expired[0].ts_event == NEXT_DAY


def test_limit_ioc_only_meets_the_open(venue_harness):
    h = started(venue_harness)
    missed = h.submit(BUY, 10, LIMIT, price="99.50", tif=IOC)
    # the bar reaches 99.50 later, but an IOC meets the market once, at the open 100.00
    h.bar(B2, "100.00", "100.50", "99.20", "99.80")
    assert h.fills(missed) == []
    assert h.reasons(missed) == ["IOC remainder"]
    hit = h.submit(BUY, 10, LIMIT, price="99.50", tif=IOC)
    h.bar(B3, "99.40", "99.90", "99.10", "99.60")  # opens at 99.40 <= 99.50: fill at 99.40
    assert h.fills(hit) == [("10", "99.4")]
    assert h.of(hit, OrderFilled)[0].liquidity == Liquidity.TAKER
    assert h.kinds(hit) == ["OrderAccepted", "OrderFilled"]


def test_limit_ioc_partial_by_participation(venue_harness):
    h = started(venue_harness, fill=FillConfig(participation=0.1))
    coid = h.submit(SELL, 10, LIMIT, price="99.50", tif=IOC)
    h.bar(B2, "99.80", "100.00", "99.00", "99.20", v=40)  # cap 4 at the open 99.80
    assert h.fills(coid) == [("4", "99.8")]
    assert h.reasons(coid) == ["IOC remainder"]


def test_limit_fok_fills_completely_or_not_at_all(venue_harness):
    h = started(venue_harness, fill=FillConfig(participation=0.1))
    short = h.submit(BUY, 10, LIMIT, price="100.00", tif=FOK)
    h.bar(B2, "99.90", "100.10", "99.80", "100.00", v=90)  # cap 9 < 10: nothing, canceled
    assert h.fills(short) == []
    assert h.reasons(short) == ["FOK could not fill completely"]
    away = h.submit(BUY, 10, LIMIT, price="99.00", tif=FOK)
    h.bar(B3, "99.90", "100.10", "98.80", "100.00", v=1000)  # open 99.90 > 99.00: not at open
    assert h.fills(away) == []
    assert h.reasons(away) == ["FOK could not fill completely"]
    full = h.submit(BUY, 10, LIMIT, price="100.00", tif=FOK)
    h.bar(B4, "99.95", "100.10", "99.80", "100.00", v=1000)  # cap 100: all 10 at 99.95
    assert h.fills(full) == [("10", "99.95")]


# stop ------------------------------------------------------------------------------------------
def test_stop_gtc_triggers_on_the_path_and_fills_at_the_trigger(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, STOP, trigger="101.00")
    # O 100.00: L 99.80 (0.20 away) is nearer than H 101.50 (1.50): 100 -> 99.80 -> 101.50 ->
    # 101.20 crosses 101.00 on the way up: fill at the trigger 101.00, as a taker
    h.bar(B2, "100.00", "101.50", "99.80", "101.20")
    assert h.fills(coid) == [("10", "101")]
    assert h.of(coid, OrderFilled)[0].liquidity == Liquidity.TAKER
    assert h.kinds(coid) == ["OrderAccepted", "OrderFilled"]  # a plain stop emits no trigger


def test_stop_gap_fills_at_the_open(venue_harness):
    h = started(venue_harness)
    buy = h.submit(BUY, 10, STOP, trigger="101.00")
    sell = h.submit(SELL, 10, STOP, trigger="98.00", tif=DAY)
    h.bar(B2, "102.00", "102.50", "101.80", "102.20")  # opens through 101.00: fill at 102.00
    assert h.fills(buy) == [("10", "102")]
    assert h.fills(sell) == []
    h.bar(B3, "97.00", "97.50", "96.80", "97.20")  # gaps down through 98.00: fill at 97.00
    assert h.fills(sell) == [("10", "97")]


def test_sell_stop_on_the_path(venue_harness):
    h = started(venue_harness)
    coid = h.submit(SELL, 3, STOP, trigger="99.00")
    # O 100.00: H 100.20 (0.20) nearer than L 98.50 (1.50): 100 -> 100.20 -> 98.50 -> 98.80,
    # crosses 99.00 going down: fill at 99.00
    h.bar(B2, "100.00", "100.20", "98.50", "98.80")
    assert h.fills(coid) == [("3", "99")]


def test_stop_not_triggered_keeps_working(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, STOP, trigger="101.00")
    h.bar(B2, "100.00", "100.90", "99.80", "100.50")
    assert h.kinds(coid) == ["OrderAccepted"]
    h.bar(B3, "100.50", "101.10", "100.40", "100.90")  # H-O 0.60 > O-L 0.10: low first, then up
    assert h.fills(coid) == [("10", "101")]


def test_stop_day_expires_untriggered(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, STOP, trigger="105.00", tif=DAY)
    h.bar(B2, "100.00", "100.90", "99.80", "100.50")
    h.bar(NEXT_DAY + MIN, "106.00", "106.50", "105.80", "106.20")  # would trigger: too late
    assert h.kinds(coid) == ["OrderAccepted", "OrderExpired"]


def test_stop_ioc_only_triggers_at_the_open(venue_harness):
    h = started(venue_harness)
    missed = h.submit(BUY, 10, STOP, trigger="101.00", tif=IOC)
    h.bar(B2, "100.00", "101.50", "99.80", "101.20")  # 101.00 is reached after the open
    assert h.fills(missed) == []
    assert h.reasons(missed) == ["IOC remainder"]
    gapped = h.submit(BUY, 10, STOP, trigger="101.00", tif=IOC)
    h.bar(B3, "101.30", "101.50", "101.00", "101.20")  # opens through the trigger: 101.30
    assert h.fills(gapped) == [("10", "101.3")]


def test_stop_fok(venue_harness):
    h = started(venue_harness, fill=FillConfig(participation=0.1))
    short = h.submit(SELL, 10, STOP, trigger="99.00", tif=FOK)
    h.bar(B2, "98.50", "98.90", "98.00", "98.20", v=50)  # triggered at the open but cap 5 < 10
    assert h.fills(short) == []
    assert h.reasons(short) == ["FOK could not fill completely"]
    full = h.submit(SELL, 10, STOP, trigger="99.00", tif=FOK)
    h.bar(B3, "98.40", "98.90", "98.00", "98.20", v=100)  # cap 10: fill 10 at the open 98.40
    assert h.fills(full) == [("10", "98.4")]


def test_triggered_stop_remainder_fills_at_later_opens(venue_harness):
    h = started(venue_harness, fill=FillConfig(participation=0.1))
    coid = h.submit(BUY, 10, STOP, trigger="101.00")
    h.bar(B2, "100.00", "101.50", "99.80", "101.20", v=60)  # triggered at 101.00, cap 6
    h.bar(B3, "101.40", "101.60", "101.30", "101.50", v=100)  # now a market order: 4 at open
    assert h.fills(coid) == [("6", "101"), ("4", "101.4")]


# stop-limit ------------------------------------------------------------------------------------
def test_stop_limit_triggers_and_fills_in_the_same_bar(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, STOP_LIMIT, price="101.20", trigger="101.00")
    # O 100.00: L 99.90 (0.10) nearer than H 101.50: 100 -> 99.90 -> 101.50 -> 101.30.
    # Triggered at 101.00 where the price (101.00) is already <= the 101.20 limit: fill there
    h.bar(B2, "100.00", "101.50", "99.90", "101.30")
    assert h.kinds(coid) == ["OrderAccepted", "OrderTriggered", "OrderFilled"]
    assert h.fills(coid) == [("10", "101")]
    assert h.of(coid, OrderFilled)[0].liquidity == Liquidity.TAKER


def test_stop_limit_gap_then_fills_on_the_rest_of_the_path(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, STOP_LIMIT, price="101.20", trigger="101.00")
    # O 102.00: H 102.50 (0.50) nearer than L 101.10 (0.90): 102 -> 102.50 -> 101.10 -> 101.15.
    # Triggered at the open (102.00 > 101.20: not fillable there); the path then comes down
    # through 101.20: fill at the limit 101.20, as a maker (it was resting by then)
    h.bar(B2, "102.00", "102.50", "101.10", "101.15")
    assert h.kinds(coid) == ["OrderAccepted", "OrderTriggered", "OrderFilled"]
    assert h.fills(coid) == [("10", "101.2")]
    assert h.of(coid, OrderFilled)[0].liquidity == Liquidity.MAKER


def test_stop_limit_triggered_without_reaching_the_limit_rests(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, STOP_LIMIT, price="101.20", trigger="101.00", tif=GTC)
    h.bar(B2, "102.00", "103.00", "101.50", "102.50")  # triggered at the open, low 101.50 > limit
    assert h.kinds(coid) == ["OrderAccepted", "OrderTriggered"]
    h.bar(B3, "101.00", "101.40", "100.90", "101.10")  # opens below the limit: fill at 101.00
    assert h.kinds(coid) == ["OrderAccepted", "OrderTriggered", "OrderFilled"]
    assert h.fills(coid) == [("10", "101")]


def test_sell_stop_limit(venue_harness):
    h = started(venue_harness)
    coid = h.submit(SELL, 4, STOP_LIMIT, price="98.80", trigger="99.00", tif=DAY)
    # O 100.00: H 100.10 (0.10) nearer than L 98.50: 100 -> 100.10 -> 98.50 -> 98.90. Triggered
    # at 99.00 (>= 98.80: marketable): fill at 99.00
    h.bar(B2, "100.00", "100.10", "98.50", "98.90")
    assert h.fills(coid) == [("4", "99")]


def test_stop_limit_day_expires(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, STOP_LIMIT, price="101.20", trigger="101.00", tif=DAY)
    h.bar(B2, "102.00", "103.00", "101.50", "102.50")  # triggered, limit not reached
    h.bar(NEXT_DAY + MIN, "100.00", "100.20", "99.90", "100.10")
    assert h.kinds(coid) == ["OrderAccepted", "OrderTriggered", "OrderExpired"]


def test_stop_limit_ioc_triggered_at_the_open_but_not_fillable_is_canceled(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, STOP_LIMIT, price="101.20", trigger="101.00", tif=IOC)
    # triggered at the open 102.00 (> 101.20): an IOC does not wait for the path to come back
    h.bar(B2, "102.00", "102.50", "101.10", "101.15")
    assert h.kinds(coid) == ["OrderAccepted", "OrderTriggered", "OrderCanceled"]
    assert h.reasons(coid) == ["IOC remainder"]


def test_stop_limit_fok_at_the_open(venue_harness):
    h = started(venue_harness)
    coid = h.submit(BUY, 10, STOP_LIMIT, price="101.20", trigger="101.00", tif=FOK)
    h.bar(B2, "101.10", "101.50", "100.90", "101.30")  # triggers at the open 101.10 <= 101.20
    assert h.kinds(coid) == ["OrderAccepted", "OrderTriggered", "OrderFilled"]
    assert h.fills(coid) == [("10", "101.1")]


# the intrabar path decides which order fills first -----------------------------------------------
def _long_ten(venue_harness):
    h = started(venue_harness)
    entry = h.submit(BUY, 10)
    h.bar(B2, "100.00", "100.10", "99.90", "100.00")
    assert h.fills(entry) == [("10", "100")]
    return h


def test_path_high_first_take_profit_before_stop_loss(venue_harness):
    h = _long_ten(venue_harness)
    tp = h.submit(SELL, 10, LIMIT, price="102.00", reduce_only=True)
    sl = h.submit(SELL, 10, STOP, trigger="98.00", reduce_only=True)
    # O 100.00, H 102.50 and L 97.50 are both 2.50 away: tie -> high first. The take profit
    # fills at 102.00; the position is then flat, so the reduce-only stop is canceled
    h.bar(B3, "100.00", "102.50", "97.50", "99.00")
    assert h.fills(tp) == [("10", "102")]
    assert h.fills(sl) == []
    assert h.reasons(sl) == ["reduce-only: position already flat"]
    assert h.venue.position_raw("S1", h.iid) == 0


def test_path_low_first_stop_loss_before_take_profit(venue_harness):
    h = _long_ten(venue_harness)
    tp = h.submit(SELL, 10, LIMIT, price="102.00", reduce_only=True)
    sl = h.submit(SELL, 10, STOP, trigger="98.00", reduce_only=True)
    # O 100.00: L 97.50 (2.50 away) is nearer than H 103.00 (3.00): the stop fills first at 98.00
    h.bar(B3, "100.00", "103.00", "97.50", "99.00")
    assert h.fills(sl) == [("10", "98")]
    assert h.fills(tp) == []
    assert h.reasons(tp) == ["reduce-only: position already flat"]


def test_both_touched_fill_in_path_order(venue_harness):
    h = started(venue_harness)
    limit = h.submit(SELL, 10, LIMIT, price="102.00")
    stop = h.submit(SELL, 5, STOP, trigger="98.00")
    # O 100.00: L 97.50 nearer than H 103.00 -> the stop fills first (98.00), then the limit
    h.bar(B2, "100.00", "103.00", "97.50", "99.00")
    fills = [(e.client_order_id, str(e.last_px)) for e in h.events if isinstance(e, OrderFilled)]
    assert fills == [(stop, "98"), (limit, "102")]


def test_the_path_decides_who_gets_the_participation_budget(venue_harness):
    h = started(venue_harness, fill=FillConfig(participation=0.1))
    stop = h.submit(BUY, 10, STOP, trigger="101.00")
    limit = h.submit(BUY, 10, LIMIT, price="99.00")
    # volume 100: 10 shares for all our orders on this bar. O 100.00, H 101.50 and L 98.50 both
    # 1.50 away: high first, so the stop (at 101.00) comes before the limit (at 99.00)
    h.bar(B2, "100.00", "101.50", "98.50", "100.00", v=100)
    assert h.fills(stop) == [("10", "101")]
    assert h.fills(limit) == []
    # next bar: L 98.90 (1.10 away) nearer than H 101.50: the limit is reached first
    h.bar(B3, "100.00", "101.50", "98.90", "100.00", v=100)
    assert h.fills(limit) == [("10", "99")]
