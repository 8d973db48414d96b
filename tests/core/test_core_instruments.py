"""core.instruments: ids, the price grid (nearest tick) and the quantity grid (whole lots, down)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from core_harness import PROPERTY
from hypothesis import given
from hypothesis import strategies as st

from core.instruments import Instrument, equity
from core.values import SCALE, InvalidValue, Price, Qty


def crypto() -> Instrument:
    return Instrument(
        instrument_id="BTCUSDT.BINANCE",
        tick_size=Price.parse("0.01"),
        lot_size=Qty.parse("0.001"),
        quote_currency="USDT",
    )


def future() -> Instrument:
    return Instrument(
        instrument_id="ES.CME",
        tick_size=Price.parse("0.25"),
        lot_size=Qty.of(1),
        quote_currency="USD",
        multiplier=50,
    )


def test_equity_defaults() -> None:
    spy = equity("SPY", "ARCA")
    assert (spy.id, spy.symbol, spy.venue) == ("SPY.ARCA", "SPY", "ARCA")
    assert spy.tick_size == Price.parse("0.01")
    assert spy.lot_size == Qty.of(1)
    assert spy.min_qty == spy.lot_size
    assert spy.multiplier == 1
    assert (spy.price_decimals, spy.size_decimals) == (2, 0)
    assert repr(spy) == "Instrument(SPY.ARCA)"


def test_decimals_follow_the_grid() -> None:
    assert (crypto().price_decimals, crypto().size_decimals) == (2, 3)
    assert future().price_decimals == 2
    five = Instrument(
        instrument_id="X.SIM",
        tick_size=Price.parse("5"),
        lot_size=Qty.of(100),
        quote_currency="JPY",
    )
    assert (five.price_decimals, five.size_decimals) == (0, 0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.004", "10.00"),
        ("10.006", "10.01"),
        (Decimal("10.0149"), "10.01"),
        (10.004, "10.00"),
        (10.006, "10.01"),
        ("-10.006", "-10.01"),
        ("-10.004", "-10.00"),
        ("0.001", "0"),
        ("1e2", "100"),
    ],
)
def test_make_price_rounds_to_the_nearest_tick(value: str | Decimal | float, expected: str) -> None:
    assert equity("SPY").make_price(value) == Price.parse(expected)


def test_make_price_on_a_quarter_tick() -> None:
    es = future()
    assert es.make_price("4000.12") == Price.parse("4000.00")
    assert es.make_price("4000.13") == Price.parse("4000.25")
    assert es.make_price(4000.38) == Price.parse("4000.50")
    assert es.is_on_tick(Price.parse("4000.75"))
    assert not es.is_on_tick(Price.parse("4000.10"))


@PROPERTY
@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from(["0.01", "0.25", "0.0001", "5", "0.000000001"]),
)
def test_make_price_is_on_tick_and_within_half_a_tick(raw: int, tick_text: str) -> None:
    inst = Instrument(
        instrument_id="T.SIM",
        tick_size=Price.parse(tick_text),
        lot_size=Qty.of(1),
        quote_currency="USD",
    )
    value = Price(raw).as_decimal()
    price = inst.make_price(value)
    tick = inst.tick_size.raw
    assert inst.is_on_tick(price)
    assert 2 * abs(price.raw - raw) <= tick
    assert inst.make_price(str(value)) == price
    assert inst.round_price(raw) == price


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.0019", "0.001"),
        ("0.001", "0.001"),
        ("0.0009999", "0"),
        (Decimal("1.23456"), "1.234"),
        (0.3, "0.3"),  # 0.3 is 0.29999... as a float: the 1e-9 edge keeps it 0.3
        (2, "2"),
    ],
)
def test_make_qty_rounds_down_to_whole_lots(
    value: str | Decimal | float | int, expected: str
) -> None:
    assert crypto().make_qty(value) == Qty.parse(expected)


@PROPERTY
@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(["1", "0.001", "100", "0.5"]))
def test_make_qty_never_exceeds_the_request(raw: int, lot_text: str) -> None:
    inst = Instrument(
        instrument_id="T.SIM",
        tick_size=Price.parse("0.01"),
        lot_size=Qty.parse(lot_text),
        quote_currency="USD",
    )
    qty = inst.make_qty(Qty(raw).as_decimal())
    assert inst.is_on_lot(qty)
    assert qty.raw <= raw < qty.raw + inst.lot_size.raw


def test_make_qty_of_whole_units() -> None:
    assert equity("SPY").make_qty(7) == Qty(7 * SCALE)
    assert equity("SPY").make_qty("7.9") == Qty.of(7)


def test_make_qty_rejects_negative_and_nan() -> None:
    with pytest.raises(InvalidValue):
        equity("SPY").make_qty("-1")
    with pytest.raises(InvalidValue, match="finite"):
        equity("SPY").make_qty(float("nan"))
    with pytest.raises(InvalidValue, match="finite"):
        equity("SPY").make_price(float("inf"))
    with pytest.raises(InvalidValue, match="not a number"):
        equity("SPY").make_price("ten")


@pytest.mark.parametrize("bad_id", ["SPY", "", ".ARCA", "SPY.", "."])
def test_bad_instrument_ids_are_rejected(bad_id: str) -> None:
    with pytest.raises(InvalidValue, match=r"SYMBOL\.VENUE"):
        Instrument(
            instrument_id=bad_id,
            tick_size=Price.parse("0.01"),
            lot_size=Qty.of(1),
            quote_currency="USD",
        )


def test_symbol_may_contain_dots() -> None:
    brk = equity("BRK.B", "NYSE")
    assert (brk.symbol, brk.venue) == ("BRK.B", "NYSE")


@pytest.mark.parametrize(
    ("tick", "lot", "mult", "what"),
    [
        ("0", "1", 1, "tick size"),
        ("-0.01", "1", 1, "tick size"),
        ("0.01", "0", 1, "lot size"),
        ("0.01", "1", 0, "multiplier"),
    ],
)
def test_bad_grids_are_rejected(tick: str, lot: str, mult: int, what: str) -> None:
    with pytest.raises(InvalidValue, match=what):
        Instrument(
            instrument_id="X.SIM",
            tick_size=Price.parse(tick),
            lot_size=Qty.parse(lot),
            quote_currency="USD",
            multiplier=mult,
        )


def test_min_qty_can_exceed_the_lot() -> None:
    inst = Instrument(
        instrument_id="X.SIM",
        tick_size=Price.parse("0.01"),
        lot_size=Qty.of(1),
        quote_currency="USD",
        min_qty=Qty.of(100),
    )
    assert inst.min_qty == Qty.of(100)
