"""Slippage models: always against the trader, rounded to the tick against the trader, never
outside the bar; market and stop fills only."""

from __future__ import annotations

from core.enums import OrderSide, OrderType
from venues.simulated import (
    FixedBpsSlippage,
    HalfSpreadSlippage,
    SlippageModel,
    VolatilitySlippage,
)

SEC = 1_000_000_000
MS = 1_000_000
MIN = 60 * SEC
T0 = 1_704_205_800 * SEC
B1, B2, B3, B4, B5 = (T0 + k * MIN for k in range(1, 6))
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def test_fixed_bps_moves_buys_up_and_sells_down(venue_harness):
    h = venue_harness(slippage=FixedBpsSlippage(10))
    h.bar(B1, "100.00", "100.00", "100.00", "100.00")
    buy = h.submit(BUY, 1)
    sell = h.submit(SELL, 1)
    h.bar(B2, "100.00", "100.50", "99.50", "100.00")
    # 10 bp of the 100.00 open = 0.10
    assert h.fills(buy) == [("1", "100.1")]
    assert h.fills(sell) == [("1", "99.9")]


def test_slipped_price_is_rounded_to_the_tick_against_the_trader(venue_harness):
    h = venue_harness(slippage=FixedBpsSlippage(0.5))
    h.bar(B1, "100.00", "100.00", "100.00", "100.00")
    buy = h.submit(BUY, 1)
    sell = h.submit(SELL, 1)
    h.bar(B2, "100.00", "100.50", "99.50", "100.00")
    # 0.5 bp of 100.00 = 0.005: a buy pays 100.005 -> up to 100.01, a sell gets 99.995 -> 99.99
    assert h.fills(buy) == [("1", "100.01")]
    assert h.fills(sell) == [("1", "99.99")]


def test_slippage_never_leaves_the_bar(venue_harness):
    h = venue_harness(slippage=FixedBpsSlippage(100))
    h.bar(B1, "100.00", "100.00", "100.00", "100.00")
    buy = h.submit(BUY, 1)
    sell = h.submit(SELL, 1)
    # 100 bp = 1.00 would give 101.00 / 99.00, but the bar only traded 99.80 .. 100.30
    h.bar(B2, "100.00", "100.30", "99.80", "100.10")
    assert h.fills(buy) == [("1", "100.3")]
    assert h.fills(sell) == [("1", "99.8")]


def test_stop_fills_slip_limit_fills_do_not(venue_harness):
    h = venue_harness(slippage=FixedBpsSlippage(10))
    h.bar(B1, "100.00", "100.00", "100.00", "100.00")
    stop = h.submit(BUY, 1, OrderType.STOP, trigger="101.00")
    limit = h.submit(BUY, 1, OrderType.LIMIT, price="99.50")
    # path 100.00 -> 99.20 (nearer) -> 101.50 -> 101.20: the limit fills at 99.50 exactly;
    # the stop at 101.00 + 10 bp (0.101) = 101.101 -> up to the tick: 101.11
    h.bar(B2, "100.00", "101.50", "99.20", "101.20")
    assert h.fills(limit) == [("1", "99.5")]
    assert h.fills(stop) == [("1", "101.11")]


def test_half_spread_on_bars_and_trades_but_not_on_quotes(venue_harness):
    bars = venue_harness(slippage=HalfSpreadSlippage(20))
    bars.bar(B1, "100.00", "100.00", "100.00", "100.00")
    coid = bars.submit(BUY, 1)
    bars.bar(B2, "100.00", "100.50", "99.50", "100.00")
    assert bars.fills(coid) == [("1", "100.1")]  # half of a 20 bp spread on 100.00 = 0.10

    trades = venue_harness(slippage=HalfSpreadSlippage(20))
    trades.trade(T0 + MS, "50.00", 0)
    coid = trades.submit(SELL, 1)
    trades.trade(T0 + 2 * MS, "50.00", 0)
    assert trades.fills(coid) == [("1", "49.95")]  # 10 bp of 50.00 = 0.05

    quotes = venue_harness(slippage=HalfSpreadSlippage(20))
    quotes.quote(T0 + MS, "99.98", "100.02")
    coid = quotes.submit(BUY, 1)
    assert quotes.fills(coid) == [("1", "100.02")]  # the ask already pays the real spread


def test_fixed_bps_applies_on_quotes(venue_harness):
    h = venue_harness(slippage=FixedBpsSlippage(10))
    h.quote(T0 + MS, "99.98", "100.02")
    coid = h.submit(BUY, 1)
    # 10 bp of 100.02 = 0.10002 -> 100.12002 -> up to the tick: 100.13
    assert h.fills(coid) == [("1", "100.13")]


def test_volatility_slippage_uses_the_bars_before_the_fill(venue_harness):
    h = venue_harness(slippage=VolatilitySlippage(multiplier=0.5, window=2))
    h.bar(B1, "100.00", "101.00", "99.00", "100.00")  # range 2.00
    h.bar(B2, "100.00", "100.50", "99.50", "100.00")  # range 1.00
    buy = h.submit(BUY, 1)
    # mean range of the last 2 bars = 1.50; x 0.5 = 0.75 -> 100.75. Bar 3's own wide range
    # (10.00) is not known when its open trades, so it does not count yet
    h.bar(B3, "100.00", "105.00", "95.00", "100.00")
    assert h.fills(buy) == [("1", "100.75")]
    sell = h.submit(SELL, 1)
    # now the window holds bars 2 and 3: (1.00 + 10.00) / 2 = 5.50; x 0.5 = 2.75 -> 97.25
    h.bar(B4, "100.00", "100.50", "97.00", "98.00")
    assert h.fills(sell) == [("1", "97.25")]


def test_volatility_slippage_is_zero_before_any_bar(venue_harness):
    h = venue_harness(slippage=VolatilitySlippage(multiplier=1, window=5))
    h.quote(T0 + MS, "99.98", "100.02")
    coid = h.submit(BUY, 1)
    assert h.fills(coid) == [("1", "100.02")]


class OneTickAgainst(SlippageModel):
    """An interpreted subclass of the compiled base class."""

    def adverse_raw(self, instrument, side, px_raw, data):
        return instrument.tick_size.raw


class NegativeSlippage(SlippageModel):
    def adverse_raw(self, instrument, side, px_raw, data):
        return -5 * instrument.tick_size.raw


def test_interpreted_slippage_models_work_and_never_improve_a_price(venue_harness):
    h = venue_harness(slippage=OneTickAgainst())
    h.quote(T0 + MS, "99.98", "100.02")
    assert h.fills(h.submit(BUY, 1)) == [("1", "100.03")]
    g = venue_harness(slippage=NegativeSlippage())
    g.quote(T0 + MS, "99.98", "100.02")
    assert g.fills(g.submit(BUY, 1)) == [("1", "100.02")]
