"""Fee models: hand-worked amounts, rounding half to even at 1e-9, and fees on real fills."""

from __future__ import annotations

import pytest

from core.enums import Liquidity, OrderSide, OrderType
from core.events import OrderFilled
from core.instruments import Instrument, equity
from core.values import SCALE, Money, Price, Qty
from venues.simulated import BpsFee, FeeModel, MakerTakerFee, NoFee, PerShareFee

SEC = 1_000_000_000
MIN = 60 * SEC
T0 = 1_704_205_800 * SEC
BUY, SELL = OrderSide.BUY, OrderSide.SELL
MAKER, TAKER = Liquidity.MAKER, Liquidity.TAKER
STOCK = equity("AAA")
FUTURE = Instrument(
    instrument_id="ES.SIM",
    tick_size=Price.parse("0.25"),
    lot_size=Qty.of(1),
    quote_currency="USD",
    multiplier=50,
)


def fee(model: FeeModel, inst: Instrument, qty: str, price: str, liquidity: int = TAKER) -> str:
    raw = model.fee_raw(inst, BUY, Qty.parse(qty).raw, Price.parse(price).raw, liquidity)
    return str(Money(raw, "USD").as_decimal().normalize())


def test_no_fee():
    assert NoFee().fee_raw(STOCK, BUY, Qty.of(100).raw, Price.parse("50").raw, TAKER) == 0


def test_bps_fee_on_notional():
    # 1 bp of 10 x 100.00 = 1000.00 -> 0.10
    assert fee(BpsFee(1), STOCK, "10", "100") == "0.1"
    # 2.5 bp of 3 x 123.45 = 370.35 -> 0.0925875
    assert fee(BpsFee(2.5), STOCK, "3", "123.45") == "0.0925875"
    # the multiplier counts: 1 bp of 2 contracts x 4500.25 x 50 = 450025.00 -> 45.0025
    assert fee(BpsFee("1"), FUTURE, "2", "4500.25") == "45.0025"


def test_bps_fee_rounds_half_to_even_at_one_billionth():
    one_bp = BpsFee(1)
    # notional 0.000015 x 1 bp = 0.0000000015: half way between 1e-9 and 2e-9 -> even: 2e-9
    assert one_bp.fee_raw(STOCK, BUY, SCALE, 15_000, TAKER) == 2
    # notional 0.000025 x 1 bp = 0.0000000025 -> 2e-9 (the even neighbour), not 3e-9
    assert one_bp.fee_raw(STOCK, BUY, SCALE, 25_000, TAKER) == 2
    # 0.0000000026 rounds to 3e-9
    assert one_bp.fee_raw(STOCK, BUY, SCALE, 26_000, TAKER) == 3


def test_per_share_fee_with_a_minimum_per_fill():
    model = PerShareFee("0.005", "1.00")
    assert fee(model, STOCK, "100", "50") == "1"  # 100 x 0.005 = 0.50, below the 1.00 minimum
    assert fee(model, STOCK, "1000", "50") == "5"  # 1000 x 0.005 = 5.00
    assert fee(model, STOCK, "333", "50") == "1.665"  # 333 x 0.005 = 1.665


def test_maker_taker_with_a_maker_rebate():
    model = MakerTakerFee(maker_bps=-0.2, taker_bps=0.3)
    # notional 10 x 100.00 = 1000.00: maker -0.2 bp = -0.02 (a rebate), taker 0.3 bp = 0.03
    assert fee(model, STOCK, "10", "100", MAKER) == "-0.02"
    assert fee(model, STOCK, "10", "100", TAKER) == "0.03"


def test_negative_fees_are_refused_where_they_make_no_sense():
    with pytest.raises(ValueError):
        BpsFee(-1)
    with pytest.raises(ValueError):
        PerShareFee("-0.005", "1")


def test_fees_reach_the_fill_events_by_liquidity(venue_harness):
    h = venue_harness(fees=MakerTakerFee(maker_bps=-0.2, taker_bps=0.3))
    h.bar(T0 + MIN, "100.00", "100.00", "100.00", "100.00")
    market = h.submit(BUY, 10)
    limit = h.submit(SELL, 10, OrderType.LIMIT, price="101.00")
    h.bar(T0 + 2 * MIN, "100.00", "101.50", "99.90", "101.00")
    # market: 10 x 100.00 taker -> 0.03; limit: 10 x 101.00 = 1010.00 maker -> -0.0202
    (m,) = h.of(market, OrderFilled)
    (lim,) = h.of(limit, OrderFilled)
    assert (m.liquidity, m.fee) == (TAKER, Money.parse("0.03", "USD"))
    assert (lim.liquidity, lim.fee) == (MAKER, Money.parse("-0.0202", "USD"))


class HalfPenny(FeeModel):
    """An interpreted subclass of the (compiled) base: must work against the compiled build."""

    def fee_raw(self, instrument, side, qty_raw, px_raw, liquidity):
        return qty_raw // 200  # 0.005 per unit


def test_an_interpreted_fee_model_subclass_is_used(venue_harness):
    h = venue_harness(fees=HalfPenny())
    h.bar(T0 + MIN, "100.00", "100.00", "100.00", "100.00")
    coid = h.submit(BUY, 40)
    h.bar(T0 + 2 * MIN, "100.00", "100.00", "100.00", "100.00")
    assert h.of(coid, OrderFilled)[0].fee == Money.parse("0.2", "USD")
