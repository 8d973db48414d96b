"""core.values: exact parsing, formatting and integer arithmetic of Price, Qty and Money."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from core_harness import PROPERTY
from hypothesis import given
from hypothesis import strategies as st

from core.values import (
    SCALE,
    InvalidValue,
    Money,
    Price,
    Qty,
    div_round_half_even,
    format_raw,
    notional_raw,
    raw_from_decimal,
    raw_from_float,
    raw_from_str,
)

NINE_PLACES = st.decimals(
    min_value=Decimal("-1e12"),
    max_value=Decimal("1e12"),
    places=9,
    allow_nan=False,
    allow_infinity=False,
)


def exact_raw(d: Decimal) -> int:
    """Reference: the value in 1e-9 units, computed with fractions (no decimal context)."""
    f = Fraction(d) * SCALE
    assert f.denominator == 1
    return int(f)


# parsing and formatting -------------------------------------------------------------------------
@PROPERTY
@given(NINE_PLACES)
def test_decimal_round_trip_is_exact(d: Decimal) -> None:
    price = Price.from_decimal(d)
    assert price.raw == exact_raw(d)
    assert price.as_decimal() == d
    assert Price.parse(str(d)) == price
    # text made by the engine parses back to the same value
    assert Price.parse(str(price)) == price
    assert Price.parse(format_raw(price.raw)) == price
    assert Decimal(format_raw(price.raw)) == d


@PROPERTY
@given(st.integers(min_value=0, max_value=10**21))
def test_qty_text_round_trip(raw: int) -> None:
    qty = Qty(raw)
    assert Qty.parse(str(qty)).raw == raw
    assert Qty.parse(repr(qty)[4:-1]).raw == raw
    assert Qty.from_decimal(qty.as_decimal()) == qty


def test_point_one_plus_point_two_is_exactly_point_three() -> None:
    total = Price.parse("0.1") + Price.parse("0.2")
    assert total == Price.parse("0.3")
    assert total.raw == 300_000_000
    assert str(total) == "0.3"
    cash = Money.parse("0.1", "USD") + Money.parse("0.2", "USD")
    assert cash == Money.parse("0.3", "USD")
    assert cash.as_decimal() == Decimal("0.3")
    assert Qty.parse("0.1") + Qty.parse("0.2") == Qty.parse("0.3")
    # the float path is rounded to 1e-9 first, so it agrees with the text path
    assert Price(raw_from_float(0.1, "price") + raw_from_float(0.2, "price")) == Price.parse("0.3")


@pytest.mark.parametrize(
    ("text", "raw"),
    [
        ("1", SCALE),
        ("  42.5 ", 42_500_000_000),
        ("-0.000000001", -1),
        ("1e3", 1000 * SCALE),
        ("1.000000000", SCALE),
        ("0.123456789", 123_456_789),
        ("1.10000000000", 1_100_000_000),  # trailing zeros beyond 9 places are not decimals
    ],
)
def test_parse_accepts(text: str, raw: int) -> None:
    assert Price.parse(text).raw == raw


@pytest.mark.parametrize("text", ["0.0000000001", "1.1234567891", "-3.0000000005", "1e-10"])
def test_more_than_nine_decimals_is_rejected_with_a_clear_message(text: str) -> None:
    with pytest.raises(InvalidValue, match=r"price .* has more than 9 decimals"):
        Price.parse(text)
    with pytest.raises(InvalidValue, match=r"quantity .* has more than 9 decimals"):
        Qty.from_decimal(Decimal(text.strip()).copy_abs())
    with pytest.raises(InvalidValue, match=r"amount .* has more than 9 decimals"):
        Money.parse(text, "USD")


@pytest.mark.parametrize("text", ["nan", "NaN", "-nan", "sNaN", "inf", "-Infinity", "Infinity"])
def test_nan_and_infinity_are_rejected(text: str) -> None:
    with pytest.raises(InvalidValue, match="finite"):
        Price.parse(text)
    with pytest.raises(InvalidValue, match="finite"):
        Money.from_decimal(Decimal(text), "USD")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinite_floats_are_rejected(value: float) -> None:
    with pytest.raises(InvalidValue, match="finite"):
        raw_from_float(value, "price")


@pytest.mark.parametrize("text", ["", "   ", "abc", "1,5", "1.2.3", "$5"])
def test_text_that_is_not_a_number_is_rejected(text: str) -> None:
    with pytest.raises(InvalidValue, match="is not a number"):
        raw_from_str(text, "price")


def test_invalid_value_is_a_value_error() -> None:
    assert issubclass(InvalidValue, ValueError)


def test_negative_quantity_is_rejected() -> None:
    with pytest.raises(InvalidValue, match="must not be negative"):
        Qty(-1)
    with pytest.raises(InvalidValue, match="must not be negative"):
        Qty.parse("-0.5")
    with pytest.raises(InvalidValue, match="must not be negative"):
        Qty.of(1) - Qty.of(2)
    assert (Qty.of(2) - Qty.of(2)).is_zero()


def test_negative_prices_are_allowed_for_spreads() -> None:
    assert Price.parse("-1.25").raw == -1_250_000_000
    assert str(Price.parse("-1.25")) == "-1.25"


def test_formatting() -> None:
    assert str(Price.parse("10.50")) == "10.5"
    assert repr(Price.parse("10.50")) == "Price(10.5)"
    assert repr(Qty.of(3)) == "Qty(3)"
    assert str(Price(0)) == "0"
    assert format_raw(1, 9) == "0.000000001"
    assert format_raw(-1, 9) == "-0.000000001"
    assert format_raw(12_345_000_000, 2) == "12.34"  # tie, 4 is even: stays
    assert format_raw(12_335_000_000, 2) == "12.34"  # tie, 3 is odd: up
    assert format_raw(12_345_000_001, 2) == "12.35"  # above the tie: up
    assert format_raw(-1_500_000_000, 0) == "-2"
    assert format_raw(2_500_000_000, 0) == "2"


def test_money_formats_with_two_decimals_half_even() -> None:
    assert str(Money.parse("1.005", "USD")) == "1.00 USD"
    assert str(Money.parse("1.015", "USD")) == "1.02 USD"
    assert str(Money.parse("-7.125", "EUR")) == "-7.12 EUR"
    assert repr(Money.parse("3.5", "USD")) == "Money(3.5 USD)"


def test_equality_and_hash_follow_the_value_and_the_type() -> None:
    assert Price.parse("1.0") == Price.parse("1")
    assert hash(Price.parse("1.0")) == hash(Price.parse("1"))
    assert Price(5) != Qty(5)
    assert Qty(5) != Price(5)
    assert Money(5, "USD") != Money(5, "EUR")
    assert len({Price(1), Price(1), Price(2)}) == 2
    assert Price(1) < Price(2) <= Price(2)
    assert Qty(3) > Qty(2) >= Qty(2)


def test_money_currency_mismatch_raises() -> None:
    usd, eur = Money.parse("1", "USD"), Money.parse("1", "EUR")
    for combine in (
        lambda: usd + eur,
        lambda: usd - eur,
        lambda: usd < eur,
        lambda: usd <= eur,
        lambda: usd > eur,
        lambda: usd >= eur,
    ):
        with pytest.raises(InvalidValue, match="cannot combine USD with EUR"):
            combine()
    assert usd != eur
    assert -usd == Money.parse("-1", "USD")
    assert usd + usd == Money.parse("2", "USD")
    assert usd - usd == Money(0, "USD")


# rounding ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("price_raw", "qty_raw", "mult", "expected"),
    [
        (1, 500_000_000, 1, 0),  # 0.5 -> 0 (even)
        (3, 500_000_000, 1, 2),  # 1.5 -> 2 (even)
        (5, 500_000_000, 1, 2),  # 2.5 -> 2 (even)
        (7, 500_000_000, 1, 4),  # 3.5 -> 4
        (-1, 500_000_000, 1, 0),  # -0.5 -> 0
        (-3, 500_000_000, 1, -2),  # -1.5 -> -2
        (-5, 500_000_000, 1, -2),  # -2.5 -> -2
        (1, 600_000_000, 1, 1),  # 0.6 -> 1
        (1, 400_000_000, 1, 0),  # 0.4 -> 0
        (10 * SCALE, 100 * SCALE, 1, 1000 * SCALE),
        (4000_250_000_000, 2 * SCALE, 50, 400_025 * SCALE),
    ],
)
def test_notional_rounds_half_even(price_raw: int, qty_raw: int, mult: int, expected: int) -> None:
    assert notional_raw(price_raw, qty_raw, mult) == expected


@PROPERTY
@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.integers(min_value=0, max_value=10**15),
    st.integers(min_value=1, max_value=1000),
)
def test_notional_matches_exact_half_even_reference(
    price_raw: int, qty_raw: int, mult: int
) -> None:
    # round() on a Fraction rounds half to even: an independent reference
    assert notional_raw(price_raw, qty_raw, mult) == round(
        Fraction(price_raw * qty_raw * mult, SCALE)
    )


@PROPERTY
@given(
    st.integers(min_value=-(10**30), max_value=10**30), st.integers(min_value=1, max_value=10**20)
)
def test_div_round_half_even_matches_reference(num: int, den: int) -> None:
    assert div_round_half_even(num, den) == round(Fraction(num, den))


def test_float_edge_rounds_to_nearest_nano() -> None:
    assert raw_from_float(0.1, "price") == 100_000_000
    assert raw_from_float(1e-10, "price") == 0
    assert raw_from_float(-2.5e-9, "price") in (-2, -3)
    assert Price.parse("10.25").as_float() == 10.25
    assert isinstance(raw_from_float(1.5, "price"), int)


# decimal context independence (BUG) -------------------------------------------------------------
def test_parsing_does_not_depend_on_the_callers_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 6
        assert Price.parse("1234.5678").raw == 1_234_567_800_000
        assert Price(1_234_567_800_000).as_decimal() == Decimal("1234.5678")


def test_large_values_parse_exactly_or_are_rejected() -> None:
    assert raw_from_decimal(Decimal("12345678901234567890.123456789"), "amount") == (
        12345678901234567890123456789
    )
    with pytest.raises(InvalidValue, match="more than 9 decimals"):
        raw_from_decimal(Decimal("1234567890123456789.0000000001"), "amount")
