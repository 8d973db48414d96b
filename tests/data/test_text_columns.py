"""Exact text-to-integer conversion: digits, rounding beyond 1e-9, and located errors."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.data import DataValidationError, RowLocator
from core.data.text_columns import NumberColumn, parse_datetimes, parse_numbers
from core.values import raw_from_decimal

LOCATOR = RowLocator("prices.csv", header_lines=1)


def _parse(values: list[str], exponent: int = 9) -> list[int]:
    table = pa.table({"x": pa.array(values, pa.string())})
    column = NumberColumn(name="x", label="price", exponent=exponent)
    parsed: list[int] = parse_numbers(table, [column], LOCATOR)["x"].tolist()
    return parsed


def _problem(values: list[str], exponent: int = 9) -> str:
    with pytest.raises(DataValidationError) as caught:
        _parse(values, exponent)
    return str(caught.value)


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=9, allow_nan=False))
def test_decimal_text_is_exact(value: Decimal) -> None:
    assert _parse([str(value) if "E" not in str(value) else f"{value:f}"]) == [
        raw_from_decimal(value, "x")
    ]


def test_deci_cents_and_integers() -> None:
    assert _parse(["973100", "3930299"], exponent=5) == [97_310_000_000, 393_029_900_000]
    assert _parse(["14400000", "-3"], exponent=0) == [14_400_000, -3]


def test_digits_beyond_the_grid_round_half_to_even() -> None:
    values = [
        "9.342381490000001",
        "0.0000000005",
        "0.0000000015",
        "0.00000000250001",
        "1.9999999995",
    ]
    assert _parse(values) == [9_342_381_490, 0, 2, 3, 2_000_000_000]


def test_malformed_numbers_are_located() -> None:
    assert (
        _problem(["1", "1.5.2"])
        == "prices.csv data row 2 (line 3): price '1.5.2' is not a decimal number"
    )
    assert _problem(["", "1"]) == "prices.csv data row 1 (line 2): price is empty"
    assert (
        _problem(["1", "1e3"])
        == "prices.csv data row 2 (line 3): price '1e3' is not a decimal number"
    )
    assert (
        _problem(["9223372037"])
        == "prices.csv data row 1 (line 2): price '9223372037' is too large"
    )
    assert (
        _problem(["7", "2.5"], exponent=0)
        == "prices.csv data row 2 (line 3): price '2.5' is not an integer"
    )


def test_earliest_row_wins_across_columns() -> None:
    table = pa.table({"a": ["1", "1", "x"], "b": ["1", "y", "1"]})
    columns = [NumberColumn(name=n, label=n, exponent=9) for n in ("a", "b")]
    with pytest.raises(DataValidationError, match=r"data row 2 \(line 3\): b 'y'"):
        parse_numbers(table, columns, LOCATOR)


def test_datetimes_are_strict() -> None:
    text = pa.chunked_array([["2015-09-23T20:57:42.146", "2015-09-23T20:57:42"]])
    parsed = parse_datetimes(
        text,
        label="Datetime",
        fmt="%Y-%m-%dT%H:%M:%S",
        expected="ISO",
        locator=LOCATOR,
        fraction=True,
    )
    assert parsed.tolist() == [1_443_041_862_146_000_000, 1_443_041_862_000_000_000]
    with pytest.raises(DataValidationError, match=r"Date '2006-1-2' is not a valid date/time"):
        parse_datetimes(
            pa.chunked_array([["2006-1-2"]]),
            label="Date",
            fmt="%Y-%m-%d",
            expected="YYYY-MM-DD",
            locator=LOCATOR,
        )
